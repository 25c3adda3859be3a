"""Every script in bench/ runs in its small mode (seconds) and prints its figures, so no benchmark breaks
unnoticed. The full runs are by hand (README, Benchmarks)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "bench"
# what each script prints when it measured something
FIGURES = {
    "cards.py": "per card",
    "clock.py": "reminders/s",
    "core.py": "/visit through Core.handle",
    "export.py": "/export activities",
    "importing.py": "whole import",
    "names.py": "all random queries",
    "parsing.py": "read_note",
    "reports.py": "ms",
    "startup.py": "first fuzzy lookup",
}


def test_every_bench_script_is_listed() -> None:
    assert sorted(p.name for p in BENCH.glob("*.py")) == sorted(FIGURES)


@pytest.mark.parametrize("script", sorted(FIGURES))
def test_bench_script_runs_small(script: str) -> None:
    if script == "parsing.py" and not (ROOT.parent / "shared" / "eval" / "parsing_public.jsonl").exists():
        pytest.skip("bench/parsing.py reads ../shared/eval/parsing_public.jsonl, absent here")
    done = subprocess.run([sys.executable, str(BENCH / script), "--small"], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{script} --small failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert FIGURES[script] in done.stdout, done.stdout[-2000:]
    assert any(ch.isdigit() for ch in done.stdout)
