"""Each role sees and is offered only what it may do: /help lists the commands of the asker's role and each of them
runs for that role; finance sees orders, payments and receivables but no visit notes (customer card, activities,
exports) and does not change payment plans; a plan is changed by its owner, their manager or an admin."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from handlers.context import Settings
from handlers.core import Core
from handlers.registry import COMMANDS
from sales.demo import load_demo
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog

PEOPLE = {"rep": "alice", "manager": "bob", "finance": "fay", "admin": "carol"}


@pytest.fixture
def team(engine: Engine, clock: FakeClock) -> Transcript:
    """The demo team reading English, without the rate limit (every command is tried in one test)."""
    load_demo(engine, customers=30, now=clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0)))
    for who in ("alice", "bob", "carol", "dave", "fay"):
        t.say(who, "/lang en")
    return t


def _listed(t: Transcript, who: str) -> list[str]:
    return re.findall(r"^/(\w+)", t.say(who, "/help"), re.M)


@pytest.mark.slow  # every command of every role: seconds
@pytest.mark.parametrize("role", sorted(PEOPLE))
def test_help_lists_what_the_role_may_run(team: Transcript, role: str) -> None:
    who, demo = PEOPLE[role], team
    listed = _listed(demo, who)
    assert listed and len(set(listed)) == len(listed)
    for name in listed:
        assert role in COMMANDS[name].roles or COMMANDS[name].public, name
        out = demo.say(who, f"/{name}")
        assert "can't use" not in out and "may not" not in out, (name, out)
        assert "can't use" not in demo.say(who, f"/help {name}"), name
        demo.say(who, "cancel")
    for name, cmd in COMMANDS.items():
        if name not in listed and not cmd.public and name == cmd.name:
            assert "can't use" in demo.say(who, f"/help {name}") or role not in cmd.roles, name


def test_finance_is_offered_money_not_notes(demo: Transcript) -> None:
    listed = _listed(demo, "fay")
    assert {"receivables", "paid", "customer", "customers", "export"} <= set(listed)
    assert not {"plan", "deal", "deals", "visit", "lead", "quote", "today"} & set(listed)
    shown = demo.say("fay", "/help")
    assert "activities" not in shown and "/export customers|invoices [csv]" in shown and "/audit CUSTOMER " in shown
    assert "disqualify REASON|assign USER" not in demo.say("alice", "/help")
    assert "disqualify REASON|assign USER" in demo.say("bob", "/help")
    assert "/invite rep [name]" in demo.say("bob", "/help")


def _won_order(t: Transcript, who: str, customer: str) -> tuple[str, str]:
    deal = re.findall(r"deal #(\d+)", t.say(who, f"/deal new {customer} Big 100000"))[0]
    return deal, re.findall(r"Order #(\d+)", t.say("bob", f"/advance {deal} won because 直接签约"))[0]


def test_finance_card_shows_orders_not_visit_notes(demo: Transcript) -> None:
    demo.say("alice", "/visit 苏南远航 the buyer complained about the price, call back Friday")
    _deal, order = _won_order(demo, "alice", "苏南远航")
    alice_card = demo.say("alice", "/customer 苏南远航")
    assert "complained" in alice_card and "Latest activities" in alice_card
    card = demo.say("fay", "/customer 苏南远航")
    assert "complained" not in card and "Latest activities" not in card and "Next follow-up" not in card
    assert f"#{order} ¥100,000, received ¥0 · confirmed" in card and "Receivable" in card
    assert_dialog(demo, [
        ("@fay: /export activities", "Your role can export customers, invoices only."),
        ("@fay: /export deals", "Your role can export customers, invoices only."),
        ("@fay: /export customers", "Exported"),
        ("@fay: /plan 1 30% now, rest 2027-01-15", "Your role can't use /plan."),
    ])
    demo.say("alice", f"/plan {order} 30% now, rest 2027-01-15")
    assert f"#{order} " in demo.say("fay", "/receivables")


def test_a_plan_is_changed_by_its_owner_their_manager_or_an_admin(demo: Transcript, engine: Engine) -> None:
    _deal, order = _won_order(demo, "alice", "苏南远航")
    assert_dialog(demo, [
        (f"@alice: /plan {order} 30% now, rest 2027-01-15", "Payment plan of order"),
        (f"@bob: /plan #{order} 50% now, rest 2027-01-15", "Payment plan of order"),
        (f"@carol: /plan {order} 40% now, rest 2027-01-15", "Payment plan of order"),
        ("@alice: /share 苏南远航 dave", "dave"),
        (f"@dave: /plan {order} 10% now, rest 2027-01-15",
         "Only the order's owner, their manager or an admin can change its payment plan."),
        (f"@fay: /plan {order} 10% now, rest 2027-01-15", "Your role can't use /plan."),
    ])


def test_finance_in_chinese(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=30, now=clock())
    t = Transcript(Core(engine, clock=clock))
    shown = t.say("fay", "/help")
    assert "/receivables" in shown and "/plan" not in shown and "activities" not in shown
    assert_dialog(t, [
        ("@fay: /export 跟进记录", "你的角色只能导出客户、发票。"),
        ("@fay: /plan 1 30% now, rest 2027-01-15", "你的角色不能用 /plan"),
        ("@alice: /help", "/lead 编号 [qualify|disqualify 原因] | /lead rules"),
    ])
    deal = re.findall(r"商机 #(\d+)", t.say("alice", "/deal new 苏南远航 大单 100000"))[0]
    order = re.findall(r"订单 #(\d+)", t.say("bob", f"/advance {deal} won because 直接签约"))[0]
    t.say("alice", "/share 苏南远航 dave")
    assert "Only the order's owner" in t.say("dave", f"/plan {order} 30% now, rest 2027-01-15")  # dave reads English
    assert "已收 ¥0" in t.say("fay", "/customer 苏南远航")
