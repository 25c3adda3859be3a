"""Work done in a child process during a large import: same results as in-process, no child left behind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from sales import imports
from sales.imports.speed import forked
from sales.imports.speed.forked import later, worker_if
from tests.conftest import FakeClock
from tests.sales.test_import import run, snapshot, team, xlsx


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
    forked.shutdown()
    for pid in pids:
        with pytest.raises(ChildProcessError):  # already collected: no zombie, nothing running
            os.waitpid(pid, os.WNOHANG)


def test_the_value_comes_from_another_process(children: list[int]) -> None:
    with worker_if(True) as worker:
        assert worker is not None
        first, second = worker.run(os.getpid), worker.run(sorted, [3, 1, 2])
        assert second() == [1, 2, 3]  # replies are read in turn, whichever is wanted first
        assert first() == children[0] != os.getpid()


def test_a_failing_task_is_redone_here_and_its_error_raised_here(children: list[int]) -> None:
    with worker_if(True) as worker:
        assert worker is not None
        failing = worker.run(int, "not a number")
        after = worker.run(len, "four")
        with pytest.raises(ValueError, match="not a number"):
            failing()
        assert after() == 4 and len(children) == 1  # the worker goes on after a failed task


def test_the_worker_is_kept_for_the_next_import(children: list[int]) -> None:
    for _ in range(2):
        with worker_if(True) as worker:
            assert worker is not None
            assert worker.run(os.getpid)() == children[0]
    assert len(children) == 1


def test_a_forked_copy_of_this_process_does_not_share_its_worker(children: list[int]) -> None:
    with worker_if(True) as worker:
        assert worker is not None and worker.alive
        pid = os.fork()
        if pid == 0:
            os._exit(0 if not worker.alive and forked._shared is None else 1)
        assert os.waitpid(pid, 0)[1] == 0
        children.remove(pid)


def test_a_function_that_cannot_travel_is_run_here(children: list[int]) -> None:
    calls: list[int] = []
    with worker_if(True) as worker:
        assert worker is not None
        assert worker.run(lambda: calls.append(os.getpid()) or 7)() == 7
    assert calls == [os.getpid()]


def test_work_nobody_wants_is_not_left_running(children: list[int]) -> None:
    started = time.monotonic()
    with pytest.raises(RuntimeError), worker_if(True) as worker:
        assert worker is not None
        worker.run(time.sleep, 30)
        raise RuntimeError("the import failed")
    assert len(children) == 1 and time.monotonic() - started < 5


def test_without_fork_the_work_is_done_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "ENABLED", False)
    with worker_if(True) as worker:
        assert worker is None
        assert later(worker, 10**6, os.getpid)() == os.getpid()


def test_an_import_plans_the_same_with_or_without_child_processes(
        engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, children: list[int]) -> None:
    monkeypatch.setattr(forked, "BACKGROUND_FROM", 1)
    monkeypatch.setattr(imports, "WORKER_FROM", 0)
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
    assert len(children) == 1  # one worker, kept for the next import
    plan = run(engine, data, "new.xlsx", clock())  # applied: the look-alikes are listed while the rows are written
    assert plan.applied and plan.summary()["suspects"] == plans[False]["suspects"]
    assert plan.counts["customer.created"] == plans[False]["counts"]["customer.created"]
    before = snapshot(engine)
    assert run(engine, data, "new.xlsx", clock()).changes == 0 and snapshot(engine) == before


def test_look_alikes_found_by_the_worker_name_their_own_rows(
        engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, children: list[int]) -> None:
    monkeypatch.setattr(forked, "BACKGROUND_FROM", 1)
    monkeypatch.setattr(imports, "WORKER_FROM", 0)
    team(engine, clock())
    data = xlsx([["客户名称", "客户分级"], [None, "A"], ["华东科技", "D"], ["华东科技", "A"], ["华南科技", "B"]])
    plan = run(engine, data, "rows.xlsx", clock(), dry_run=True)
    assert [(s.row, s.name, s.other_row, s.other) for s in plan.suspects] == [(5, "华南科技", 4, "华东科技")]
    assert len(children) == 1


def test_a_worker_killed_from_outside_is_replaced(children: list[int]) -> None:
    with worker_if(True) as worker:
        assert worker is not None
        os.kill(children[0], signal.SIGKILL)
        assert worker.run(os.getpid)() == os.getpid()  # no worker to do it: done here
    with worker_if(True) as again:
        assert again is not None and again is not worker
        assert again.run(os.getpid)() == children[1]
