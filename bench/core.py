"""Benchmark: logging a visit through Core.handle on SQLite with 100,000 customers and 1,000,000 activities.

Anchor, measured in the same run: inserting the same activity rows with raw sqlite3, one transaction each.
Goal: median ≤ 3 ms and p99 ≤ 25 ms per command on one core. The per-person rate limit is turned off through
the core's settings (Settings(rate_limit=0), as SALESBOT_RATE_LIMIT=0 does): one person sends 1,000 visits here.
`--small` (1,000 customers, 50 visits: seconds) is what tests/processes/test_bench.py runs; `--profile` prints
what each SQL statement of a turn costs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, event, text

from handlers.context import Settings
from handlers.core import Core
from handlers.types import ChatRef, Incoming
from sales.demo import load_demo
from storage.db import make_engine
from storage.migrate import upgrade

TEXTS = ("见了采购总监张总，要50台报价，预算30万，下周三下午3点再跟进", "电话沟通了交期，客户满意",
         "met the CFO, send proposal in 5 days", "客户要样品，3天后寄出", "技术交流，月底前给方案")


def pct(values: list[float], q: float) -> float:
    """The q-th percentile of `values`."""
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def profile_turns(engine: Engine, core: Core, chat: ChatRef, names: list[str], now: datetime) -> None:
    """Time every statement of some more turns: how many each turn runs and what they cost, slowest first."""
    costs: dict[str, list[float]] = {}
    started: list[float] = []

    def before(conn: object, cursor: object, statement: str, *_: object) -> None:
        started.append(time.perf_counter())

    def after(conn: object, cursor: object, statement: str, *_: object) -> None:
        costs.setdefault(" ".join(statement.split())[:150], []).append((time.perf_counter() - started.pop()) * 1000)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    t0 = time.perf_counter()
    for i, name in enumerate(names):
        core.handle(Incoming(chat=chat, user="alice", text=f"/visit {name} {TEXTS[i % len(TEXTS)]}", event_id=f"p{i}"))
    total = (time.perf_counter() - t0) * 1000 / len(names)
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    n = sum(len(v) for v in costs.values()) / len(names)
    sql = sum(sum(v) for v in costs.values()) / len(names)
    print(f"profile over {len(names)} turns: {total:.2f} ms a turn, {n:.1f} statements taking {sql:.2f} ms "
          f"(the rest is Python: {total - sql:.2f} ms)")
    for stmt, ms in sorted(costs.items(), key=lambda kv: -sum(kv[1]))[:25]:
        print(f"  {len(ms) / len(names):4.1f}× {sum(ms) / len(names):6.3f} ms  {stmt}")


def main() -> None:
    """Load the book, then time visits through the core and raw inserts of the same rows."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--activities-per-customer", type=int, default=10)
    ap.add_argument("--visits", type=int, default=1000)
    ap.add_argument("--small", action="store_true", help="1,000 customers and 50 visits: seconds")
    ap.add_argument("--profile", action="store_true", help="what each statement of a turn costs")
    args = ap.parse_args()
    if args.small:
        args.customers, args.visits = 1_000, 50
    folder = Path(tempfile.mkdtemp(prefix="salesbot-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    t0 = time.perf_counter()
    load_demo(engine, customers=args.customers, now=now, activities_per_customer=args.activities_per_customer)
    print(f"loaded {args.customers:,} customers and {args.customers * args.activities_per_customer:,} "
          f"activities in {time.perf_counter() - t0:.1f}s")
    with engine.connect() as conn:
        alice = conn.execute(text("SELECT id FROM user WHERE name = 'alice'")).scalar_one()
        names = [r[0] for r in conn.execute(text(
            "SELECT name FROM customer WHERE owner_id = :a ORDER BY id LIMIT :n"), {"a": alice, "n": args.visits + 50})]
    # The profile's turns visit customers the timed turns did not: each writes the customer's last contact too.
    names, fresh = names[:args.visits], names[args.visits:]
    core = Core(engine, clock=lambda: now, settings=Settings(rate_limit=0))  # one person, 1,000 visits
    chat = ChatRef("console", "local", "alice")
    core.handle(Incoming(chat=chat, user="alice", text=f"/visit {names[0]} warm-up"))
    timings, cpu = [], []
    for i, name in enumerate(names):
        msg = Incoming(chat=chat, user="alice", text=f"/visit {name} {TEXTS[i % len(TEXTS)]}", event_id=f"b{i}")
        start, start_cpu = time.perf_counter(), time.thread_time()
        replies = core.handle(msg)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        assert replies and "Sorry" not in replies[0].text, replies
    if args.profile:
        profile_turns(engine, core, chat, fresh or names[:50], now)
    engine.dispose()

    raw = sqlite3.connect(folder / "bench.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw_timings = []
    for i in range(len(names)):
        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO activity (customer_id, user_id, kind, at, summary, created_at) "
                    "VALUES (?, ?, 'visit', ?, ?, ?)", (i + 1, alice, now.isoformat(), TEXTS[i % 5], now.isoformat()))
        raw.execute("COMMIT")
        raw_timings.append((time.perf_counter() - start) * 1000)
    raw.close()
    med, p99 = statistics.median(timings), pct(timings, 99)
    raw_med, raw_p99 = statistics.median(raw_timings), pct(raw_timings, 99)
    print(f"/visit through Core.handle ({len(timings)} commands): median {med:.2f} ms, p99 {p99:.2f} ms "
          f"(goal: median ≤ 3 ms, p99 ≤ 25 ms: {'met' if med <= 3 and p99 <= 25 else 'missed'})")
    print(f"  the same turns in CPU time of the handling thread (what other processes on the machine do not add): "
          f"median {statistics.median(cpu):.2f} ms, p99 {pct(cpu, 99):.2f} ms; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"anchor, raw sqlite3 insert of one activity per transaction: median {raw_med:.3f} ms, p99 {raw_p99:.3f} ms")
    print(f"ratio core/raw: median {med / raw_med:.1f}×, p99 {p99 / raw_p99:.1f}×")


if __name__ == "__main__":
    main()
