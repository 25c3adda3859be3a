"""The streaming xlsx writer: what openpyxl and python-calamine read back; the export benchmark's small mode."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from sales.exporting import write
from sales.xlsx import write_xlsx

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    ["华东科技", date(2026, 11, 3), datetime(2026, 11, 3, 14, 30), Decimal("1234.50"), 7, None, "=1+1"],
    [" padded ", None, None, 0.25, True, "a<b>&c\x01d", "-5"],
]


def test_openpyxl_and_calamine_read_what_was_written() -> None:
    data, n = write(["客户名称", "日期", "时间", "金额", "次数", "备注", "公式"], iter(ROWS), "xlsx", sheet="跟进记录")
    assert n == 2
    for read_only in (False, True):
        book = load_workbook(io.BytesIO(data), read_only=read_only)
        ws = book["跟进记录"]
        got = [list(r) for r in ws.iter_rows(values_only=True)]
        assert got[0] == ["客户名称", "日期", "时间", "金额", "次数", "备注", "公式"]
        assert got[1][:5] == ["华东科技", datetime(2026, 11, 3), datetime(2026, 11, 3, 14, 30), 1234.5, 7]
        assert got[1][6] == "'=1+1"  # never run as a formula
        assert got[2][0] == " padded " and got[2][5] == "a<b>&cd" and got[2][6] == "'-5"
    grid = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("跟进记录").to_python()
    assert grid[1][0] == "华东科技" and grid[1][1] == date(2026, 11, 3) and grid[1][3] == 1234.5


def test_a_row_wider_than_the_header_is_written_whole() -> None:
    out = io.BytesIO()
    assert write_xlsx(out, ["a"], [["x", "y", "z"]]) == 1
    grid = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0).to_python()
    assert grid[1] == ["x", "y", "z"]


@pytest.mark.slow
def test_the_export_benchmark_runs_small() -> None:
    out = subprocess.run([sys.executable, "bench/export.py", "--small"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "/export activities csv" in out.stdout and "/export activities xlsx" in out.stdout
