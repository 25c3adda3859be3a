"""Benchmark: claiming and delivering 10,000 due reminders to a stand-in sender with no rate limit.

On SQLite (a temporary file) and, given --pg URL (or SALESBOT_BENCH_DATABASE_URL), on PostgreSQL: that
database's schema is dropped and rebuilt. Each round creates 10,000 due follow-ups, plans their reminders
(timed apart), then times the clock's sweep (claim in batches, check, write outbox rows, mark done) and
the delivery passes (claim outbox rows, send, mark each sent in its own transaction), and reports
reminders per second, median of the rounds.

Anchor, measured in the same run on the same database: the same row work done with the raw driver
(sqlite3 / psycopg): one UPDATE … RETURNING per 500 reminders, one multi-row INSERT of their outbox rows,
then one UPDATE … RETURNING per 200 outbox rows and one transaction per message to mark it sent (on
PostgreSQL autocommitted with synchronous_commit off, as bot.delivery does).
Goal: ≥ 2,000 reminders per second end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, func, insert, select, text

from bot.clock import ReminderClock
from bot.run import deliver_all
from handlers.context import Settings
from handlers.types import ChatRef, Reply
from sales.demo import seed_due_followups
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import FollowUp, Reminder

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai: no quiet hour, a working day


def fresh(url: str) -> Engine:
    """An empty, migrated database at `url`."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


def seed(engine: Engine, n: int, users: int = 10) -> None:
    """A team, `users` reps with console chats, 100 customers and `n` follow-ups due in the last hour."""
    with engine.begin() as conn:
        for table in ("outbox", "reminder", "followup", "customer", "chatidentity", "user", "team"):
            conn.execute(text(f'DELETE FROM "{table}"'))
    seed_due_followups(engine, n=n, now=NOW, users=users, team="Bench")


async def _nothing(to: ChatRef, reply: Reply) -> None:
    return None


def round_salesbot(engine: Engine, n: int) -> tuple[float, float, float]:
    """One round through salesbot's code: seconds to plan, to claim and enqueue, to deliver."""
    seed(engine, n)
    rc = ReminderClock(engine, now=lambda: NOW, settings=Settings(), worker="bench", batch=500)
    t0 = time.perf_counter()
    planned = rc.plan(digests=False)
    t1 = time.perf_counter()
    swept = rc.enqueue_due()
    t2 = time.perf_counter()
    sent = asyncio.run(deliver_all(engine, {"console": _nothing}, lambda: NOW, limit=200))
    t3 = time.perf_counter()
    assert planned == n and swept.enqueued == n and sent == n, (planned, swept, sent)
    return t1 - t0, t2 - t1, t3 - t2


def round_raw(engine: Engine, n: int) -> float:
    """The anchor: the same claims, inserts and per-message marks with the raw driver; seconds."""
    seed(engine, n)
    with engine.begin() as conn:
        fus = conn.execute(select(FollowUp.id, FollowUp.owner_id)).all()
        conn.execute(insert(Reminder), [dict(kind="followup", dedupe_key=f"fu:{i}", due_at=NOW, user_id=u,
                                             payload="{}", status="pending", created_at=NOW) for i, u in fus])
        assert conn.execute(select(func.count()).select_from(Reminder)).scalar_one() == n
    pg = engine.dialect.name == "postgresql"
    if pg:
        import psycopg

        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        raw: Any = psycopg.connect(url, autocommit=True)
        ph, lock, now = "%s", " FOR UPDATE SKIP LOCKED", NOW
    else:
        raw = sqlite3.connect(str(engine.url.database), isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
        ph, lock, now = "?", "", NOW.replace(tzinfo=None).isoformat(" ")
    begin = "BEGIN" if pg else "BEGIN IMMEDIATE"
    start = time.perf_counter()
    while True:
        raw.execute(begin)
        got = raw.execute(f"UPDATE reminder SET status = 'claimed', claimed_by = 'raw' WHERE id IN (SELECT id FROM "
                          f"reminder WHERE status = 'pending' ORDER BY due_at, id LIMIT 500{lock}) "
                          f"RETURNING id, user_id").fetchall()
        raw.execute("COMMIT")
        if not got:
            break
        raw.execute(begin)
        raw.cursor().executemany(f"INSERT INTO outbox (platform, workspace, chat, user_id, payload, status, attempts, "
                        f"next_attempt_at, created_at) VALUES ('console', 'local', 'x', {ph}, '{{\"text\": \"t\"}}', "
                        f"'pending', 0, {ph}, {ph})", [(u, now, now) for _, u in got])
        raw.execute(f"UPDATE reminder SET status = 'done' WHERE id IN ({','.join(str(i) for i, _ in got)})")
        raw.execute("COMMIT")
    if pg:  # as salesbot marks: each its own autocommitted statement, not waiting for the WAL flush
        raw.execute("SET synchronous_commit TO OFF")
    while True:
        raw.execute(begin)
        rows = raw.execute(f"UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN (SELECT id "
                           f"FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 200{lock}) RETURNING id").fetchall()
        raw.execute("COMMIT")
        if not rows:
            break
        for (oid,) in rows:
            if not pg:
                raw.execute(begin)
            raw.execute(f"UPDATE outbox SET status = 'sent', sent_at = {ph} WHERE id = {ph}", (now, oid))
            if not pg:
                raw.execute("COMMIT")
    took = time.perf_counter() - start
    raw.close()
    return took


def bench(name: str, url: str, n: int, rounds: int) -> None:
    """Rounds of salesbot and of the anchor on one database; prints medians."""
    engine = fresh(url)
    plans, sweeps, deliveries, totals, anchors = [], [], [], [], []
    for _ in range(rounds):
        p, s, d = round_salesbot(engine, n)
        plans.append(p)
        sweeps.append(s)
        deliveries.append(d)
        totals.append(s + d)
        anchors.append(round_raw(engine, n))
    engine.dispose()
    med = statistics.median
    rate, anchor = n / med(totals), n / med(anchors)
    print(f"{name}: {n:,} reminders, median of {rounds}: claim+enqueue {med(sweeps):.2f}s, deliver {med(deliveries):.2f}s"
          f" → {rate:,.0f} reminders/s (goal ≥ 2,000/s: {'met' if rate >= 2000 else 'NOT met'}); "
          f"planning them took {med(plans):.2f}s ({n / med(plans):,.0f}/s)")
    print(f"  anchor, raw driver doing the same claims, inserts and per-message marks: {anchor:,.0f}/s "
          f"(median {med(anchors):.2f}s); salesbot/anchor time ratio {med(totals) / med(anchors):.1f}×")


def main() -> None:
    """SQLite always; PostgreSQL when a URL is given."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--reminders", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pg", default=os.environ.get("SALESBOT_BENCH_DATABASE_URL"),
                    help="a PostgreSQL URL whose schema may be dropped")
    ap.add_argument("--small", action="store_true", help="300 reminders, one round: seconds")
    args = ap.parse_args()
    if args.small:
        args.reminders, args.rounds = 300, 1
    folder = Path(tempfile.mkdtemp(prefix="salesbot-bench-clock-"))
    bench("SQLite", f"sqlite:///{folder / 'bench.db'}", args.reminders, args.rounds)
    if args.pg:
        bench("PostgreSQL", args.pg, args.reminders, args.rounds)
    else:
        print("PostgreSQL: skipped (give --pg URL or SALESBOT_BENCH_DATABASE_URL; its schema is dropped)")


if __name__ == "__main__":
    main()
