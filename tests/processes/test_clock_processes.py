"""Several real processes over one database: every reminder delivered once, through kills and restarts.

Each process is `python -m bot.cli clock --once` (or `run`) with SALESBOT_NOW frozen; console deliveries are
printed to the process's standard output, which goes to a file per process: a delivered reminder is a line
naming its task. A restarted process is started ten minutes later (SALESBOT_NOW), after every lease ended.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from sales.demo import seed_due_followups
from storage.db import make_engine
from storage.models import Outbox, Reminder
from tests.conftest import PG_URL, ROOT, _truncate

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # Saturday 10:00 in Shanghai: no digests, no quiet hour
LATER = NOW + timedelta(minutes=10)  # every lease (60 s claims, 2 min outbox) has ended
TASK = re.compile(r"^→ \S+: ⏰ .*: task-(\d+)$", re.M)
N = 10_000


@pytest.fixture
def pg(pg_engine: Engine) -> Iterator[tuple[Engine, str]]:
    """The PostgreSQL test database, emptied."""
    _truncate(pg_engine)
    assert PG_URL
    yield pg_engine, PG_URL


@pytest.fixture
def sqlite_file(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Engine, str]]:
    """A migrated SQLite file several processes can share."""
    path = tmp_path / "shared.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    yield engine, url
    engine.dispose()


def seed(engine: Engine, n: int = N, users: int = 10) -> None:
    """`users` reps with console chats, 100 customers, `n` open follow-ups due in the last hour."""
    seed_due_followups(engine, n=n, now=NOW, users=users)


class Proc:
    """One salesbot process with its output in files."""

    def __init__(self, url: str, folder: Path, name: str, args: list[str], now: datetime) -> None:
        self.out_path = folder / f"{name}.out"
        self.err_path = folder / f"{name}.err"
        env = {**os.environ, "DATABASE_URL": url, "SALESBOT_NOW": now.isoformat(), "PYTHONPATH": str(ROOT)}
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.p = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=folder, env=env, stdout=out,
                                      stderr=err)

    def tasks(self) -> list[int]:
        return [int(t) for t in TASK.findall(self.out_path.read_text(encoding="utf-8", errors="replace"))]

    def wait(self, timeout: float = 240) -> int:
        code = self.p.wait(timeout)
        return code

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")[-3000:]


def clock_once(url: str, folder: Path, name: str, now: datetime = NOW) -> Proc:
    return Proc(url, folder, name, ["clock", "--once"], now)


def state(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        out = {f"outbox_{s}": int(n) for s, n in conn.execute(select(Outbox.status, func.count()).group_by(Outbox.status))}
        out |= {f"reminder_{s}": int(n) for s, n in conn.execute(select(Reminder.status, func.count())
                                                                  .group_by(Reminder.status))}
    return out


def tally(procs: list[Proc]) -> Counter[int]:
    return Counter(t for p in procs for t in p.tasks())


def wait_until(cond: object, timeout: float = 120, step: float = 0.02) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():  # type: ignore[operator]
            return
        time.sleep(step)
    raise AssertionError("timed out")


def holds_claims(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM reminder WHERE status = 'claimed' AND claimed_by LIKE :p"),
                         {"p": f"%:{pid}:%"}).scalar_one()
    return int(n) > 0


@pytest.mark.parametrize("db", ["pg", "sqlite_file"])
def test_three_clock_processes_deliver_ten_thousand_reminders_exactly_once(
        db: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    engine, url = request.getfixturevalue(db)
    seed(engine)
    procs = [clock_once(url, tmp_path, f"p{i}") for i in range(3)]
    for p in procs:
        assert p.wait() == 0, p.stderr()
    seen = tally(procs)
    assert len(seen) == N and max(seen.values()) == 1, ("duplicates", [t for t, n in seen.items() if n > 1][:10])
    assert state(engine) == {"outbox_sent": N, "reminder_done": N}
    print({f"p{i}": len(p.tasks()) for i, p in enumerate(procs)})


def test_a_process_killed_holding_claims_loses_nothing_and_repeats_nothing(pg: tuple[Engine, str],
                                                                           tmp_path: Path) -> None:
    engine, url = pg
    seed(engine)
    procs = [clock_once(url, tmp_path, f"p{i}") for i in range(3)]
    victim = procs[0]
    wait_until(lambda: holds_claims(engine, victim.p.pid) or victim.p.poll() is not None)
    victim.p.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL
    for p in procs[1:]:
        assert p.wait() == 0, p.stderr()
    assert state(engine).get("reminder_claimed", 0) > 0  # what the victim held is still its own until the lease ends
    again = clock_once(url, tmp_path, "restart", LATER)
    assert again.wait() == 0, again.stderr()
    seen = tally([*procs, again])
    assert len(seen) == N and max(seen.values()) == 1
    assert len(again.tasks()) > 0
    assert state(engine) == {"outbox_sent": N, "reminder_done": N}


def test_a_process_killed_while_delivering_loses_nothing_and_repeats_at_most_one(pg: tuple[Engine, str],
                                                                                 tmp_path: Path) -> None:
    engine, url = pg
    seed(engine)
    procs = [clock_once(url, tmp_path, f"p{i}") for i in range(3)]
    victim = procs[0]
    wait_until(lambda: len(victim.tasks()) >= 250 or victim.p.poll() is not None)  # mid-batch (batches of 200)
    victim.p.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL
    for p in procs[1:]:
        assert p.wait() == 0, p.stderr()
    assert state(engine).get("outbox_sending", 0) > 0  # the victim's batch in hand, leased
    again = clock_once(url, tmp_path, "restart", LATER)
    assert again.wait() == 0, again.stderr()
    seen = tally([*procs, again])
    twice = [t for t, n in seen.items() if n > 1]
    print({"victim": len(victim.tasks()), "restart": len(again.tasks()), "twice": len(twice)})
    assert len(seen) == N and max(seen.values()) <= 2 and len(twice) <= 1, twice  # the one printed, not marked
    assert state(engine) == {"outbox_sent": N, "reminder_done": N}


@pytest.mark.parametrize("db", ["pg", "sqlite_file"])
def test_a_restart_of_salesbot_run_loses_no_reminder_and_repeats_none(
        db: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    engine, url = request.getfixturevalue(db)
    seed(engine)
    first = Proc(url, tmp_path, "run1", ["run", "--interval", "1"], NOW)
    wait_until(lambda: len(first.tasks()) >= 500 or first.p.poll() is not None)
    first.p.send_signal(signal.SIGTERM)
    assert first.wait() == 0, first.stderr()  # graceful: took no more work, finished its batch, released claims
    before = state(engine)
    assert before.get("reminder_claimed", 0) == 0 and before.get("outbox_sending", 0) == 0, before
    assert 500 <= len(first.tasks()) < N
    second = Proc(url, tmp_path, "run2", ["run", "--interval", "1"], NOW)
    wait_until(lambda: state(engine) == {"outbox_sent": N, "reminder_done": N} or second.p.poll() is not None,
               timeout=180, step=0.5)
    second.p.send_signal(signal.SIGTERM)
    assert second.wait() == 0, second.stderr()
    seen = tally([first, second])
    assert len(seen) == N and max(seen.values()) == 1
