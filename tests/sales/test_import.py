"""Spreadsheet import: the sample sheets' counts, nothing doubled, all or nothing, bad files."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from sales import imports, names
from sales.imports import BadFile, Options, write
from sales.names import dedupe, pinyin
from storage.db import session_factory, transaction
from storage.models import Activity, Contact, Customer, FollowUp, ImportBatch, Team, User
from tests.conftest import FakeClock, shared_file

SH = Options(tz="Asia/Shanghai")
SH_TZ = ZoneInfo("Asia/Shanghai")


def team(engine: Engine, now: datetime) -> None:
    """carol (admin) imports; 李娜 and 赵磊 are reps; 陈静 is nobody here."""
    with transaction(session_factory(engine)) as s:
        t = Team(name="华东销售部", created_at=now)
        s.add(t)
        s.flush()
        for name, role in (("carol", "admin"), ("李娜", "rep"), ("赵磊", "rep")):
            s.add(User(team_id=t.id, name=name, role=role, created_at=now))


def run(engine: Engine, data: bytes, name: str, now: datetime, *, dry_run: bool = False,
        options: Options | None = None) -> imports.Plan:
    with transaction(session_factory(engine)) as s:
        me = s.exec(select(User).where(User.name == "carol")).one()
        return imports.import_file(s, data=data, file_name=name, by=me, now=now, options=options or SH,
                                     dry_run=dry_run)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a second import changed nothing."""
    out = {}
    with engine.connect() as conn:
        for table in ("customer", "contact", "activity", "followup", "deal", "lead", "importbatch", "auditlog",
                      "counter", "reminder"):
            out[table] = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1'))]
    return out


def by_name(s: Session) -> dict[str, Customer]:
    return {c.name: c for c in s.exec(select(Customer)).all()}


def test_the_sample_sheet_gives_the_right_counts_and_again_changes_nothing(engine: Engine, clock: FakeClock) -> None:
    data = shared_file("samples", "customers_zh.xlsx").read_bytes()
    team(engine, clock())
    preview = run(engine, data, "customers_zh.xlsx", clock(), dry_run=True)
    assert preview.counts["customer.created"] == 6 and not preview.applied
    with session_factory(engine)() as s:
        assert s.exec(select(Customer)).all() == []  # a dry run saves nothing
    plan = run(engine, data, "customers_zh.xlsx", clock())
    assert plan.counts["customer.created"] == 6
    assert plan.counts["customer.merged"] == 2  # the three spellings of 华东科技 are one customer
    assert plan.counts["contact.created"] == 6
    rejected = {r.row: [i.code for i in r.reasons] for r in plan.rejected}
    assert rejected == {7: ["no_name"], 11: ["bad_grade", "bad_date"]}
    assert sorted((r.row, r.into) for r in plan.results if r.outcome == "merged") == [
        (5, "row 2 华东科技有限公司"), (10, "row 2 华东科技有限公司")]
    assert sorted(r.outcome for r in plan.results).count("created") == 6 and len(plan.results) == 10
    assert dict(plan.unknown_owners) == {"陈静": 1}
    flagged = {(row, i.code) for row, i in plan.flagged}
    assert {(8, "bad_phone"), (9, "email_in_phone"), (4, "unknown_owner")} <= flagged
    with session_factory(engine)() as s:
        users = {u.name: u.id for u in s.exec(select(User)).all()}
        c = by_name(s)
        assert set(c) == {"华东科技有限公司", "YY制造集团", "ZZ贸易公司", "北辰物流股份有限公司", "星河医疗器械有限公司",
                          "Acme Trading Co., Ltd."}
        assert c["星河医疗器械有限公司"].past_revenue == Decimal("2000000.00")  # 二百 (万元)
        assert c["华东科技有限公司"].past_revenue == Decimal("1200000.00")
        assert c["Acme Trading Co., Ltd."].past_revenue == Decimal("125000.00")
        local = {n: x.last_contact_at.astimezone(SH_TZ).date() for n, x in c.items() if x.last_contact_at}
        assert local["北辰物流股份有限公司"] == date(2023, 10, 31)  # Excel serial 45230
        assert local["YY制造集团"] == date(2023, 10, 10)  # text 2023/10/10
        assert local["华东科技有限公司"] == date(2023, 10, 15)
        assert c["Acme Trading Co., Ltd."].owner_id == users["赵磊"]  # Zhao Lei
        assert c["ZZ贸易公司"].owner_id == users["carol"]  # 陈静 is unknown: the importer owns it
        assert c["华东科技有限公司"].grade == "A" and c["华东科技有限公司"].needs == "降低采购成本"
        assert (c["华东科技有限公司"].pinyin, c["华东科技有限公司"].initials) == ("huadongkeji", "hdkj")
        phones = {p.name: (p.phone, p.flags) for p in s.exec(select(Contact)).all()}
        assert phones["张伟"] == ("+8613856781234", "")
        assert phones["刘洋"] == ("+8613798765432", "")
        assert phones["吴敏"] == ("1881234567", "phone")  # too few digits: kept as typed, flagged
        assert phones["Tom Lee"] == ("tom@acme.example", "phone")
    before = snapshot(engine)
    again = run(engine, data, "customers_zh.xlsx", clock())
    assert again.changes == 0 and again.counts["customer.unchanged"] == 8 and len(again.rejected) == 2
    assert snapshot(engine) == before


