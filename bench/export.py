"""Benchmark: `/export activities` of 400,000 activities as CSV and as xlsx, streamed.

    .venv/bin/python bench/export.py [--activities 400000] [--db sqlite|URL] [--small]

Fills a fresh database (SQLite in a temporary folder unless --db gives a PostgreSQL URL, whose tables are
emptied first) with customers and activities, then times sales.exporting.export as an admin sees it, the way
/export runs it. Goals: CSV under 5 s, xlsx under 15 s. --small: 5,000 activities, seconds, for CI.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sales import exporting
from sales.imports.write import bulk_insert, reserve_ids
from storage.db import make_engine, session_factory, transaction
from storage.migrate import upgrade
from storage.models import Activity, Customer, Team, User

GOALS = {"csv": 5.0, "xlsx": 15.0}


def fill(engine: Engine, activities: int, seed: int = 1) -> User:
    """A team, an admin, a customer per 200 activities, and the activities."""
    rng = random.Random(seed)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with transaction(session_factory(engine)) as s:
        team = Team(name="bench", created_at=now)
        s.add(team)
        s.flush()
        me = User(team_id=team.id, name="admin", role="admin", created_at=now)
        s.add(me)
        s.flush()
        n_cust = max(1, activities // 200)
        ids = reserve_ids(s, "customer", n_cust)
        bulk_insert(s, Customer, [dict(id=i, team_id=team.id, name=f"客户{i:06d}有限公司", name_key=f"客户{i:06d}",
                                       owner_id=me.id, created_at=now, updated_at=now) for i in ids])
        kinds = ("visit", "call", "email", "meeting", "note")
        bulk_insert(s, Activity, [dict(
            customer_id=rng.choice(ids), user_id=me.id, kind=rng.choice(kinds),
            at=now - timedelta(minutes=rng.randrange(0, 525_600)), summary=f"跟进第{k}次：讨论报价与交付时间",
            feedback="对方案感兴趣" if k % 3 else None, next_step="下周发合同" if k % 4 == 0 else None,
            duration_min=rng.choice((None, 15, 30, 60)), created_at=now) for k in range(activities)])
        s.expunge(me)
        return me


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--activities", type=int, default=400_000)
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("--small", action="store_true", help="5,000 activities: seconds, for CI")
    args = ap.parse_args()
    n = 5_000 if args.small else args.activities
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}" if args.db == "sqlite" else args.db
        engine = make_engine(url)
        upgrade(engine)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE activity, customer, \"user\", team RESTART IDENTITY CASCADE"))
        t = time.perf_counter()
        me = fill(engine, n)
        print(f"{engine.dialect.name}: {n:,} activities stored in {time.perf_counter() - t:.1f} s")
        ok = True
        for fmt in ("csv", "xlsx"):
            with Session(engine) as s:
                t, cpu = time.perf_counter(), time.process_time()
                data, rows = exporting.export(s, what="activities", user=me, tz=ZoneInfo("Asia/Shanghai"), lang="zh",
                                              fmt=fmt)
                took, cpu = time.perf_counter() - t, time.process_time() - cpu
            assert rows == n, (rows, n)
            goal = GOALS[fmt] * n / 400_000
            ok = ok and took <= goal
            print(f"  /export activities {fmt}: {took:.2f} s ({cpu:.2f} s of CPU) for {rows:,} rows, "
                  f"{len(data) / 1e6:.1f} MB ({rows / took:,.0f} rows/s; goal {GOALS[fmt]:.0f} s for 400,000)")
        engine.dispose()
    print(("goals met" if ok else "goals missed") + f" (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
