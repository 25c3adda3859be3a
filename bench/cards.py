"""Benchmark sales.cards.read_card over ../shared/eval/cards (run: python bench/cards.py [--quick]).

Prints the median time per card (goal 1.5 s on the 2-core machine) beside the anchor measured in the same
run: the bare OCR call (sales.cards.ocr.see on the decoded picture, no field extraction, no second pass);
and the memory the OCR model adds to the process (RSS before and after loading, after reading; goal 300 MB).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EVAL = Path(os.environ.get("SALESBOT_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "eval" / "cards"


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def photos(quick: bool) -> list[tuple[str, bytes]]:
    """The eval cards (three of them with --quick), or synthetic ones when ../shared is absent."""
    if EVAL.is_dir():
        files = sorted(EVAL.glob("*.jpg"))[: 3 if quick else None]
        return [(f.name, f.read_bytes()) for f in files]
    print(f"{EVAL} is absent: synthetic cards from tests/sales/cardgen.py instead")
    from tests.sales import cardgen

    return [(f"synthetic {i}", s.data) for i, s in enumerate(cardgen.cards(seed=1, count=3 if quick else 10))]


def main() -> None:
    """Load the model, time the reads and the anchor, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", "--small", action="store_true", help="three cards, one round: seconds, not minutes")
    parser.add_argument("--rounds", type=int, default=3, help="times each card is read (default 3)")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    cards = photos(args.quick)

    bare_process = rss_mb()
    # What a salesbot process holds anyway (SQLModel, the tables, phonenumbers' CN metadata) is not the model's.
    from sales.cards import CardReading, read_card, warm_up
    from sales.cards.fields import read_lines
    from sales.cards.image import load
    from sales.cards.ocr import see
    from sales.cards.types import Line

    read_lines([Line("手机 138 0013 8000", (0, 0, 100, 20), 1.0)])
    before = rss_mb()
    print(f"RSS {bare_process:.0f} MB bare, {before:.0f} MB with salesbot's own modules (the baseline below)")

    load_s, _ = timed(warm_up)
    loaded = rss_mb()
    print(f"model: loaded in {load_s:.2f} s; RSS {before:.0f} MB before, {loaded:.0f} MB after "
          f"(+{loaded - before:.0f} MB)")

    ours: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    for _ in range(rounds):
        for name, data in cards:
            bare.append(timed(lambda data=data: see(load(data))))
            got: list[object] = []
            ours.append(timed(lambda data=data, got=got: got.append(read_card(data))))
            if not isinstance(got[0], CardReading):
                print(f"  {name}: not read as a card ({got[0]})")
    after = rss_mb()
    print(f"after {len(ours)} reads: RSS {after:.0f} MB (+{after - before:.0f} MB over the baseline), "
          f"peak {peak_mb():.0f} MB (+{peak_mb() - before:.0f} MB)")

    wall, cpu = statistics.median(w for w, _ in ours), statistics.median(c for _, c in ours)
    anchor_wall, anchor_cpu = statistics.median(w for w, _ in bare), statistics.median(c for _, c in bare)
    print(f"\n{'per card':<34}{'median s':>10}{'max s':>8}{'CPU s':>8}")
    print(f"{'read_card':<34}{wall:>10.3f}{max(w for w, _ in ours):>8.3f}{cpu:>8.3f}")
    print(f"{'anchor: bare OCR call (same run)':<34}{anchor_wall:>10.3f}{max(w for w, _ in bare):>8.3f}"
          f"{anchor_cpu:>8.3f}")
    print(f"ours / anchor: {wall / anchor_wall:.2f} (wall), {cpu / anchor_cpu:.2f} (CPU); "
          f"goal: median ≤ 1.5 s, model ≤ 300 MB")
    load1, _, _ = os.getloadavg()
    print(f"{len(cards)} cards x {rounds} rounds on {os.cpu_count()} cores, load average {load1:.1f} "
          "(other processes slow the wall time; CPU s counts both ONNX threads)")


if __name__ == "__main__":
    main()