def test_follow_up_records_attach_to_the_customers_once(engine: Engine, clock: FakeClock) -> None:
    team(engine, clock())
    run(engine, shared_file("samples", "customers_zh.xlsx").read_bytes(), "customers_zh.xlsx", clock())
    data = shared_file("samples", "followups_zh.xlsx").read_bytes()
    plan = run(engine, data, "followups_zh.xlsx", clock())
    assert plan.kind == "activities"
    assert plan.counts["activity.created"] == 3 and plan.counts["followup.created"] == 2
    assert plan.counts["customer.created"] == 0  # YY制造 is YY制造集团, ZZ贸易 is ZZ贸易公司
    with session_factory(engine)() as s:
        names = {c.id: c.name for c in s.exec(select(Customer)).all()}
        acts = {names[a.customer_id]: (a.kind, a.feedback) for a in s.exec(select(Activity)).all()}
        assert acts == {"华东科技有限公司": ("call", "对方案感兴趣,需内部讨论"), "YY制造集团": ("visit", "认可效果,预算需审批"),
                        "ZZ贸易公司": ("email", "无回复")}
        assert sorted(names[f.customer_id] for f in s.exec(select(FollowUp)).all()) == ["YY制造集团", "ZZ贸易公司"]
    before = snapshot(engine)
    assert run(engine, data, "followups_zh.xlsx", clock()).changes == 0
    assert snapshot(engine) == before


