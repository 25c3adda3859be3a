"""Load: 50 simulated people sending commands concurrently through one core on PostgreSQL, with the rate limit
on and a pool of 10 connections. Commands handled, p50/p99 latency, errors 0, connections used ≤ the pool.

Default 15 seconds; SALESBOT_TRUST_FULL=1 runs the 60 seconds of the issue (SALESBOT_TRUST_LOAD_SECONDS=N any).
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import col

from handlers.context import Settings
from handlers.core import Core, system_clock
from handlers.types import ChatRef, Incoming
from sales.demo import CORES, REGIONS
from sales.names import initials_key, name_key, pinyin_key
from storage.db import make_engine
from storage.models import ChatIdentity, Customer, Team, User
from tests.conftest import PG_URL, _truncate
from tests.trust.chat import figure

pytestmark = pytest.mark.slow  # processes killed and restarted, a minute of load

USERS = 50
POOL = 10
SECONDS = float(os.environ.get("SALESBOT_TRUST_LOAD_SECONDS")
                or (60 if os.environ.get("SALESBOT_TRUST_FULL") == "1" else 15))


def seed(engine: Engine) -> dict[str, list[str]]:
    """A team of 50 reps and their manager, five customers each; each person's customer names."""
    now = datetime.now(UTC)
    names: dict[str, list[str]] = {}
    with engine.begin() as conn:
        tid = conn.execute(insert(Team).values(name="load", created_at=now).returning(col(Team.id))).scalar_one()
        people = [("boss", "manager")] + [(f"u{i:02d}", "rep") for i in range(USERS)]
        for handle, role in people:
            uid = conn.execute(insert(User).values(team_id=tid, name=handle, role=role, lang="en", active=True,
                                                   discount_limit=20 if role == "manager" else 10, created_at=now)
                               .returning(col(User.id))).scalar_one()
            conn.execute(insert(ChatIdentity).values(platform="console", workspace="local", external_id=handle,
                                                     chat=handle, user_id=uid, created_at=now))
            if role == "rep":
                i = int(handle[1:])
                mine = [f"{REGIONS[(i + k) % len(REGIONS)]}{CORES[(i * 5 + k) % len(CORES)]}{i:02d}{k}" for k in range(5)]
                names[handle] = mine
                conn.execute(insert(Customer), [dict(
                    team_id=tid, name=n, name_key=name_key(n), pinyin=pinyin_key(n), initials=initials_key(n),
                    owner_id=uid, grade="B", tags="", status="active", created_at=now, updated_at=now) for n in mine])
    return names


def command(rng: random.Random, who: str, mine: list[str], n: int) -> str:
    """What a rep sends next: mostly reads and visit logs, some deals, leads and reports."""
    c = rng.choice(mine)
    return rng.choices([
        "/today", "/followups", "/customers mine", f"/customer {c}", f"/visit {c} 拜访第{n}次，明天下午3点再跟进",
        f"/call {c} 电话沟通报价 {n}", f"/deal new {c} 设备{n} {rng.randint(1, 90)}0000", "/deals", f"/deal {c}",
        f"/lead add 线索{who}{n} 王先生 source 展会 --force", "/leads mine", "/pipeline", "/receivables", "/digest",
        f"{c} 的张总说下周三再跟进",
    ], weights=[10, 6, 8, 12, 16, 8, 5, 6, 5, 3, 3, 2, 3, 3, 5])[0]


def test_fifty_people_for_a_minute_on_postgresql(pg_engine: Engine) -> None:
    assert PG_URL
    _truncate(pg_engine)
    engine = make_engine(PG_URL, pool_size=POOL, max_overflow=0, pool_timeout=30,
                         connect_args={"application_name": "trust-load"})
    names = seed(engine)
    turn = threading.local()  # the observer runs in the thread of the turn it observes

    def note(incoming: Incoming, command: str, seconds: float, outcome: str) -> None:
        turn.outcome = outcome

    core = Core(engine, clock=system_clock, settings=Settings(default_lang="en"), observer=note)
    stop = time.monotonic() + SECONDS
    lat: list[float] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    peak = {"pool": 0, "server": 0}

    def person(who: str, k: int) -> None:
        rng = random.Random(k)
        n = 0
        time.sleep(rng.uniform(0, 0.5))
        while time.monotonic() < stop:
            n += 1
            line = command(rng, who, names[who], n)
            inc = Incoming(chat=ChatRef("console", "local", who), user=who, text=line, event_id=f"{who}:{n}")
            t = time.perf_counter()
            try:
                replies = core.handle(inc)
            except Exception:
                turn.outcome, replies = "error", []
            if turn.outcome in ("error", "unavailable"):  # answered "Sorry, …" or "try again shortly"
                kind = "error"
            elif turn.outcome == "limited":  # one "slow down" answer, then inputs dropped in silence
                kind = "slowed" if replies else "dropped"
            else:
                kind = "ok" if replies else "dropped"
            took = time.perf_counter() - t
            with lock:
                lat.append(took)
                outcomes[kind] += 1
            time.sleep(rng.uniform(0.5, 1.0))  # people read the answer before the next command (≤ 2 a second)

    def watch() -> None:
        q = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND application_name = 'trust-load'")
        with pg_engine.connect() as conn:
            while time.monotonic() < stop + 1:
                pool: Any = engine.pool
                peak["pool"] = max(peak["pool"], int(pool.checkedout()))
                peak["server"] = max(peak["server"], int(conn.execute(q).scalar_one()))
                conn.commit()
                time.sleep(0.05)

    threads = [threading.Thread(target=person, args=(f"u{i:02d}", i)) for i in range(USERS)]
    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - started
    watcher.join()
    with engine.connect() as conn:
        visits = conn.execute(text("SELECT count(*) FROM activity")).scalar_one()
    engine.dispose()
    lat.sort()
    p50, p99 = statistics.median(lat), lat[int(len(lat) * 0.99) - 1]
    handled = sum(outcomes.values())
    figure(f"load [postgresql, {SECONDS:.0f} s]",
           f"{USERS} people for {elapsed:.0f} s: {handled} commands handled ({handled / elapsed:.0f}/s; "
           f"{visits} visits and calls logged), p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max "
           f"{lat[-1] * 1000:.0f} ms, errors {outcomes['error']}, slowed {outcomes['slowed']}, database connections "
           f"used {peak['server']} (pool checked out at most {peak['pool']}; pool size {POOL})")
    assert outcomes["error"] == 0, outcomes
    assert peak["server"] <= POOL and peak["pool"] <= POOL
    assert handled > USERS * SECONDS * 0.3
    assert p99 < 5.0
