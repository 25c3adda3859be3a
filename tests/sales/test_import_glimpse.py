"""The work done on an xlsx sheet's XML while calamine parses it: it reads what calamine reads, and an import
with it plans exactly what an import without it plans."""

from __future__ import annotations

import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import Engine
from sqlmodel import select

from sales import imports
from sales.imports import Options
from sales.imports.read import column_index
from sales.imports.speed import forked
from sales.imports.speed import warm as importing_warm
from sales.imports.speed.glimpse import column_letters, glimpse
from storage.db import session_factory
from storage.models import Customer
from tests.conftest import FakeClock, shared_file
from tests.sales.test_import import run, team

SH = Options(tz="Asia/Shanghai")


def book(rows: list[list[object]]) -> bytes:
    """An xlsx file as openpyxl writes it (inline strings in write-only mode, shared strings otherwise)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "客户"
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def calamine_texts(data: bytes, sheet: str) -> list[set[str]]:
    """The text cells of each column as calamine reads them."""
    grid = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    width = max(map(len, grid), default=0)
    return [{r[c] for r in grid if c < len(r) and isinstance(r[c], str) and r[c]} for c in range(width)]


@given(st.integers(min_value=0, max_value=18_277))
def test_column_letters_and_numbers_agree(col: int) -> None:
    assert column_index(column_letters(col)) == col


def test_columns_read_from_the_xml_are_calamines_text() -> None:
    rows: list[list[object]] = [["客户名称", "联系方式", "金额"], ["华东科技 & 子公司", "138 0013 8000", 12],
                                ["<华南>", 13800138001, "三百"], [None, "a\u00a0b", None], ["  空格  ", "", "=1+1"]]
    data = book(rows)
    seen = glimpse(data, "客户")
    assert seen is not None
    expected = calamine_texts(data, "客户")
    for col, texts in enumerate(expected):
        assert set(seen.texts(col)) <= texts  # never a text calamine does not see there
    assert set(seen.texts(0)) == expected[0]
    assert seen.top(3)[0] == ["客户名称", "联系方式", "金额"]


def test_the_sample_sheets_columns_are_read_in_full() -> None:
    for name in ("customers_zh.xlsx", "followups_zh.xlsx"):
        data = shared_file("samples", name).read_bytes()
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names[0]
        seen = glimpse(data, sheet)
        assert seen is not None
        for col, texts in enumerate(calamine_texts(data, sheet)):
            assert set(seen.texts(col)) == texts, (name, col)


def test_an_import_plans_the_same_with_and_without_the_work_done_during_the_parse(
        engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    data = shared_file("samples", "customers_zh.xlsx").read_bytes()
    team(engine, clock.now)
    used: list[bool] = []
    ready_for = importing_warm.Warm.ready_for

    def spy(self: importing_warm.Warm, columns: list[importing_warm.Column]) -> object:
        got = ready_for(self, columns)
        used.append(got is not None and bool(got.keys) and "phone" in got.reads)
        return got

    monkeypatch.setattr(importing_warm, "worth_it", lambda: True)
    monkeypatch.setattr(importing_warm.Warm, "ready_for", spy)
    warm = run(engine, data, "customers_zh.xlsx", clock.now, dry_run=True)
    assert used == [True]
    monkeypatch.setattr(importing_warm, "worth_it", lambda: False)
    cold = run(engine, data, "customers_zh.xlsx", clock.now, dry_run=True)
    assert used == [True]  # the cold import had no head start to use
    assert warm.summary() == cold.summary()


def test_a_header_row_the_glimpse_gets_wrong_only_costs_the_head_start(engine: Engine, clock: FakeClock,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data = book([["客户名称", "电话"], ["华东科技", "13800138000"], ["华南科技", "13900139000"]])
    team(engine, clock.now)
    monkeypatch.setattr(importing_warm, "worth_it", lambda: True)
    monkeypatch.setattr(importing_warm.Warm, "fill", lambda self, seen, sheet: setattr(self, "columns", []))
    plan = run(engine, data, "x.xlsx", clock.now, dry_run=True)
    assert plan.counts["customer.created"] == 2
    assert "+8613800138000" in str(plan.samples[0])


def test_a_failing_head_start_does_not_refuse_the_file(engine: Engine, clock: FakeClock,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data = book([["客户名称", "电话"], ["华东科技", "13800138000"]])
    team(engine, clock.now)

    def broken(self: importing_warm.Warm, seen: object, sheet: str) -> None:
        raise RuntimeError("a bug in the head start")

    monkeypatch.setattr(importing_warm, "worth_it", lambda: True)
    monkeypatch.setattr(importing_warm.Warm, "fill", broken)
    plan = run(engine, data, "x.xlsx", clock.now, dry_run=True)
    assert plan.counts["customer.created"] == 1


def test_the_head_start_converts_names_and_phones_as_the_import_does() -> None:
    warm = importing_warm.Warm(SH, date(2026, 11, 22), "x.xlsx")
    data = book([["客户名称", "电话"], ["华东科技有限公司", "138-0013-8000"], ["华南科技", "12"]])
    seen = glimpse(data, "客户")
    assert seen is not None
    warm.fill(seen, "客户")
    assert {name: parts[0] for name, parts in warm.ready.keys.items()} == {
        "客户名称": "客户名称", "华东科技有限公司": "华东科技", "华南科技": "华南科技"}
    assert warm.ready.reads["phone"]["138-0013-8000"][0] == "+8613800138000"
    assert warm.ready.reads["phone"]["12"][2][0].code == "bad_phone"


def test_a_name_the_head_start_did_not_see_is_romanized_too(engine: Engine, clock: FakeClock,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    data = book([["客户名称", "电话"], ["华东科技", "13800138000"], ['=HYPERLINK("http://x","华南科技")', "13900139000"]])
    team(engine, clock.now)
    monkeypatch.setattr(importing_warm, "worth_it", lambda: True)
    monkeypatch.setattr(forked, "BACKGROUND_FROM", 1)  # the readings come from the worker, as in a large file
    monkeypatch.setattr(imports, "WORKER_FROM", 0)
    run(engine, data, "x.xlsx", clock.now)
    with session_factory(engine)() as s:
        spelled = {c.name: (c.pinyin, c.initials) for c in s.exec(select(Customer)).all()}
    assert spelled["华东科技"] == ("huadongkeji", "hdkj")
    formula = next(n for n in spelled if n.startswith("=HYPERLINK"))
    assert spelled[formula][0].startswith("hyperlinkhttpx")