def xlsx(rows: list[list[Any]], sheet: str = "Sheet1") -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_an_import_is_all_or_nothing(engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    team(engine, clock())
    data = xlsx([["客户名称", "联系人", "电话"], ["甲公司", "张三", "13800001111"], ["乙公司", "李四", "13900002222"]])
    real = write.bulk_insert

    def failing(session: Session, model: Any, rows: list[dict[str, Any]], *a: Any, **kw: Any) -> None:
        if model is Contact:
            raise RuntimeError("disk full")
        real(session, model, rows, *a, **kw)

    monkeypatch.setattr("sales.imports.customers.bulk_insert", failing)
    with pytest.raises(RuntimeError):
        run(engine, data, "x.xlsx", clock())
    with session_factory(engine)() as s:
        assert s.exec(select(Customer)).all() == [] and s.exec(select(ImportBatch)).all() == []


def test_formulas_are_stored_as_text_and_exported_with_an_apostrophe(engine: Engine, clock: FakeClock) -> None:
    from sales import exporting

    team(engine, clock())
    data = xlsx([["Company", "Needs", "Industry"],
                 ["Hyper Ltd", '=HYPERLINK("http://evil.example","click")', "=cmd|' /C calc'!A0"],
                 ["At Co", "@SUM(1,2)", "+1 trick"]])
    plan = run(engine, data, "f.xlsx", clock())
    assert plan.counts["customer.created"] == 2
    assert {i.code for _, i in plan.flagged} == {"formula"}
    with session_factory(engine)() as s:
        c = by_name(s)
        assert c["Hyper Ltd"].needs == '=HYPERLINK("http://evil.example","click")'
        assert c["Hyper Ltd"].industry == "=cmd|' /C calc'!A0"
        assert c["At Co"].needs == "@SUM(1,2)"
        me = s.exec(select(User).where(User.name == "carol")).one()
        out, n = exporting.export(s, what="customers", user=me, tz=SH_TZ, lang="en", fmt="csv")
    body = out.decode("utf-8-sig")
    assert n == 2 and "'=HYPERLINK" in body and "'=cmd|" in body and "'@SUM" in body and "'+1 trick" in body


def test_formula_cells_are_placed_by_their_column_letters() -> None:
    from sales.imports.read import column_index

    assert [column_index(c) for c in ("A", "Z", "AA", "AZ", "BA", "ZZ", "AAA")] == [0, 25, 26, 51, 52, 701, 702]


def test_a_name_in_a_formula_cell_is_romanized_too(engine: Engine, clock: FakeClock) -> None:
    data = xlsx([["客户名称", "电话"], ["华东科技", "13800138000"], ['=HYPERLINK("http://x","华南科技")', "13900139000"]])
    team(engine, clock())
    run(engine, data, "x.xlsx", clock())
    with session_factory(engine)() as s:
        spelled = {c.name: (c.pinyin, c.initials) for c in s.exec(select(Customer)).all()}
    assert spelled["华东科技"] == ("huadongkeji", "hdkj")
    formula = next(n for n in spelled if n.startswith("=HYPERLINK"))
    assert spelled[formula][0].startswith("hyperlinkhttpx")


def test_look_alike_names_are_listed_not_merged(engine: Engine, clock: FakeClock) -> None:
    team(engine, clock())
    run(engine, xlsx([["客户名称"], ["华东科技"]]), "a.xlsx", clock())
    data = xlsx([["客户名称"], ["华南科技"], ["华东科技有限公司"]])
    plan = run(engine, data, "b.xlsx", clock(), dry_run=True)
    assert [(s.name, s.other, s.merged) for s in plan.suspects] == [("华南科技", "华东科技", False)]
    plan = run(engine, data, "b.xlsx", clock())
    assert plan.counts["customer.created"] == 1  # 华南科技 stays its own company; 华东科技有限公司 merged
    with session_factory(engine)() as s:
        assert sorted(by_name(s)) == ["华东科技", "华南科技"]
    chosen = Options(tz="Asia/Shanghai", merge=frozenset({1}))
    plan = run(engine, xlsx([["客户名称"], ["华中科技"]]), "c.xlsx", clock(), options=chosen)
    assert plan.suspects[0].merged and plan.counts["customer.created"] == 0


@pytest.mark.parametrize(("data", "name", "code"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "photo.png", "not_spreadsheet"),
    (b"%PDF-1.7\n" + b"x" * 100, "offer.pdf", "not_spreadsheet"),
    (b"PK\x03\x04" + b"garbage" * 50, "broken.xlsx", "corrupt"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "EncryptionInfo".encode("utf-16-le") + bytes(600),
     "secret.xlsx", "encrypted"),
    (b"", "empty.csv", "empty"),
    (b"\n\n", "blank.csv", "empty"),
    (b"x" * (50 * 1024 * 1024), "huge.xlsx", "too_large"),
    ("序号,备注\n1,hello\n".encode(), "noname.csv", "no_name_column"),
])
def test_bad_files_get_a_clear_message_and_save_nothing(engine: Engine, clock: FakeClock, data: bytes, name: str,
                                                       code: str) -> None:
    from handlers.sheets import file_message

    team(engine, clock())
    with pytest.raises(BadFile) as err:
        run(engine, data, name, clock())
    assert err.value.code == code
    assert file_message(err.value, "zh") and file_message(err.value, "en")
    with session_factory(engine)() as s:
        assert s.exec(select(Customer)).all() == []


