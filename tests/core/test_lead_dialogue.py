"""Leads a rep adds: seen in /leads and found by /lead N (with or without #) before anyone is assigned; the
/lead add dialogue takes the company name it asked for as a whole; disqualifying asks a reason (buttons or typed)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from handlers.core import Core
from sales.demo import load_demo
from storage.db import session_factory
from storage.models import AuditLog, Lead, User
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


def test_a_rep_sees_the_leads_she_added(demo: Transcript, engine: Engine) -> None:
    assert_dialog(demo, [
        ("@alice: /lead add Acme Robotics Tom 13800001111", "Lead #1 Acme Robotics added: score"),
        ("@alice: /leads", ["#1 Acme Robotics · Tom", "1–1 of 1"]),
        ("@alice: /lead 1", ["#1 Acme Robotics", "13800001111"]),
        ("@alice: /lead #1", "#1 Acme Robotics"),
        ("@dave: /lead 1", "No lead #1 found."),  # another rep's
        ("@bob: /leads", "#1 Acme Robotics"),  # the manager sees the team's
    ])
    with session_factory(engine)() as s:
        lead = s.exec(select(Lead)).one()
        alice = s.exec(select(User).where(User.name == "alice")).one()
        assert lead.owner_id is None and lead.added_by == alice.id


def test_the_dialogue_takes_the_company_it_asked_for(demo: Transcript, engine: Engine) -> None:
    assert_dialog(demo, [
        ("@alice: /lead add", "Which company?"),
        ("@alice: Acme Robotics Shanghai", "Lead #1 Acme Robotics Shanghai added"),
        ("@alice: /lead add 13900002222 li@blue.com", "Which company?"),
        ("@alice: Blue Ocean Tech", "Lead #2 Blue Ocean Tech added"),
        ("@alice: /lead add \"Green Hill Foods\" Wang", "Lead #3 Green Hill Foods added"),
    ])
    with session_factory(engine)() as s:
        got = [(x.company, x.person, x.phone, x.email) for x in s.exec(select(Lead).order_by(Lead.id))]
    assert got == [("Acme Robotics Shanghai", None, None, None),
                   ("Blue Ocean Tech", None, "+8613900002222", "li@blue.com"),
                   ("Green Hill Foods", "Wang", None, None)]


def test_disqualify_asks_a_reason(demo: Transcript, engine: Engine) -> None:
    demo.say("alice", "/lead add \"Acme Robotics\"")
    out = demo.say("alice", "/lead 1 disqualify")
    assert "Why is lead #1 Acme Robotics disqualified?" in out
    assert [b.label for r in demo.last["alice"] for row in r.buttons for b in row][:3] == [
        "no budget", "no need", "unreachable"]
    assert "Lead #1 disqualified: no budget." in demo.press("alice", "no budget")
    assert_dialog(demo, [
        ("@alice: /lead 1", "Disqualified: no budget"),
        ("@alice: /lead 1 disqualify", "This lead is already disqualified."),
        ("@alice: /lead add Beta Tools", "#2"),
        ("@alice: /lead 2 disqualify", "Why is lead #2"),
        ("@alice: the boss said no", "Lead #2 disqualified: the boss said no."),
    ])
    with session_factory(engine)() as s:
        notes = [x.note for x in s.exec(select(Lead).order_by(Lead.id))]
        assert notes == ["no budget", "the boss said no"]
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "disqualify")).all()) == 2


def test_in_chinese(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=0, now=clock())
    t = Transcript(Core(engine, clock=clock))
    assert_dialog(t, [
        ("@alice: /lead add", "线索的公司叫什么？"),
        ("@alice: 蓝海 科技", "蓝海 科技"),
        ("@alice: /leads", "第 1–1 条，共 1 条"),
        ("@alice: /lead 1 无效", ["为什么无效", "没有预算"]),
        ("@alice: 联系不上", "线索 #1 已标记为无效：联系不上。"),
        ("@alice: /lead 1 无效", "这条线索已经无效"),
    ])
