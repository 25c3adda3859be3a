"""Benchmark: imports a generated 100,000-row customer sheet, beside python-calamine's bare read.

    .venv/bin/python bench/importing.py [--rows 100000] [--db sqlite|URL] [--repeat 5]

Each run is a fresh process (as `salesbot import` is) on a fresh database and also times python-calamine's bare
read (open + to_python), the anchor. The report closes with the median of --repeat runs, their spread (min–max)
and the ratio to the bare read. Goal: ≤ 3× the read and ≤ 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import Engine, text
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sales import imports
from sales.demo import company_names
from sales.imports import Options
from sales.names.pinyin import romanize
from storage.db import make_engine, session_factory, transaction
from storage.migrate import upgrade
from storage.models import Customer, Team, User

HEADERS = ["序号", "客户名称", "所属行业", "联系人", "职位", "联系方式", "客户分级", "核心需求", "历史合作金额(万元)",
           "负责人", "最后跟进时间"]
MOBILE = ("138", "139", "135", "136", "137", "150", "151", "158", "186", "187", "188", "177", "199")


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """A messy but valid sheet: phones in several formats, dates as text/serials/dates, amounts in 万元."""
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    ws = book.create_sheet("客户信息基础表")
    ws.append(HEADERS)
    for i, (name, industry) in enumerate(company_names(rows, seed=seed), start=1):
        digits = rng.choice(MOBILE) + f"{i * 7919 % 100_000_000:08d}"  # unique: one phone, one company
        phone = rng.choice((digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}"))
        day = datetime(2023, rng.randint(1, 12), rng.randint(1, 28))
        when = rng.choice((day.strftime("%Y-%m-%d"), day.strftime("%Y/%m/%d"), day.date(), f"{day.year}年{day.month}月{day.day}日"))
        ws.append([i, name, industry, rng.choice("张王李赵刘陈") + rng.choice("伟芳娜磊洋静"), "采购经理", phone,
                   rng.choice("ABC"), "降低采购成本", rng.randint(1, 500), rng.choice(("李娜", "赵磊", "Zhao Lei")), when])
    book.save(path)


def bare_read(path: Path) -> float:
    started = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert len(rows) > 1
    return time.perf_counter() - started


def fresh_database(url: str) -> Engine:
    """A migrated database holding the importer (admin) and the two reps the sheet names."""
    engine = make_engine(url)
    if not url.startswith("sqlite"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        team = Team(name="bench", created_at=datetime.now(UTC))
        s.add(team)
        s.flush()
        s.add_all([User(team_id=team.id, name=n, role=r, created_at=team.created_at)
                   for n, r in (("admin", "admin"), ("李娜", "rep"), ("赵磊", "rep"))])
    return engine


def run_once(sheet: Path, url: str, rows: int) -> tuple[float, float]:
    """(bare read, whole import) in seconds, each measured in this run."""
    engine = fresh_database(url)
    factory = session_factory(engine)
    read = min(bare_read(sheet) for _ in range(2))
    data = sheet.read_bytes()
    now = datetime.now(UTC)
    started = time.perf_counter()
    with transaction(factory) as s:
        me = s.exec(select(User).where(User.name == "admin")).one()
        plan = imports.import_file(s, data=data, file_name=sheet.name, by=me, now=now,
                                     options=Options(tz="Asia/Shanghai"))
    whole = time.perf_counter() - started
    with factory() as s:
        stored = len(s.exec(select(Customer.id)).all())
        spelled = s.exec(select(Customer.name_key, Customer.pinyin, Customer.initials).order_by(text("random()"))
                         .limit(500)).all()
    assert stored == plan.counts["customer.created"] == rows, (stored, dict(plan.counts))
    assert all((py, ini) == romanize(key) for key, py, ini in spelled), "names stored without their pinyin"
    print(f"{engine.dialect.name}: bare read {read:.2f}s, whole import {whole:.2f}s ({rows / whole:,.0f} rows/s), "
          f"{plan.counts['customer.created']:,} customers + {plan.counts['contact.created']:,} contacts, "
          f"{len(plan.suspects):,} look-alikes listed, {whole / read:.1f}x", flush=True)
    engine.dispose()
    return read, whole


def in_a_process(sheet: Path, url: str, rows: int) -> tuple[float, float]:
    """One run in a fresh process: (bare read, whole import)."""
    args = [sys.executable, __file__, "--one", str(sheet), "--db", url, "--rows", str(rows)]
    done = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True)
    *shown, last = done.stdout.strip().splitlines()
    for line in shown:
        print(f"  {line}", flush=True)
    read, whole = json.loads(last)
    return float(read), float(whole)


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}s (spread {max(values) - min(values):.2f}s)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--repeat", type=int, default=5, help="runs, each on a fresh database")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a single run in this process (a child)
    parser.add_argument("--small", action="store_true", help="2,000 rows, one run: seconds")
    args = parser.parse_args()
    if args.small and not args.one:
        args.rows, args.repeat = 2_000, 1
    if args.one:
        print(json.dumps(run_once(args.one, args.db, args.rows)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "customers.xlsx"
        t0 = time.perf_counter()
        generate(sheet, args.rows)
        print(f"generated {args.rows:,} rows ({sheet.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f}s; "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        runs = []
        for n in range(args.repeat):
            url = f"sqlite:///{Path(tmp) / f'bench-{n}.db'}" if args.db == "sqlite" else args.db
            runs.append(in_a_process(sheet, url, args.rows))
    reads, wholes = [r for r, _ in runs], [w for _, w in runs]
    whole = statistics.median(wholes)
    print(f"median of {args.repeat} ({args.rows:,} rows, {args.db.split(':')[0]}; "
          f"load average {os.getloadavg()[0]:.2f}):")
    print(f"  bare calamine read: {statistics.median(reads):.2f}s, {spread(reads)}")
    print(f"  whole import: {whole:.2f}s ({args.rows / whole:,.0f} rows/s), {spread(wholes)}, "
          f"{statistics.median(w / r for r, w in runs):.1f}x the bare read (goal ≤ 3x); "
          f"goal ≤ 60 s: {'met' if whole <= 60 else 'missed'}")


if __name__ == "__main__":
    main()