def test_an_empty_sheet_and_a_corrupt_inner_file_are_refused(engine: Engine, clock: FakeClock) -> None:
    team(engine, clock())
    with pytest.raises(BadFile) as err:
        run(engine, xlsx([]), "empty.xlsx", clock())
    assert err.value.code == "empty"


def test_csv_in_gbk_with_a_title_row_and_english_headers(engine: Engine, clock: FakeClock) -> None:
    team(engine, clock())
    body = "客户信息表\nCompany Name,Phone,E-mail,Grade,Owner,Last contact,Revenue (10k)\n" \
           "Lotus Co.,+86 138 0013 8000,Ann@Lotus.example,a,Zhao Lei,2024年3月5日,3\n" \
           "Lotus Co,,ann@lotus.example,,,昨天,\n" \
           "Bad Row,123,not-an-email,B,,,abc\n"
    plan = run(engine, body.encode("gb18030"), "c.csv", clock())
    assert plan.header_row == 2
    assert plan.counts["customer.created"] == 1 and plan.counts["customer.merged"] == 1
    assert [i.code for i in plan.rejected[0].reasons] == ["bad_amount"]
    with session_factory(engine)() as s:
        c = by_name(s)["Lotus Co."]
        assert c.grade == "A" and c.past_revenue == Decimal("30000.00")
        assert c.last_contact_at == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 昨天, the later of the two
        p = s.exec(select(Contact)).one()
        assert (p.phone, p.email) == ("+8613800138000", "ann@lotus.example")


def test_follow_up_records_may_name_new_customers_with_and_without_a_last_contact(engine: Engine,
                                                                                 clock: FakeClock) -> None:
    team(engine, clock())
    data = xlsx([["客户名称", "跟进时间", "跟进方式", "完成状态", "下次跟进时间"],
                 ["甲公司", "2026-11-01", "拜访", "已完成", None],
                 ["乙公司", None, None, None, "2026-12-01"],
                 ["丙公司", "2026-11-05", "电话", "已完成", None]], "跟进记录")
    plan = run(engine, data, "f.xlsx", clock())
    assert plan.counts["customer.created"] == 3
    with session_factory(engine)() as s:
        lasts = {c.name: c.last_contact_at for c in s.exec(select(Customer)).all()}
    assert lasts["乙公司"] is None and lasts["甲公司"] is not None and lasts["丙公司"] is not None


def _items(rng: random.Random, n: int) -> list[tuple[int, str, str, str]]:
    words = ["华东", "华南", "科技", "Acme", "acme", "a", "b", "ab", "集团", "重庆", "银行", "x", "xy", "aa", "Trading"]
    out = []
    for ref in range(n):
        name = "".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        key = dedupe.company_key(name)
        out.append((ref, name, key, rng.choice([pinyin.romanize(key)[0], "", "abcd", key])))
    return out


