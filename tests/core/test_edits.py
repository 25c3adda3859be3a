"""Corrections in chat (issue 19): deals, customers and contacts, typed in one line or picked field by field,
each checked like creation and written to the audit trail before → after."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlmodel import col, select

from handlers.types import ChatRef, Incoming, Reply
from sales import invites
from storage.db import session_factory, transaction
from storage.models import AuditLog, Contact, Customer, Deal, SalesOrder, User
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


def _deal_id(engine: Engine, title: str) -> int:
    with session_factory(engine)() as s:
        return s.exec(select(Deal.id).where(col(Deal.title) == title)).one() or 0


def _last_audit(engine: Engine, entity: str) -> tuple[dict[str, object], dict[str, object]]:
    with session_factory(engine)() as s:
        a = s.exec(select(AuditLog).where(col(AuditLog.entity) == entity, col(AuditLog.action) == "edit")
                   .order_by(col(AuditLog.id).desc())).first()
        assert a is not None
        return json.loads(a.before or "{}"), json.loads(a.after or "{}")


def test_a_deal_is_corrected_in_one_line_and_with_the_picker(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 星河仪器有限公司")
    demo.say("@alice: /deal new 星河仪器有限公司 检测设备 100000")
    n = _deal_id(engine, "检测设备")
    assert_dialog(demo, [
        (f"@alice: /deal edit {n} amount 12万8", ["Deal #", "¥100,000 → ¥128,000"]),
        (f"@alice: /deal edit #{n} amount -5", "more than 0"),
        (f"@alice: /deal {n} amount 128000", "¥128,000 → ¥128,000"),  # the wording works too
        (f"@alice: /deal edit {n} amount 99999亿", "too large"),
        (f"@alice: /deal edit {n} title 检测设备二期", "检测设备 → 检测设备二期"),
        (f"@alice: /deal edit {n} close 2027-01-31", "2027-01-31"),
        (f"@alice: /deal edit {n} close 2020-01-01", "in the past"),
        (f"@alice: /deal edit {n} owner dave", "Only a manager"),  # managers only
    ])
    before, after = _last_audit(engine, "deal")
    assert before == {"expected_close": None} and after == {"expected_close": "2027-01-31"}
    # the picker: a button per field, then the typed value
    assert "what do you want to change?" in demo.say("alice", f"/deal edit {n}")  # Telegram, Slack: buttons
    assert "new amount" in demo.press("alice", "Amount")
    assert "¥128,000 → ¥150,000" in demo.say("@alice: 150000")
    out = demo.say(f"@alice: /deal edit {n}")  # the terminal numbers the buttons
    assert "[5] Deal title" in out  # /deal new printed [1]-[3], its close dates
    assert "new title" in demo.say("@alice: 5")
    assert "检测设备二期 → 三期" in demo.say("@alice: 三期")


def test_stage_back_needs_a_reason_and_reopen_is_for_managers(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 星河仪器有限公司")
    demo.say("@alice: /deal new 星河仪器有限公司 检测设备 100000")
    n = _deal_id(engine, "检测设备")
    demo.say(f"@alice: /advance {n} qualified")
    for answer in ("50万", "王总", "月底"):
        demo.say(f"@alice: {answer}")
    assert_dialog(demo, [
        (f"@alice: /deal edit {n} stage prospect", "Why does it go back"),
        ("@alice: 客户预算推迟到明年", "Qualified → Prospect"),
        (f"@alice: /lost {n} 预算取消", "Lost"),
        (f"@alice: /deal edit {n} reopen 客户回来了", "Only a manager"),
        (f"@bob: /deal edit {n} reopen", "Why is it reopened?"),
        ("@bob: 客户回来了", "Lost → Prospect"),
    ])
    before, after = _last_audit(engine, "deal")
    assert before == {"stage": "lost"} and after == {"stage": "prospect", "reason": "客户回来了"}


def test_customer_and_contact_fields_are_checked_and_audited(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 星河仪器有限公司")
    demo.say("@alice: /contact add 星河仪器有限公司 张伟 13800138000")
    assert_dialog(demo, [
        ("@alice: /customer edit 星河仪器有限公司 grade A", "B → A"),
        ("@alice: /customer edit 星河仪器有限公司 grade Z", "must be A, B or C"),
        ("@alice: /customer edit 星河仪器有限公司 industry 仪器仪表", "— → 仪器仪表"),
        ("@alice: /customer edit 星河仪器有限公司 status dormant", "active → dormant"),
        ("@alice: /customer edit 星河仪器有限公司 tags #key #east", "key east"),
        ("@alice: /customer edit 星河仪器有限公司", "what do you want to change?"),
        ("@alice: /contact edit 星河仪器有限公司 张伟 phone 12345678", "not a valid phone"),
        ("@alice: /contact edit 星河仪器有限公司 张伟 email zhang@xinghe.cn", "— → zhang@xinghe.cn"),
        ("@alice: /contact edit 星河仪器有限公司 张伟 title 采购经理", "采购经理"),
        ("@alice: /customer edit 星河仪器有限公司 needs", "needs?"),
        ("@alice: 两台三坐标", "两台三坐标"),
    ])
    with session_factory(engine)() as s:
        c = s.exec(select(Customer).where(col(Customer.name) == "星河仪器有限公司")).one()
        assert (c.grade, c.industry, c.status, c.tags, c.needs) == ("A", "仪器仪表", "dormant", "key east", "两台三坐标")
        p = s.exec(select(Contact).where(col(Contact.customer_id) == c.id)).one()
        assert (p.phone, p.email, p.title) == ("+8613800138000", "zhang@xinghe.cn", "采购经理")
    assert "what do you want to change?" in demo.say("alice", "/contact edit 星河仪器有限公司 张伟")
    assert "Remove 张伟" in demo.press("alice", "Remove")
    assert "Removed 张伟" in demo.press("alice", "Remove")
    before, after = _last_audit(engine, "contact")
    assert before["name"] == "张伟" and after == {"removed": True}


def test_a_rename_checks_duplicates_like_creation(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 星河仪器有限公司")
    demo.say("@alice: /customer add 月光科技有限公司")
    assert "Rename anyway?" in demo.say("@alice: /customer edit 月光科技有限公司 name 星河仪器")
    assert "月光科技有限公司 → 月光电子" in demo.say("@alice: /customer edit 月光科技有限公司 name 月光电子")
    assert "月光电子" in demo.say("@alice: /customer 月光电子")


def test_records_are_found_by_number_with_or_without_hash(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 星河仪器有限公司")
    demo.say("@alice: /deal new 星河仪器有限公司 检测设备 100000")
    with session_factory(engine)() as s:
        cid = s.exec(select(Customer.id).where(col(Customer.name) == "星河仪器有限公司")).one()
    n = _deal_id(engine, "检测设备")
    for ref in (f"#{cid}", f"{cid}"):
        assert "星河仪器有限公司 #" in demo.say(f"@alice: /customer {ref}")
    for ref in (f"#{n}", f"{n}"):
        assert "检测设备" in demo.say(f"@alice: /deal {ref}")


def test_an_exact_name_wins_over_names_it_is_a_prefix_of(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 华东精密")
    demo.say("@alice: /customer add 华东精密机械 --force")
    demo.say("@alice: /customer add Acme")
    demo.say("@alice: /customer add Acme Trading --force")
    assert "华东精密 #" in demo.say("@alice: /customer 华东精密")
    assert "华东精密机械 #" in demo.say("@alice: /customer 华东精密机械")
    assert "Acme #" in demo.say("@alice: /customer Acme")
    demo.say("@alice: /customer add 华东精密有限公司 --force")  # the same key as 华东精密
    assert "华东精密有限公司 #" in demo.say("@alice: /customer 华东精密有限公司")
    assert "华东精密 #" in demo.say("@alice: /customer 华东精密")
    assert "Opened deal" in demo.say("@alice: /deal new Acme 试用 1000")
    assert "Logged" in demo.say("@alice: /visit 华东精密 上门拜访，下周三再跟进")


def test_traditional_and_simplified_characters_match(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 华东精密机械有限公司")
    assert "华东精密机械有限公司 #" in demo.say("@alice: /customer 華東精密機械")
    assert "A similar customer exists" in demo.say("@alice: /customer add 華東精密機械股份有限公司")


def test_help_lists_the_commands_of_the_askers_role_only(demo: Transcript) -> None:
    fay = demo.say("@fay: /help")
    for missing in ("/deal new", "/quote new", "/lead add", "/customer add", "/customer edit", "/advance", "/visit",
                    "/deals"):
        assert missing not in fay, missing
    assert "/paid" in fay and "/receivables" in fay and "/customer NAME" in fay
    alice = demo.say("@alice: /help")
    assert "/deal edit" in alice and "/contact edit" in alice
    for missing in ("/paid", "/privacy", "/deactivate", "/target", "/approvals"):
        assert missing not in alice, missing
    assert "/privacy" in demo.say("@carol: /help")


def test_edits_answer_in_the_users_language(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 星河仪器有限公司")
    demo.say("@alice: /deal new 星河仪器有限公司 检测设备 100000")
    n = _deal_id(engine, "检测设备")
    demo.say("@alice: /lang zh")
    assert_dialog(demo, [
        (f"@alice: /deal edit {n} 金额 5万", f"商机 #{n} · 金额：¥100,000 → ¥50,000"),
        (f"@alice: /deal edit {n}", ["要修改什么？", "预计成交日期"]),
        ("@alice: /customer edit 星河仪器有限公司 等级 Z", "等级只能是"),
        ("@alice: /customer edit 星河仪器有限公司 状态 休眠", "状态：活跃 → 休眠"),
        (f"@alice: /deal edit {n} 负责人 dave", "只有经理或管理员"),
    ])


def test_the_picker_works_the_same_on_slack(engine: Engine, demo: Transcript, clock: FakeClock) -> None:
    demo.say("@alice: /customer add 星河仪器有限公司")
    demo.say("@alice: /deal new 星河仪器有限公司 检测设备 100000")
    n = _deal_id(engine, "检测设备")
    with transaction(session_factory(engine)) as s:
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        invites.bind(s, user_id=alice.id or 0, platform="slack", workspace="T0TEAM", external_id="U0ALICE",
                     chat="D0ALICE", now=clock())
    dm = ChatRef("slack", "T0TEAM", "D0ALICE")

    def turn(text: str = "", action: str | None = None) -> list[Reply]:
        return demo.core.handle(Incoming(chat=dm, user="U0ALICE", text=text, action=action, private=True))

    picker = turn(f"/deal edit {n}")
    amount = next(b for r in picker for row in r.buttons for b in row if b.label == "Amount")
    assert "new amount" in turn(action=amount.action)[0].text
    assert "¥100,000 → ¥99,000" in turn("99000")[0].text


def test_a_manager_hands_a_deal_over_and_reopens_a_won_one(engine: Engine, demo: Transcript) -> None:
    demo.say("@alice: /customer add 星河仪器有限公司")
    demo.say("@alice: /deal new 星河仪器有限公司 检测设备 100000")
    n = _deal_id(engine, "检测设备")
    assert_dialog(demo, [
        (f"@bob: /deal edit {n} owner dave", "alice → dave"),
        (f"@dave: /won {n}", "What is the budget?"),  # from prospect: the skipped stages' rules first
        ("@dave: 预算10万；决策人王总；时间 月底", "without a quote"),
        (f"@bob: /advance {n} won because 直接签约", "Order #"),
        (f"@bob: /deal edit {n}", "Reopen"),
        (f"@bob: /deal edit {n} reopen 合同没签成", "Won → Prospect"),
        (f"@dave: /deal {n}", "Prospect"),
    ])
    with session_factory(engine)() as s:
        assert s.exec(select(SalesOrder).where(col(SalesOrder.deal_id) == n)).first() is None
