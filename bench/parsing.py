"""Benchmark of handlers.parsing.find_when (public 'when' cases) and read_note (public notes) against dateparser.

Run from the repo root: `python bench/parsing.py [--repeat N]`. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ROOT.parent / "shared" / "eval" / "parsing_public.jsonl"
NOTES = ROOT.parent / "shared" / "eval" / "notes_public.jsonl"
sys.path.insert(0, str(ROOT))

FIRST_CALL = """
import time
start = time.perf_counter()
from datetime import datetime
from zoneinfo import ZoneInfo
from handlers.parsing import find_when
imported = time.perf_counter()
find_when({text!r}, datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
done = time.perf_counter()
print(imported - start, done - imported)
"""
MUST_SHOW = "见了采购总监张总，要50台报价，预算30万，下周三下午3点再跟进"
FALLBACK = "deadline is jan 2027 per the CFO"  # read by dateparser: measures its lazy import too


def first_call(text: str) -> tuple[float, float, float]:
    """(import, first call, whole process) seconds of a fresh interpreter."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CALL.format(text=text)], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    wall = time.perf_counter() - start
    imported, called = (float(x) for x in out.split())
    return imported, called, wall


def timings(fn: Callable[[str, datetime], object], cases: list[tuple[str, datetime]], repeat: int) -> list[float]:
    """Per-call seconds of fn over every case, `repeat` times, after one warm-up call."""
    fn(*cases[0])
    samples = []
    for _ in range(repeat):
        for text, now in cases:
            start = time.perf_counter()
            fn(text, now)
            samples.append(time.perf_counter() - start)
    return samples


def shown(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def dateparser_when(text: str, now: datetime) -> date | datetime | None:
    """search_dates' first find, read generously: a time equal to now's or midnight counts as "no time"."""
    from dateparser.search import search_dates

    base = now.replace(tzinfo=None)
    found = search_dates(
        text, languages=["zh", "en"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"}
    )
    if not found:
        return None
    moment = found[0][1]
    if moment.time() in (base.time(), datetime.min.time()):
        return moment.date()
    return moment.replace(tzinfo=now.tzinfo)


def accuracy(fn: Callable[[str, datetime], object], cases: list[tuple[str, datetime, object]]) -> float:
    return sum(shown(fn(text, now)) == expect for text, now, expect in cases) / len(cases)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200, help="passes over the public cases")
    parser.add_argument("--small", action="store_true", help="two passes: seconds")
    args = parser.parse_args()
    if args.small:
        args.repeat = 2
    if not PUBLIC.exists():
        sys.exit(f"public cases not found at {PUBLIC}")
    from handlers.parsing import find_when

    rows = [json.loads(line) for line in PUBLIC.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [(r["text"], datetime.fromisoformat(r["now"]), r["expect"]) for r in rows if r["kind"] == "when"]
    inputs = [(text, now) for text, now, _ in cases]

    print(f"find_when benchmark on {len(cases)} public 'when' cases")
    for label, text in (("typical text", MUST_SHOW), ("text that needs dateparser", FALLBACK)):
        imported, called, wall = first_call(text)
        print(
            f"  first call in a fresh process ({label}): import {ms(imported)} + first call {ms(called)}"
            f" = {ms(imported + called)}; whole process incl. interpreter {ms(wall)}  [goal <= 1500 ms]"
        )

    ours = timings(find_when, inputs, args.repeat)
    theirs = timings(dateparser_when, inputs, max(1, args.repeat // 10))
    p99 = statistics.quantiles(ours, n=100)[98]
    their_p99 = statistics.quantiles(theirs, n=100)[98]
    print(f"  find_when (warm, {len(ours)} calls):      median {ms(statistics.median(ours))}  p99 {ms(p99)}"
          "  [goal median <= 1 ms, p99 <= 5 ms]")
    print(f"  search_dates (warm, {len(theirs)} calls):  median {ms(statistics.median(theirs))}"
          f"  p99 {ms(their_p99)}")
    print(f"  median ratio search_dates / find_when: {statistics.median(theirs) / statistics.median(ours):.1f}x")
    print(f"  accuracy on the 'when' cases: find_when {accuracy(find_when, cases):.1%}, "
          f"search_dates {accuracy(dateparser_when, cases):.1%}")
    if NOTES.exists():
        notes(args.repeat, statistics.median(theirs))


def notes(repeat: int, anchor: float) -> None:
    """read_note per public note, beside search_dates' median measured above in the same run."""
    from handlers.parsing import read_note

    rows = [json.loads(line) for line in NOTES.read_text(encoding="utf-8").splitlines() if line.strip()]
    inputs = [(r["text"], datetime.fromisoformat(r["now"])) for r in rows]
    samples = timings(read_note, inputs, repeat)
    median = statistics.median(samples)
    whole = sum(_note_fields(read_note(text, now)) == r["expect"] for (text, now), r in zip(inputs, rows, strict=True))
    print(f"read_note benchmark on {len(rows)} public notes")
    print(f"  read_note (warm, {len(samples)} calls):      median {ms(median)}"
          f"  p99 {ms(statistics.quantiles(samples, n=100)[98])}  [goal median < 1 ms]")
    print(f"  median ratio search_dates (one date) / read_note (a whole note): {anchor / median:.1f}x")
    print(f"  notes read whole: {whole}/{len(rows)}")


def _note_fields(got: Any) -> dict[str, object]:
    return {
        "person": got.person, "title": got.title,
        "quantity": None if got.quantity is None else [got.quantity.count, got.quantity.unit],
        "amount": None if got.amount is None else str(got.amount), "currency": got.currency,
        "when": shown(got.when), "discount": None if got.discount is None else str(got.discount),
    }


if __name__ == "__main__":
    main()