@pytest.mark.parametrize("collide", [False, True])
def test_the_vectorized_look_alike_scan_finds_the_pairs_the_plain_one_does(
        collide: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from sales.names import alike as dedupe_alike

    if collide:  # texts ending alike hash alike: confirmation, on the real names, must still tell them apart
        monkeypatch.setattr(dedupe_alike, "_MODULI", ((np.uint64(0), np.uint64(7)),) * 2)
    monkeypatch.setattr(dedupe_alike, "_PAIRS_AT_ONCE", 50)  # pairs made in several batches
    rng = random.Random(8)
    for _ in range(60):
        old, new = _items(rng, rng.randint(0, 40)), _items(rng, rng.randint(0, 60))
        # Collisions fill buckets with strangers, so only an uncapped bucket finds the same pairs.
        monkeypatch.setattr(dedupe, "_MAX_BUCKET", 100 if collide else rng.choice([2, 3, 100]))
        monkeypatch.setattr(dedupe, "_VECTORIZED", 10**9)
        plain = dedupe.suspects(new, old)
        monkeypatch.setattr(dedupe, "_VECTORIZED", 1)
        found = dedupe.suspects(new, old)
        if not collide:
            assert found == plain
            continue
        assert set(plain) <= set(found)
        names_of = {(ref, False): name for ref, name, _, _ in new} | {(ref, True): name for ref, name, _, _ in old}
        for a, b, is_old in set(found) - set(plain):  # a stranger is listed only when its name looks alike
            assert names.same_company(names_of[(a, False)], names_of[(b, is_old)])


def test_past_follow_up_rows_are_history_unless_open_and_relative_phrases_read_from_the_row_date(
        engine: Engine, clock: FakeClock) -> None:
    team(engine, clock())  # now: Sunday 2026-11-22
    data = xlsx([["客户名称", "跟进时间", "跟进方式", "下一步计划", "完成状态", "下次跟进时间"],
                 ["甲公司", "2023-10-20", "电话", "下周电话跟进", "已完成", None],
                 ["乙公司", "2023-10-22", "拜访", "准备预算材料", "进行中", None],
                 ["丙公司", None, "电话", "回访", None, "2024-03-01"],
                 ["丁公司", "2026-11-20", "电话", "下周三电话跟进", "已完成", None],
                 ["戊公司", "2026-11-18", "邮件", "3天后再问", "", None]], "跟进记录")
    plan = run(engine, data, "f.xlsx", clock())
    with session_factory(engine)() as s:
        names = {c.id: c.name for c in s.exec(select(Customer)).all()}
        fus = {names[f.customer_id]: f for f in s.exec(select(FollowUp)).all()}
        acts = {names[a.customer_id]: a for a in s.exec(select(Activity)).all()}
    assert set(fus) == {"乙公司", "丁公司"}  # 甲 and 戊: done or not said open, and past; 丙: past, history
    assert all(f.due_at >= clock() for f in fus.values())  # never due in the past
    assert fus["乙公司"].due_at == clock()  # open in the sheet: due now
    assert fus["丁公司"].due_at.astimezone(SH_TZ).date() == date(2026, 11, 25)  # 下周三 of Friday the 20th
    assert acts["丙公司"].at.astimezone(SH_TZ).date() == date(2024, 3, 1) and set(acts) >= {"甲公司", "丙公司", "戊公司"}
    assert plan.counts["followup.created"] == 2
    before = snapshot(engine)
    clock.advance(days=1)
    assert run(engine, data, "f.xlsx", clock()).changes == 0  # imported again a day later: nothing new
    assert snapshot(engine) == before


def test_a_sheet_moves_an_existing_deal_only_by_the_stage_rules(engine: Engine, clock: FakeClock) -> None:
    """A deal already kept moves forward from a sheet only when chat would let it (qualification answers, a quote):
    otherwise it stays, and the preview says which row and why."""
    from storage.models import Deal

    team(engine, clock())
    header = ["客户名称", "商机名称", "阶段", "金额"]
    run(engine, xlsx([header, ["远方机械有限公司", "一期", "潜在", 100000]]), "deals.xlsx", clock())
    jump = run(engine, xlsx([header, ["远方机械有限公司", "一期", "谈判", 120000]]), "deals.xlsx", clock())
    assert jump.counts["deal.stage_kept"] == 1 and [i.code for _, i in jump.flagged] == ["stage_rules"]
    with Session(engine) as s:
        deal = s.exec(select(Deal)).one()
        assert deal.stage == "prospect" and deal.amount == Decimal("120000.00")  # the amount still taken
        deal.budget, deal.decision_maker, deal.timeline = "12万", "张总", "2027-01-31"
        s.add(deal)
        s.commit()
    qualified = run(engine, xlsx([header, ["远方机械有限公司", "一期", "已确认", 120000]]), "deals.xlsx", clock())
    assert not qualified.counts["deal.stage_kept"] and not qualified.flagged
    with Session(engine) as s:
        assert s.exec(select(Deal)).one().stage == "qualified"
