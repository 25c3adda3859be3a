"""Benchmark: how long a newcomer waits. Medians of fresh processes beside `python -c pass` measured in the
same run (the anchor: what any Python program pays), and each figure's distance from it.

- `salesbot --help` (goal: within 0.3 s of the anchor);
- `salesbot chat` with one piped line, until its first reply is printed (goal: within 1 s of the anchor);
- the first chart of a process, cold and after the warm-up `salesbot run` starts (goal: ≤ 0.4 s);
- the first fuzzy name lookup of a process on 100,000 customers, cold and warmed (goal: ≤ 0.2 s).

Run: `python bench/startup.py` (about a minute: the 100,000-customer book is generated first);
`--small` uses a 300-customer book and one run (seconds; tests/processes/test_bench.py runs it).
`python -X importtime -m bot.cli chat < line.txt 2> imports.txt` shows where the start-up goes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
LINE = "@alice: /today\n"

# One fresh process: time the first chart (cold, or after the serve-start warm-up has finished).
CHART = """
import json, sys, time
warm = sys.argv[1] == "warm"
started = time.perf_counter()
from handlers.reporting import charts
if warm:
    from handlers import warm as w
    w.warm_charts()
t0 = time.perf_counter()
charts.bars("本月各销售赢单", [charts.Bar("alice", 300000.0, note="¥300,000"), charts.Bar("dave", 120000.0)], "zh")
print(json.dumps({"first_chart": time.perf_counter() - t0, "warm_up": t0 - started}))
"""

# One fresh process: time the first fuzzy lookup (a typo: neither the exact key nor a prefix finds it).
LOOKUP = """
import json, sys, time
from sqlmodel import Session, select
from storage.db import make_engine
from storage.models import Customer, User
from sales.names.directory import find_customers
warm = sys.argv[2] == "warm"
engine = make_engine(sys.argv[1])
started = time.perf_counter()
if warm:
    from handlers import warm as w
    w.warm_names(engine)
with Session(engine) as s:
    carol = s.exec(select(User).where(User.name == "carol")).one()
    name = s.exec(select(Customer.name).order_by(Customer.id.desc())).first()
    typo = name[:2] + "x" + name[3:]
    t0, c0 = time.perf_counter(), time.process_time()
    found = find_customers(s, user=carol, query=typo)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"first_lookup": took, "cpu": cpu, "warm_up": t0 - started, "found": bool(found), "query": typo}))
"""


CPU: dict[int, list[float]] = {}  # the CPU seconds (user + system) of each measured process, by list id


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], env: dict[str, str], stdin: str | None = None, into: list[float] | None = None) -> float:
    """Seconds a process takes from start to exit (its CPU seconds go to CPU[id(into)])."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - start
    if into is not None:
        CPU.setdefault(id(into), []).append(_children_cpu() - cpu0)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return took


def first_reply(args: list[str], env: dict[str, str], into: list[float]) -> float:
    """Seconds from the start of `salesbot chat` to its first reply line (→ …) on stdout."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(LINE)
    proc.stdin.close()
    took = None
    for line in proc.stdout:
        if line.startswith("→ "):
            took = time.perf_counter() - start
            break
    proc.stdout.read()
    err = proc.stderr.read() if proc.stderr else ""
    if proc.wait() != 0 or took is None:
        raise SystemExit(f"salesbot chat gave no reply ({proc.returncode}):\n{err[-2000:]}")
    CPU.setdefault(id(into), []).append(_children_cpu() - cpu0)  # the whole process: its reply and its exit
    return took


def child(code: str, *args: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run([PY, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-2000:]}")
    out: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="300 customers, one run: seconds")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--customers", type=int, default=None)
    args = ap.parse_args()
    runs = args.runs or (1 if args.small else 5)
    customers = args.customers or (300 if args.small else 100_000)
    exe = Path(PY).parent / "salesbot"
    salesbot = [str(exe)] if exe.exists() else [PY, "-m", "bot.cli"]
    folder = Path(tempfile.mkdtemp(prefix="salesbot-startup-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'chat.db'}", "SALESBOT_NOW": "2026-11-22T10:00:00+08:00",
           "PYTHONPATH": str(ROOT)}
    # Measured as a newcomer's second start finds it: with the bytecode the first one wrote (pip compiles the
    # installed packages; a checkout's own modules are compiled at their first import).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    timed([*salesbot, "demo"], env)
    first_reply([*salesbot, "chat"], env, [])
    book = f"sqlite:///{folder / 'book.db'}"
    from sales.demo import load_demo
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(book)
    upgrade(engine)
    t0 = time.perf_counter()
    load_demo(engine, customers=customers, now=datetime(2026, 11, 22, 2, tzinfo=UTC), activities_per_customer=1)
    engine.dispose()
    print(f"books: the demo team (200 customers) for the chat; {customers:,} customers for the lookup "
          f"({time.perf_counter() - t0:.1f} s to generate); {runs} runs each, interleaved with the anchor")

    anchor: list[float] = []
    helps: list[float] = []
    chats: list[float] = []
    charts_cold, charts_warm, lookups_cold, lookups_warm, lookups_cpu = [], [], [], [], []
    for _ in range(runs):
        anchor.append(timed([PY, "-c", "pass"], env, into=anchor))
        helps.append(timed([*salesbot, "--help"], env, into=helps))
        chats.append(first_reply([*salesbot, "chat"], env, into=chats))
        charts_cold.append(child(CHART, "cold", env=env)["first_chart"])
        charts_warm.append(child(CHART, "warm", env=env)["first_chart"])
        cold = child(LOOKUP, book, "cold", env=env)
        warmed = child(LOOKUP, book, "warm", env=env)
        assert cold["found"] and warmed["found"], (cold, warmed)
        lookups_cold.append(cold["first_lookup"])
        lookups_warm.append(warmed["first_lookup"])
        lookups_cpu.append(warmed["cpu"])
    a = statistics.median(anchor)
    h, c = statistics.median(helps), statistics.median(chats)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"anchor `python -c pass`: median {med(anchor)}")
    print(f"`salesbot --help`: median {med(helps)}, {h - a:+.3f} s beside the anchor, {h / a:.1f}× "
          f"(goal: within 0.3 s: {'met' if h - a <= 0.3 else 'missed'})")
    print(f"`salesbot chat`, first reply to one piped line: median {med(chats)}, {c - a:+.3f} s beside the anchor, "
          f"{c / a:.1f}× (goal: within 1 s: {'met' if c - a <= 1.0 else 'missed'})")
    cw = statistics.median(charts_warm)
    ca, ch, cc = (statistics.median(CPU[id(x)]) for x in (anchor, helps, chats))
    print(f"  the same in CPU seconds (user + system; what the other processes on the machine add least to): "
          f"anchor {ca:.3f} s, --help {ch:.3f} s ({ch - ca:+.3f}), chat to its exit {cc:.3f} s ({cc - ca:+.3f})")
    print(f"first chart of a process: cold {med(charts_cold)}; after the serve-start warm-up {med(charts_warm)} "
          f"(goal: ≤ 0.4 s: {'met' if cw <= 0.4 else 'missed'})")
    lw = statistics.median(lookups_warm)
    print(f"first fuzzy lookup on {customers:,} customers: cold {med(lookups_cold)}; after the warm-up "
          f"{med(lookups_warm)}, {statistics.median(lookups_cpu):.3f} CPU s (goal: ≤ 0.2 s: {'met' if lw <= 0.2 else 'missed'})")
    print(f"load average at the end: {load} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
