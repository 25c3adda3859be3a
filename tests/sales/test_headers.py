"""Column headers recognized by meaning: normalization plus word parts, never a wrong field; property tests of
the header reader."""

from __future__ import annotations

import io
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import select

from sales import imports
from sales.imports import BadFile, Options
from sales.imports.columns import _ALIASES, FIELDS, by_meaning, normalize_header, recognize
from sales.imports.read import read_table
from storage.db import session_factory, transaction
from storage.models import Team, User
from tests.conftest import FakeClock

# Headers worded as people word them, none of them in the list of known headers: (header, field).
VARIANTS = (
    ("上次联系", "last_contact"), ("最近一次拜访日期", "last_contact"), ("最近联系日期", "last_contact"),
    ("上次跟进日期", "last_contact"), ("最后一次沟通", "last_contact"), ("Date of Last Contact", "last_contact"),
    ("Most Recent Visit", "last_contact"), ("Last Touch", "last_contact"),
    ("客户公司名", "name"), ("Company Name (EN)", "name"), ("公司名", "name"), ("客户名", "name"),
    ("客户简称", "name"), ("公司英文名", "name"), ("Client Name", "name"), ("Customer Full Name", "name"),
    ("Organization Name", "name"),
    ("Mobile No.", "phone"), ("办公电话", "phone"), ("座机号", "phone"), ("联系人手机", "phone"),
    ("Cell Phone", "phone"), ("Office Tel", "phone"), ("Phone No.", "phone"),
    ("邮件", "email"), ("Contact Email", "email"), ("E-Mail", "email"),
    ("负责销售", "owner"), ("所属业务员", "owner"), ("Account Manager", "owner"), ("Assigned Sales", "owner"),
    ("Responsible Person", "owner"), ("跟进销售", "owner"),
    ("Key Contact", "contact"), ("对接人", "contact"), ("Contact Person Name", "contact"),
    ("客户联系人姓名", "contact"),
    ("联系人职位", "title"), ("Contact Role", "title"),
    ("Industry Sector", "industry"), ("所在行业", "industry"), ("行业领域", "industry"),
    ("员工规模", "size"), ("客户渠道", "source"), ("Customer Tier", "grade"), ("客户评级", "grade"),
    ("Customer Tags", "tags"), ("客户痛点", "needs"),
    ("累计销售额", "past_revenue"), ("往年采购金额(万元)", "past_revenue"), ("Lifetime Spend", "past_revenue"),
    ("Total Purchases", "past_revenue"),
    ("Next Follow-up Date", "next_followup"), ("下次联系时间", "next_followup"), ("下次拜访日期", "next_followup"),
    ("Planned Follow-up", "next_followup"),
    ("Next Action Item", "next_step"), ("下一步行动", "next_step"), ("Follow-up Plan", "next_step"),
    ("Visit Date", "at"), ("Meeting Date", "at"), ("沟通日期", "at"),
    ("Contact Method", "activity_kind"), ("拜访形式", "activity_kind"), ("Contact Type", "activity_kind"),
    ("Activity Notes", "summary"), ("沟通纪要", "summary"),
    ("Customer Response", "feedback"), ("客户回应", "feedback"),
    ("Call Duration", "duration"), ("通话时长", "duration"),
    ("商机标题", "deal_title"), ("项目名", "deal_title"), ("Opportunity Title", "deal_title"),
    ("Contract Amount", "amount"), ("报价金额", "amount"),
    ("Deal Stage", "stage"), ("当前阶段", "stage"),
    ("Win Rate Probability", "probability"), ("成交可能性", "probability"),
    ("预计签单日期", "expected_close"), ("Target Close Date", "expected_close"),
    ("Loss Reason", "lost_reason"), ("丢单理由", "lost_reason"), ("Budget Range", "budget"),
    ("Customer ID", ""), ("客户编号", ""), ("序号", ""),
)


def test_at_least_forty_variants_none_in_the_list_each_to_its_field() -> None:
    assert len(VARIANTS) >= 40
    listed = {w for _, words in FIELDS.values() for w in words}
    for header, _ in VARIANTS:
        assert header.casefold() not in listed, header  # not in the list verbatim
    assert sum(1 for h, _ in VARIANTS if normalize_header(h)[0] not in _ALIASES) >= 40  # nor once normalized
    wrong = [(h, recognize([h])[0].field, want) for h, want in VARIANTS if recognize([h])[0].field != want]
    assert not wrong, wrong
    assert sum(1 for h, _ in VARIANTS if not h.isascii()) >= 20
    assert sum(1 for h, _ in VARIANTS if h.isascii()) >= 20


