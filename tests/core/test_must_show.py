"""The core issue's Must-show story, as a terminal-chat transcript on the demo team."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from storage.models import FollowUp, Installment
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


def test_alice_sells_to_huadong_from_visit_to_payment(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=200, now=clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
    assert_dialog(t, [
        ("@alice: /lang en", "English"),
        ("@alice: /customer add 华东精密机械有限公司 grade A", "Created customer 华东精密机械有限公司"),
        # Sunday 2026-11-22 in Shanghai: 下周三 is Wednesday of the following week.
        ("@alice: /visit 华东精密 见了采购总监张总，要50台报价，预算30万，下周三下午3点再跟进",
         ["Logged visit: 华东精密机械有限公司", "Next follow-up: Wed 2026-11-25 15:00", "[1] Undo"]),
        ("@alice: /deal new 华东精密 数控机床采购 300000", ["Opened deal", "¥300,000", "[4] End of this month"]),
        ("@alice: /quote new 华东精密 数控机床 50 6000 discount 15%",
         ["discount 15%, total ¥255,000", "sent to bob for approval",
          "→ bob: alice 申请折扣审批", "[7] 批准  [8] 拒绝"]),  # every button printed has its own number (the visit printed three, the deal three)
        ("@bob: 7", ["→ bob: ✅ 已批准", "→ alice: ✅ bob approved the 15% discount"]),
        ("@alice: /won 华东精密", "What is the budget?"),  # from prospect: qualified's rules too (the quote is there)
        ("@alice: 预算30万；决策人张总；时间 月底", ["→ Won", "Order #"]),
        ("@alice: /plan 华东精密 30% now, 70% 2027-01-15", ["¥76,500", "Fri 2027-01-15 ¥178,500"]),
        ("@fay: /paid 华东精密 90000", ["已登记", "1. 2026-11-22（周日） ¥76,500 — 已付", "→ alice: 💰"]),
        ("@dave: /customer 华东精密", "No customer “华东精密” found"),
        ("@dave: /customers #重点", "No customers match"),
        ("@stranger: /customer 华东精密", "/join"),
        ("@stranger: /deals", "/join"),
    ])
    clock.advance(days=3, hours=-2)  # Wednesday 08:00 in Shanghai
    out = t.say("@alice: /today")
    assert "华东精密机械有限公司" in out and "15:00" in out and re.search(r"\[\d+\] ✓ ", out)  # numbers run on all session
    with Session(engine) as s:
        first = s.exec(select(Installment).order_by(Installment.due_on)).all()
        mine = [i for i in first if i.amount == Decimal("76500.00")]
        assert mine and mine[0].paid == mine[0].amount
        assert s.exec(select(FollowUp).where(FollowUp.has_time)).first() is not None


def test_a_second_tap_on_a_decided_approval_changes_nothing(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=20, now=clock())
    t = Transcript(Core(engine, clock=clock))
    assert_dialog(t, [
        ("@alice: /customer add 远东重工 grade B", "远东重工"),
        ("@alice: /deal new 远东重工 设备 100000", "已新建商机"),
        ("@alice: /quote new 远东重工 设备 10 10000 八五折", "15%"),
        ("@bob: 5", "已拒绝"),
        ("@bob: 5", "这个审批已拒绝（bob）"),
    ])
