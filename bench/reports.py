"""Benchmark: every report's figures (SQL) and its chart (matplotlib) on the demo book, SQLite and PostgreSQL.

    .venv/bin/python bench/reports.py --customers 100000 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/bench

The PostgreSQL database given is wiped (its public schema is dropped). Without --postgres (or
SALESBOT_BENCH_DATABASE_URL) only SQLite runs. `--kinds retention` times one report, `--no-sqlite` skips SQLite:

    .venv/bin/python bench/reports.py --kinds retention --no-sqlite --postgres postgresql+psycopg://...

Anchors, measured in the same run: for the figures, one raw-driver `SELECT count(*), sum(amount) FROM deal`
(the cost of touching every deal once); for a chart, an empty 1000×700 figure saved as PNG.
Goal: every report's figures ≤ 300 ms on each database, every chart ≤ 300 ms (medians).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, insert, text
from sqlmodel import Session, col, select

from handlers.reporting import answer as report_answer
from handlers.reporting import builders, charts
from handlers.reporting.retention import retention_report
from sales import analytics as an
from sales.analytics.periods import parse_period
from sales.demo import load_demo
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Deal, Target, User

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
KINDS = ("pipeline", "funnel", "sources", "reps", "stages", "forecast", "targets", "retention")
GOAL_MS = 300.0


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` calls, after one warm-up call."""
    fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def prepare(engine: Engine, customers: int, period_text: str) -> None:
    """Migrate and load the demo book (with its deals, stage moves and activities) and targets for the period."""
    upgrade(engine)
    t0 = time.perf_counter()
    summary = load_demo(engine, customers=customers, now=NOW)
    period = parse_period(period_text, NOW.date())
    assert period is not None
    with engine.begin() as conn:
        team = conn.execute(select(col(User.team_id)).where(col(User.name) == "bob")).scalar_one()
        ids = dict(conn.execute(select(col(User.name), col(User.id))).all())
        conn.execute(insert(Target), [{"team_id": team, "user_id": None, "period": period.key, "amount": 3e8}] +
                     [{"team_id": team, "user_id": ids[n], "period": period.key, "amount": a}
                      for n, a in (("alice", 1.5e8), ("dave", 1.2e8), ("bob", 3e7))])
        conn.execute(text("ANALYZE"))  # planner statistics, as a database in use would have
    print(f"  loaded {summary} in {time.perf_counter() - t0:.0f}s")


def anchor_ms(engine: Engine, repeat: int) -> float:
    """Median ms of one raw-driver scan of every deal."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()

        def scan() -> None:
            cur.execute("SELECT count(*), sum(amount) FROM deal")
            cur.fetchall()

        return statistics.median(timed(scan, repeat))
    finally:
        raw.close()


def bench_db(label: str, engine: Engine, who: str, period_text: str, repeat: int,
             kinds: tuple[str, ...] = KINDS) -> list[tuple[str, float, float]]:
    """(report, median figures ms, median chart ms) for each report as `who` sees it."""
    period = parse_period(period_text, NOW.date())
    assert period is not None, period_text
    rows = []
    with Session(engine) as s:
        me = s.exec(select(User).where(col(User.name) == who)).one()
        role = me.role
        s.exec(select(Deal).limit(1)).all()
        scope = an.scope_for(me)
        for kind in kinds:
            def figures(kind: str = kind) -> report_answer.Answer:
                if kind == "pipeline":
                    return builders.pipeline_report(s, scope, "zh", "bench")
                if kind == "retention":
                    return retention_report(s, scope, period, "zh", "Asia/Shanghai", now=NOW)[0]
                return builders.build(s, kind, scope, period, "zh", "Asia/Shanghai")

            q = timed(figures, repeat)
            answer = figures()
            draw = answer.draw
            c = timed(draw, max(3, repeat // 2)) if draw is not None else [float("nan")]
            rows.append((kind, statistics.median(q), statistics.median(c)))
            s.rollback()  # SQLite: let the next report start a fresh read
    anchor = anchor_ms(engine, repeat)
    print(f"\n{label} — as {who} ({role}), period {period.key}; anchor: raw scan of all deals {anchor:.2f} ms")
    print(f"  {'report':<10}{'figures ms':>12}{'× anchor':>10}{'chart ms':>11}")
    for kind, qms, cms in rows:
        print(f"  {kind:<10}{qms:>12.1f}{qms / anchor:>10.1f}{cms:>11.1f}")
    return rows


def chart_anchor_ms(repeat: int) -> float:
    """Median ms of saving an empty 1000×700 figure as PNG (the floor of any chart)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def empty() -> None:
        fig = Figure(figsize=charts.SIZE, dpi=charts.DPI)
        FigureCanvasAgg(fig)
        fig.add_subplot()
        fig.savefig(os.devnull, format="png")

    return statistics.median(timed(empty, repeat))


def main() -> None:
    """Load the demo book into SQLite (and PostgreSQL), then time each report's figures and chart."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--postgres", default=os.environ.get("SALESBOT_BENCH_DATABASE_URL"),
                    help="a PostgreSQL URL whose database may be wiped")
    ap.add_argument("--who", default="bob", help="whose view: bob (manager, team), carol (admin), alice (rep)")
    ap.add_argument("--period", default="this quarter")
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--small", action="store_true", help="500 customers, one pass: seconds")
    ap.add_argument("--kinds", default=",".join(KINDS), help="the reports to time, comma-separated (default: all)")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (skip loading the book into SQLite)")
    args = ap.parse_args()
    kinds = tuple(k for k in args.kinds.split(",") if k)
    if unknown := [k for k in kinds if k not in KINDS]:
        ap.error(f"unknown kinds {unknown}; known: {', '.join(KINDS)}")
    if args.small:
        args.customers, args.repeat = 500, 1

    t0 = time.perf_counter()
    charts.cjk_font()
    print(f"CJK font: {charts.cjk_font()} (found in {(time.perf_counter() - t0) * 1000:.0f} ms)")
    results: dict[str, list[tuple[str, float, float]]] = {}
    folder = Path(tempfile.mkdtemp(prefix="salesbot-bench-reports-"))
    if not args.no_sqlite:
        print(f"SQLite, {args.customers:,} customers:")
        engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
        prepare(engine, args.customers, args.period)
        results["SQLite"] = bench_db("SQLite", engine, args.who, args.period, args.repeat, kinds)
        engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    if args.postgres:
        print(f"\nPostgreSQL, {args.customers:,} customers:")
        engine = make_engine(args.postgres)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        prepare(engine, args.customers, args.period)
        results["PostgreSQL"] = bench_db("PostgreSQL", engine, args.who, args.period, args.repeat, kinds)
        engine.dispose()
    else:
        print("\nPostgreSQL skipped: pass --postgres URL (or set SALESBOT_BENCH_DATABASE_URL)")

    chart_anchor = chart_anchor_ms(args.repeat)
    print(f"\nchart anchor: an empty 1000×700 figure saved as PNG, median {chart_anchor:.1f} ms")
    if not results:
        print("nothing measured: --no-sqlite without --postgres")
        return
    worst_q = max(q for rows in results.values() for _, q, _ in rows)
    worst_c = max((c for rows in results.values() for _, _, c in rows if c == c), default=0.0)  # nan: no chart
    print(f"worst figures median {worst_q:.1f} ms, worst chart median {worst_c:.1f} ms "
          f"({worst_c / chart_anchor:.1f}× the chart anchor); goal ≤ {GOAL_MS:.0f} ms each: "
          f"{'met' if max(worst_q, worst_c) <= GOAL_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