def test_every_known_header_keeps_its_field() -> None:
    for field, (_, words) in FIELDS.items():
        for word in words:
            if word not in ("状态", "status"):
                assert recognize([word])[0].field == field, word


def test_a_unit_in_a_header_read_by_meaning_still_multiplies() -> None:
    assert normalize_header("往年采购金额万元") == ("往年采购金额", 10_000)
    assert recognize(["累计销售额(千元)"])[0].unit == 1_000


def _book(headers: list[str], rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_column_recognized_by_meaning_is_checked_like_any_other(engine: Engine, clock: FakeClock) -> None:
    """Bad dates under 上次联系 are rejected, a bad phone under Mobile No. is kept as typed and flagged."""
    now = clock()
    with transaction(session_factory(engine)) as s:
        t = Team(name="east", created_at=now)
        s.add(t)
        s.flush()
        s.add(User(team_id=t.id, name="carol", role="admin", created_at=now))
    data = _book(["客户公司名", "上次联系", "Mobile No.", "Customer Tier"],
                 [["华东科技", "2026-10-01", "13856781234", "A"], ["西部制造", "明年某天吧", "13912345678", "B"],
                  ["北方能源", "2026-09-01", "12345", "C"], ["南方物流", "2026-09-02", "13700001111", "Z"]])
    with transaction(session_factory(engine)) as s:
        me = s.exec(select(User)).one()
        plan = imports.preview(s, data=data, file_name="x.xlsx", by=me, now=now, options=Options())
    fields = {c.header: c.field for c in plan.columns}
    assert fields == {"客户公司名": "name", "上次联系": "last_contact", "Mobile No.": "phone",
                      "Customer Tier": "grade"}
    rejected = {r.row: [i.code for i in r.reasons] for r in plan.rejected}
    assert rejected == {3: ["bad_date"], 5: ["bad_grade"]}
    assert [(row, i.code) for row, i in plan.flagged] == [(4, "bad_phone")]
    assert plan.counts["customer.created"] == 2


# Property tests of the header reader.
HEADER_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(HEADER_TEXT)
def test_any_header_reads_without_error_and_to_a_known_field(header: str) -> None:
    _norm, unit = normalize_header(header)
    assert unit > 0
    field = recognize([header])[0].field
    assert field == "" or field in FIELDS
    assert by_meaning(header) in (None, "", *FIELDS)


@given(st.sampled_from(VARIANTS), st.sampled_from(["", " ", "  ", "\u3000", "\t"]),
       st.sampled_from(["", " ", ":", "：", "*", " *"]), st.booleans())
def test_spacing_case_width_and_marks_do_not_change_a_field(pair: tuple[str, str], pad: str, mark: str,
                                                            upper: bool) -> None:
    header, want = pair
    varied = pad + (header.upper() if upper else header) + mark
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in header)  # full-width letters
    assert recognize([varied])[0].field == want
    assert recognize([wide])[0].field == want


@given(st.lists(HEADER_TEXT, max_size=12))
def test_a_field_is_taken_by_one_column_at_most(headers: list[str]) -> None:
    cols = recognize(headers)
    assert [c.index for c in cols] == list(range(len(headers)))
    taken = [c.field for c in cols if c.field]
    assert len(taken) == len(set(taken))


CELL = st.text(alphabet=string.ascii_letters + string.digits + " ,;\t\"'\n客户名称电话日期", max_size=12)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=1, max_size=8))
def test_any_csv_reads_or_is_refused_with_a_reason(grid: list[list[str]]) -> None:
    body = "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in row) for row in grid).encode()
    try:
        table = read_table(body, "x.csv")
    except BadFile as err:
        assert err.code in ("empty", "not_spreadsheet", "too_many_columns", "too_many_rows", "cell_too_long")
        return
    assert table.header_row >= 1
    assert all(isinstance(r, list) for r in table.rows)


def test_header_row_under_a_title_is_found_when_worded_freely() -> None:
    data = _book(["2026 年客户清单"], [[None], ["客户公司名", "Mobile No.", "最近一次拜访日期"], ["华东", "13856781234", datetime(2026, 1, 1)]])
    table = read_table(data, "x.xlsx")
    assert table.header_row == 3


@pytest.mark.parametrize("header", ["联系人", "联系方式", "最后跟进时间", "下次跟进", "客户状态"])
def test_listed_headers_are_still_exact(header: str) -> None:
    assert not recognize([header])[0].guessed
