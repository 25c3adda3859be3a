"""Leads: rule scoring, MQL/SQL, round-robin assignment, duplicates shown, qualify in one step; chat import."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import select

from handlers.core import Core
from handlers.types import Attachment, ChatRef, Incoming
from sales import leads
from sales.demo import load_demo
from storage.db import session_factory, transaction
from storage.models import Contact, Customer, Deal, Lead, Outbox, Reminder, User
from tests.conftest import FakeClock, shared_file
from tests.transcript import Transcript, assert_dialog


def test_scoring_rules_and_thresholds() -> None:
    s = leads.Scoring(rules=leads.DEFAULT_RULES)
    assert leads.score_fields(s, source="转介绍", size="L", budget="50万", engagement=2) == 100
    assert leads.score_fields(s, source="展会", size="120人", budget=None, engagement=1) == 40
    assert leads.score_fields(s, source="cold call", size=None, budget="无", engagement=0) == 5
    assert [leads.status_for(p, s) for p in (39, 40, 69, 70)] == ["new", "MQL", "MQL", "SQL"]


def test_sql_leads_go_round_robin_and_are_reminded(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=0, now=clock())
    core = Core(engine, clock=clock)
    t = Transcript(core)
    out = assert_dialog(t, [
        ("@bob: /lead add 蓝天科技 王总 13800001111 来源 转介绍 预算 50万 规模 L", ["SQL", "alice"]),
        ("@bob: /lead add 白云物流 赵总 13900002222 source referral budget 30万 size 600人", ["SQL", "dave"]),
        ("@bob: /lead add 青山食品 刘经理 13700003333 来源 展会", ["新"]),
    ])
    assert "→ alice:" in out[0] and "24" in out[0]  # the rep is told at once
    with session_factory(engine)() as s:
        names = {u.id: u.name for u in s.exec(select(User)).all()}
        got = [(x.company, x.status, names.get(x.owner_id or 0)) for x in s.exec(select(Lead).order_by(Lead.id))]
        assert got == [("蓝天科技", "SQL", "alice"), ("白云物流", "SQL", "dave"), ("青山食品", "new", None)]
        due = sorted(r.due_at for r in s.exec(select(Reminder).where(Reminder.kind == "lead.untouched")).all())
        assert due == [clock() + timedelta(hours=24)] * 2
    assert_dialog(t, [("@alice: /lead 1", ["转介绍", "SQL ≥ 70"]), ("@alice: /leads", ["蓝天科技"])])
    assert "白云物流" not in t.say("@alice: /leads")  # a rep sees her own leads


def test_a_duplicate_lead_is_shown_and_the_user_chooses(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=0, now=clock())
    t = Transcript(Core(engine, clock=clock))
    assert_dialog(t, [
        ("@bob: /lead add 华东科技 张伟 13856781234 来源 展会", "#1"),
        ("@bob: /lead add 华东科技有限公司 李四 来源 官网", ["可能重复", "华东科技"]),
        ("@bob: 1", ["又一次咨询", "#1"]),
        ("@bob: /lead add 华南科技 王五 来源 官网", ["可能重复", "名称相近", "[4] 不是"]),
        ("@bob: 4", "#2"),  # not the same company: created anyway
    ])
    with session_factory(engine)() as s:
        assert [(x.company, x.engagement) for x in s.exec(select(Lead).order_by(Lead.id))] == [
            ("华东科技", 1), ("华南科技", 0)]


def test_qualify_makes_customer_contact_and_deal_in_one_step(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=0, now=clock())
    t = Transcript(Core(engine, clock=clock))
    assert_dialog(t, [
        ("@bob: /lead add 蓝天科技 王总 13800001111 来源 转介绍 预算 50万 规模 L", "alice"),
        ("@alice: /lead 1 qualify", ["已转化", "蓝天科技"]),
        ("@alice: /lead 1 qualify", "已经"),
    ])
    with session_factory(engine)() as s:
        c = s.exec(select(Customer)).one()
        alice = s.exec(select(User).where(User.name == "alice")).one()
        assert c.owner_id == alice.id and c.source == "转介绍"
        assert s.exec(select(Contact)).one().phone == "+8613800001111"
        d = s.exec(select(Deal)).one()
        assert d.customer_id == c.id and d.budget == "50万"
        lead = s.exec(select(Lead)).one()
        assert lead.status == "converted" and lead.customer_id == c.id
        assert all(r.status == "cancelled" for r in s.exec(select(Reminder)).all())


def test_assign_and_disqualify(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=0, now=clock())
    t = Transcript(Core(engine, clock=clock))
    assert_dialog(t, [
        ("@bob: /lead add 青山食品 刘经理 来源 展会", "#1"),
        ("@alice: /lead 1 assign dave", "没找到线索"),  # a rep does not see it
        ("@bob: /lead 1 assign dave", ["dave", "→ dave:"]),
        ("@bob: /lead 1 disqualify 没有预算", "无效"),
        ("@carol: /lead rule sql 60", "SQL ≥ 60"),
    ])


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_lead_sheet_import_scores_and_assigns(engine: Engine, clock: FakeClock) -> None:
    from sales import imports

    load_demo(engine, customers=0, now=clock())
    data = _xlsx([["公司名称", "联系人", "电话", "来源", "预算", "规模"],
                  ["蓝天科技", "王总", "13800001111", "转介绍", "50万", "L"],
                  ["白云物流", "赵总", "13900002222", "展会", "", ""],
                  ["蓝天科技有限公司", "王总", "138 0000 1111", "", "", ""]])
    for attempt in (1, 2):
        with transaction(session_factory(engine)) as s:
            bob = s.exec(select(User).where(User.name == "bob")).one()
            plan = imports.import_file(s, data=data, file_name="线索.xlsx", by=bob, now=clock())
        assert plan.kind == "leads"
        if attempt == 1:
            assert plan.counts["lead.created"] == 2 and plan.counts["lead.merged"] == 1
        else:
            assert plan.changes == 0
    with session_factory(engine)() as s:
        got = [(x.company, x.status, x.owner_id is not None) for x in s.exec(select(Lead).order_by(Lead.id))]
        assert got == [("蓝天科技", "SQL", True), ("白云物流", "new", False)]
        assert len(s.exec(select(Reminder)).all()) == 1


def _send(core: Core, who: str, data: bytes, name: str) -> str:
    chat = ChatRef(platform="console", workspace="local", chat=who)
    replies = core.handle(Incoming(chat=chat, user=who, text="/import",
                                   file=Attachment(name=name, mime="application/octet-stream", data=data)))
    return "\n".join(r.text for r in replies)


def test_chat_import_previews_then_confirms(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=0, now=clock())
    core = Core(engine, clock=clock)
    data = shared_file("samples", "customers_zh.xlsx").read_bytes()
    assert "不能用 /import" in _send(core, "alice", data, "customers_zh.xlsx")
    chat = ChatRef(platform="console", workspace="local", chat="bob")
    replies = core.handle(Incoming(chat=chat, user="bob", text="/import",
                                   file=Attachment(name="customers_zh.xlsx", mime="x", data=data)))
    text = replies[0].text
    assert "预览" in text and "新建客户 6" in text and "第7行：没有客户名称" in text and "客户分级“D”" in text
    assert "历史合作金额(万元)→历史合作金额×10,000" in text
    with session_factory(engine)() as s:
        assert s.exec(select(Customer)).all() == []
    confirm = replies[0].buttons[0][0]
    assert confirm.action.startswith("say:/import confirm")
    done = core.handle(Incoming(chat=chat, user="bob", action=confirm.action))
    assert "已导入" in done[0].text and done[1].image is not None and done[1].image.name.endswith(".xlsx")
    with session_factory(engine)() as s:
        assert len(s.exec(select(Customer)).all()) == 6
    assert "已经都在了" in _send(core, "bob", data, "customers_zh.xlsx")
    assert "不是表格" in _send(core, "bob", b"%PDF-1.4 hello", "x.pdf")
    out = core.handle(Incoming(chat=chat, user="bob", text="/export customers"))
    assert out[0].image is not None and out[0].image.data.startswith(b"PK")
    with session_factory(engine)() as s:
        assert s.exec(select(Outbox)).all() == []
