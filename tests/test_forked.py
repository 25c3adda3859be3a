"""Work done in a child process during a large import: same results as in-process, no child left behind."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from sales import forked
from sales.forked import Forked
from tests.conftest import FakeClock
from tests.test_import import run, snapshot, team, xlsx


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The child processes forked during the test; each must be collected by its end."""
    pids: list[int] = []
    fork = os.fork

    def recording() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording)
    yield pids
    for pid in pids:
        with pytest.raises(ChildProcessError):  # already collected: no zombie, nothing running
            os.waitpid(pid, os.WNOHANG)


def test_the_value_comes_from_another_process(children: list[int]) -> None:
    assert Forked(os.getpid).result() == children[0] != os.getpid()


def test_a_failing_child_is_redone_here_and_its_error_raised_here(children: list[int]) -> None:
    calls: list[int] = []

    def fails() -> None:
        calls.append(os.getpid())
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        Forked(fails).result()
    assert calls == [os.getpid()] and len(children) == 1  # the child's attempt is not seen here; the redo is


def test_a_result_nobody_wants_is_not_left_running(children: list[int]) -> None:
    started = time.monotonic()
    job = Forked(lambda: time.sleep(30))
    del job
    assert len(children) == 1 and time.monotonic() - started < 5


def test_without_fork_the_work_is_done_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "ENABLED", False)
    assert Forked(os.getpid).result() == os.getpid()


def test_an_import_plans_the_same_with_or_without_child_processes(
        engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, children: list[int]) -> None:
    monkeypatch.setattr(forked, "BACKGROUND_FROM", 1)
    team(engine, clock())
    run(engine, xlsx([["客户名称", "电话"], ["华东科技", "13800000001"], ["重庆银行", None]]), "old.xlsx", clock())
    data = xlsx([["客户名称", "电话", "客户分级"], ["华南科技", "13900000002", "A"], ["华东科技有限公司", None, "B"],
                 ["重庆银行股份有限公司", "13800000001", "C"], ["华中科技", None, "D"], ["Acme Trading", None, "A"],
                 ["ACME Trading Co., Ltd.", None, "B"]])
    plans = {}
    for enabled in (False, True):
        monkeypatch.setattr(forked, "ENABLED", enabled)
        plans[enabled] = run(engine, data, "new.xlsx", clock(), dry_run=True).summary()
    assert plans[True] == plans[False] and plans[True]["suspects"]
    assert len(children) == 4  # romanizing and look-alikes, for old.xlsx and for the forked preview
    plan = run(engine, data, "new.xlsx", clock())  # applied: the look-alikes are listed while the rows are written
    assert plan.applied and plan.summary()["suspects"] == plans[False]["suspects"]
    assert plan.counts["customer.created"] == plans[False]["counts"]["customer.created"]
    before = snapshot(engine)
    assert run(engine, data, "new.xlsx", clock()).changes == 0 and snapshot(engine) == before
