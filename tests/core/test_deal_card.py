"""The deal card (/deal N): quote versions and their status, the order and its payment progress, the next
follow-up; in English and Chinese."""

from __future__ import annotations

import re

from sqlalchemy import Engine

from handlers.core import Core
from sales.demo import load_demo
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


def _num(pattern: str, text: str) -> str:
    return re.findall(pattern, text)[0]


def test_the_deal_card_shows_quotes_order_payments_and_the_next_follow_up(demo: Transcript) -> None:
    deal = _num(r"deal #(\d+)", demo.say("alice", "/deal new 苏南远航 Big 200000"))
    demo.say("alice", f"/quote new {deal} widget 10 20000 discount 5")
    quote = _num(r"Quote #(\d+)", demo.say("alice", f"/quote new {deal} widget 10 20000 discount 15"))  # waits
    assert_dialog(demo, [(f"@alice: /deal #{deal}", [
        "Quotes:", "v2 · ¥170,000 · waiting for approval", "v1 · ¥190,000 · approved",
        "Next follow-up: Sun 2026-11-22 16:00"])])
    assert "Order" not in demo.say("alice", f"/deal {deal}")
    demo.say("bob", "/approvals")
    mine = next(r for r in demo.last["bob"] if f"Quote #{quote} " in r.text)
    demo.say("bob", action=mine.buttons[0][0].action)
    order = _num(r"Order #(\d+)", demo.say("bob", f"/advance {deal} won because 直接签约"))
    assert_dialog(demo, [(f"@alice: /deal {deal}", [
        "v2 · ¥170,000 · approved", f"Order #{order}: ¥170,000, received ¥0 (0%)", "No payment plan yet"])])
    demo.say("alice", f"/plan {order} 30% now, rest 2027-01-15")
    demo.say("fay", f"/paid {order} 20000")
    assert_dialog(demo, [(f"@alice: /deal {deal}", [
        f"Order #{order}: ¥170,000, received ¥20,000 (11%)", "Next installment: ¥31,000 due Sun 2026-11-22"])])
    demo.say("fay", f"/paid {order} 31000")
    assert "Next installment: ¥119,000 due Fri 2027-01-15" in demo.say("alice", f"/deal {deal}")


def test_the_deal_card_in_chinese(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=30, now=clock())
    t = Transcript(Core(engine, clock=clock))
    deal = _num(r"商机 #(\d+)", t.say("alice", "/deal new 苏南远航 大单 200000"))
    t.say("alice", f"/quote new {deal} 机床 10 20000 折扣 5")
    order = _num(r"订单 #(\d+)", t.say("bob", f"/advance {deal} won because 直接签约"))
    clock.advance(days=40)
    t.say("alice", f"/plan {order} 30% 2027-01-10, rest 2027-02-15")
    clock.advance(days=10)
    assert_dialog(t, [(f"@alice: /deal {deal}", [
        "报价：", "第 1 版 · ¥190,000 · 已批准", f"订单 #{order}：¥190,000，已收 ¥0（0%）",
        "下一期：¥57,000，2027-01-10（周日） 到期（已逾期）"])])
