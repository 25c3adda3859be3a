"""Core dialogue rules as transcripts: joining, asking for what is missing, refusing bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from handlers.core import Core
from handlers.types import ChatRef, Incoming
from sales.demo import load_demo
from sales.invites import make_invite
from storage.db import session_factory, transaction
from storage.models import Activity, AuditLog, Customer, FollowUp
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


@pytest.fixture
def team(demo: Transcript) -> Transcript:
    """The demo team, in English."""
    return demo


def test_a_stranger_joins_with_an_invite_code(engine: Engine, team: Transcript, clock: FakeClock) -> None:
    out = team.say("@bob: /invite rep 小王")
    code = out.split("`")[0].split()[-1] if "`" in out else out.split("code: ")[1].split()[0]
    assert_dialog(team, [
        ("@newbie: /today", "/join CODE"),
        (f"@newbie: /join {code}", ["Welcome, 小王", "rep"]),
        ("@newbie: /customers", "No customers match"),
        (f"@other: /join {code}", "already used"),
        ("@alice: /invite admin", "can't use /invite"),
    ])


def test_cli_style_invite_makes_the_first_admin(engine: Engine, clock: FakeClock) -> None:
    with transaction(session_factory(engine)) as s:
        code = make_invite(s, role="admin", name="Root", by=None, now=clock()).code
    t = Transcript(Core(engine, clock=clock))
    assert_dialog(t, [(f"@root: /join {code}", "Welcome, Root! Your role is admin")])


def test_missing_arguments_are_asked_for_and_buttons_choose(team: Transcript) -> None:
    assert_dialog(team, [
        ("@alice: /customer add 东方电气设备有限公司 grade A", "Created customer"),
        ("@alice: /visit", "For which customer?"),
        ("@alice: 东方电气", "What happened?"),
        ("@alice: 电话没人接", "Logged visit: *东方电气设备有限公司*".replace("*", "")),
        ("@alice: /deal new 东方电气 主泵 50万", ["Opened deal", "[3] End of this month", "[5] Skip"]),
        ("@alice: /advance 东方电气", ["Move to:", "[6] Qualified", "Proposal"]),  # numbers run on all session
        ("@alice: 6", "What is the budget?"),
        ("@alice: 50万", "decision maker"),
        ("@alice: 王总", "timeline"),
        ("@alice: 年底前", ["→ Qualified", "Expected close: Thu 2026-12-31. Change it?"]),
        ("@alice: /advance 东方电气 proposal", "can't enter Proposal without a quote"),
        ("@alice: /lost 东方电气", "Why was it lost?"),
        ("@alice: 预算被砍", "→ Lost"),
        ("@alice: /advance 东方电气 won", "no open deal"),
    ])


def test_the_quote_dialogue_collects_lines_then_the_discount(team: Transcript) -> None:
    assert_dialog(team, [
        ("@alice: /customer add 北方重工 grade B", "Created"),
        ("@alice: /deal new 北方重工 产线改造", "Opened deal"),
        ("@alice: /quote new 北方重工", "Send the lines"),
        ("@alice: 伺服电机 10 2000", "1 line(s)"),
        ("@alice: 控制柜 2 15000; 安装 1 5000", "3 line(s)"),
        ("@alice: done", "What discount?"),
        ("@alice: 5%", ["subtotal ¥55,000", "total ¥52,250", "within your limit: approved"]),
    ])


def test_a_duplicate_customer_is_shown_and_the_user_chooses(team: Transcript) -> None:
    assert_dialog(team, [
        ("@alice: /customer add 华东精密机械有限公司", "Created"),
        ("@alice: /customer add 华东精密机械 (有限公司)", ["A similar customer exists", "Create anyway"]),
        ("@alice: 1", "华东精密机械有限公司 #"),
        ("@dave: /customer add 华东 精密机械", ["similar customer", "belongs to another rep"]),
        ("@dave: Create anyway", "Created customer"),
    ])


def test_bad_input_is_refused_in_the_users_language(team: Transcript, engine: Engine) -> None:
    assert_dialog(team, [
        ("@alice: /customer add 测试客户", "Created"),
        ("@alice: /deal new 测试客户 项目 -5", "must be more than 0"),
        ("@alice: /deal new 测试客户 项目 0", "must be more than 0"),
        ("@alice: /deal new 测试客户 项目", "Opened deal"),
        ("@alice: /quote new 测试客户 设备 1 100 discount 100%", "below 100%"),
        ("@alice: /quote new 测试客户 设备 0 100", "more than 0"),
        ("@alice: /advance 测试客户 nowhere", "There is no stage “nowhere”"),
        ("@alice: /visit 测试客户 今天上午8点回电", "in the past; no follow-up set"),
        ("@alice: /grade 测试客户 D", "Which grade?"),
        ("@alice: /customers Z", "Usage: /customers [A|B|C]"),
        ("@alice: /frobnicate", "There is no /frobnicate command"),
        ("@alice: " + "很" * 10_001, "too long"),
        ("@alice: /note 测试客户 '; DROP TABLE customer; -- <b>*x*</b>", "Logged note"),
        ("@fay: /visit 测试客户 hi", "Your role can't use /visit"),
        ("@alice: /paid 测试客户 100", "can't use /paid"),
        ("@alice: /lang zh", "中文"),
        ("@alice: /grade 测试客户 D", "哪个等级"),
    ])
    with Session(engine) as s:
        note = s.exec(select(Activity).where(Activity.kind == "note", Activity.customer_id == 31)).one()
        assert note.summary == "'; DROP TABLE customer; -- <b>*x*</b>"
        assert s.exec(select(func.count()).select_from(Customer)).one() == 31
        assert s.exec(select(func.count()).select_from(FollowUp).where(FollowUp.activity_id.is_not(None))).one() == 0


def test_a_repeated_event_changes_nothing(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=5, now=clock())
    core = Core(engine, clock=clock)
    msg = Incoming(chat=ChatRef("console", "local", "alice"), user="alice", text="/customer add 重复公司",
                   event_id="evt-1")
    first = core.handle(msg)
    again = core.handle(msg)
    assert "重复公司" in first[0].text and again == []
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Customer).where(Customer.name == "重复公司")).one() == 1
        assert s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "customer")).one() == 1


def test_undo_and_edit_a_logged_visit(team: Transcript, engine: Engine) -> None:
    assert_dialog(team, [
        ("@alice: /customer add 南方化工", "Created"),
        ("@alice: /visit 南方化工 下周五再谈", ["Next follow-up: Fri 2026-11-27", "[2] Edit"]),
        ("@alice: 2", "Send the corrected text"),
        ("@alice: 后天再谈", ["Next follow-up: Tue 2026-11-24", "[3] Undo"]),  # the edited visit's own buttons
        ("@alice: 3", "undone"),
    ])
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Activity).where(Activity.customer_id == 31)).one() == 0


def test_plain_text_naming_a_customer_is_offered_as_a_visit(team: Transcript) -> None:
    assert_dialog(team, [
        ("@alice: /customer add 华东科技有限公司", "Created"),
        ("@alice: 见了华东科技张总，要50台报价，下周三再跟进", ["Log this as a visit to", "[1] Log visit"]),
        ("@alice: 1", ["Logged visit: 华东科技有限公司", "Wed 2026-11-25"]),
        ("@alice: hello there", "I didn't get that"),
    ])


def test_english_next_friday_is_asked_back_not_guessed(team: Transcript) -> None:
    assert_dialog(team, [
        ("@alice: /customer add Acme Robotics", "Created"),
        ("@alice: /call Acme Robotics call back next Friday 2pm", ["Which day is “next Friday”?",
                                                                   "[1] Fri 2026-11-27 14:00",
                                                                   "[2] Fri 2026-12-04 14:00"]),
        ("@alice: 2", ["Logged call: Acme Robotics", "Next follow-up: Fri 2026-12-04 14:00"]),
    ])


def test_names_are_found_by_part_spacing_pinyin_initials_and_typos(team: Transcript) -> None:
    team.say("@alice: /customer add 华东精密机械有限公司 grade A")
    for query in ("华东精密", "华东 精密", "huadong", "hdjm", "华冬精密"):
        out = team.say(f"@alice: /customer {query}")
        assert "华东精密机械有限公司 #31 · A · alice" in out, (query, out)
