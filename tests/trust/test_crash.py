"""Crash: a process serving a scripted day of traffic (chat turns through the core, and the reminder clock's
sweeps) is killed with SIGKILL at random points, 20 times, on PostgreSQL. Each restart picks up where the
platform would redeliver: from the first event it had not acknowledged. Rows lost 0; reminders lost or doubled 0.

The worker is a forked copy of this process (so a restart costs no imports) running what `salesbot run` runs:
Core.handle for each input, ReminderClock.sweep every few inputs. An event is acknowledged (a line in a file)
only after its turn committed, like an adapter acks Slack or Telegram after handling.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import PG_URL, _truncate
from tests.trust import day
from tests.trust.chat import figure

pytestmark = pytest.mark.slow  # processes killed and restarted, a minute of load

KILLS = 20
CUSTOMERS = 25
EVENTS = CUSTOMERS * day.STEPS_PER_CUSTOMER
SWEEP_EVERY = 4
FAILURE = ("Sorry, something went wrong", "抱歉，出了点问题", "Please try again shortly")
STEP_TABLES = {0: ("customer",), 1: ("contact",), 2: ("activity", "followup"), 3: ("deal",), 4: ("quote", "approval"),
               5: ("approved",), 6: ("sales_order",), 8: ("payment",), 9: ("lead",)}


def serve(url: str, ack_path: str, until: int) -> None:
    """The worker: from the first unacknowledged event to `until`, each turn then its ack; a sweep every few
    (announced in `<ack>.sweeps` as it starts, so the test can aim a kill into one)."""
    from bot.clock import ReminderClock
    from handlers.context import Settings
    from handlers.core import Core
    from storage.db import make_engine

    engine = make_engine(url)
    ack = day.Ack(ack_path)
    done = ack.done()
    start = max(done) + 1 if done else 0
    now = [day.at(start)]
    core = Core(engine, clock=lambda: now[0], settings=Settings(default_lang="en"))
    clock = ReminderClock(engine, now=lambda: now[0], worker=f"crash:{os.getpid()}")
    for i in range(start, until):
        now[0] = day.at(i)
        replies = core.handle(day.event(engine, i))
        if any(r.text.startswith(FAILURE) for r in replies):
            os._exit(3)
        ack.write(i)
        if i % SWEEP_EVERY == SWEEP_EVERY - 1:
            with open(ack_path + ".sweeps", "a", encoding="utf-8") as f:
                f.write(f"{i}\n")
            clock.sweep()
    os._exit(0)


def expected(acked: int) -> dict[str, int]:
    """Rows the first `acked` events must have made."""
    out = dict.fromkeys([*day.EXPECTED, "approved"], 0)
    for i in range(acked):
        for table in STEP_TABLES.get(i % day.STEPS_PER_CUSTOMER, ()):
            out[table] += 1
    return out


@pytest.fixture
def pg(pg_engine: Engine) -> Iterator[Engine]:
    _truncate(pg_engine)
    yield pg_engine


def test_a_process_killed_twenty_times_mid_day_loses_no_row_and_no_reminder(pg: Engine, tmp_path: Path) -> None:
    assert PG_URL
    day.setup(pg)
    ack = day.Ack(str(tmp_path / "acked"))
    fork = multiprocessing.get_context("fork")
    seed = int(os.environ.get("SALESBOT_TRUST_SEED") or random.randrange(10**6))
    rng = random.Random(seed)
    kills = finished = lost = mid_sweep = in_sweep = 0

    def sweeps() -> int:
        path = Path(ack.path + ".sweeps")
        return len(path.read_text().split()) if path.exists() else 0

    while kills < KILLS:
        p = fork.Process(target=serve, args=(PG_URL, ack.path, EVENTS))
        p.start()
        # A random point: after a random number of further events, a random few milliseconds into the next
        # turn (20-80 ms here) or, every other time, into the next sweep of the reminder clock; spread so
        # that the 20 kills fall across the whole day.
        target = min(len(ack.done()) + rng.randint(1, 14), EVENTS - 5)
        deadline = time.monotonic() + 60
        while p.is_alive() and len(ack.done()) < target and time.monotonic() < deadline:
            time.sleep(0.003)
        if kills % 2:
            seen = sweeps()
            while p.is_alive() and sweeps() == seen and time.monotonic() < deadline:
                time.sleep(0.001)
            in_sweep += p.is_alive()
            time.sleep(rng.uniform(0, 0.03))
        else:
            time.sleep(rng.uniform(0, 0.06))
        if p.is_alive():
            os.kill(p.pid or 0, signal.SIGKILL)
            p.join()
            kills += 1
        else:
            assert p.exitcode == 0, p.exitcode
            finished += 1
            break
        have, want = day.tally(pg), expected(len(ack.done()))
        lost += sum(max(0, want[k] - have[k]) for k in want)
        mid_sweep += day.claimed(pg) > 0
    acked_at_last_kill = len(ack.done())
    last = fork.Process(target=serve, args=(PG_URL, ack.path, EVENTS))
    last.start()
    last.join(300)
    assert last.exitcode == 0, last.exitcode
    # Two days on, at 10:00 in Shanghai (not in the quiet hours): every lease of a killed sweep has ended, every
    # follow-up of the day is due.
    final = (day.at(EVENTS) + timedelta(days=2)).replace(hour=2, minute=0)
    from bot.clock import ReminderClock

    ReminderClock(pg, now=lambda: final, worker="after").sweep()
    got = day.tally(pg)
    lost += sum(max(0, n - got[k]) for k, n in expected(EVENTS).items())
    extra = sum(max(0, got[k] - n) for k, n in expected(EVENTS).items()) + day.duplicates(pg)
    per_followup = day.reminders_by_followup(pg, CUSTOMERS)
    missing = [j for j, n in per_followup.items() if n == 0]
    doubled = [j for j, n in per_followup.items() if n > 1]
    still_open = day.open_reminders(pg, final)
    figure("crash [postgresql]", f"{EVENTS} events, {kills} SIGKILLs at random points (seed {seed}; {in_sweep} aimed "
                                 f"into a reminder sweep, {mid_sweep} leaving claimed reminders behind; "
                                 f"{acked_at_last_kill} events acknowledged by the last kill): rows lost {lost}, "
                                 f"rows doubled {extra}, follow-up reminders lost {len(missing) + still_open}, "
                                 f"doubled {len(doubled)}")
    assert kills == KILLS, f"the day ended after {kills} kills; make it longer"
    assert lost == 0 and extra == 0
    assert not missing and not doubled and still_open == 0, (per_followup, still_open)
