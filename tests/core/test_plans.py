"""Payment plans in Chinese or English (read_plan, then sales.orders.plan_parts) and payment dates (/plan, /paid)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.context import Settings
from handlers.core import Core
from handlers.parsing import read_plan
from sales import orders
from sales.demo import load_demo
from sales.errors import RuleError
from storage.models import Payment
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog

SUNDAY = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = SUNDAY.date()
TOTAL = Decimal(255000)


def parts(text: str, total: Decimal = TOTAL) -> list[tuple[str, str]]:
    """The plan as (due day, amount) rows, the way /plan shows it."""
    reading = read_plan(text, SUNDAY)
    assert reading.problem is None, (reading.problem, reading.part)
    terms = [orders.Term(i.due, i.percent, i.amount) for i in reading.installments]
    return [(p.due_on.isoformat(), str(p.amount)) for p in orders.plan_parts(terms, total=total, today=TODAY)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30% now, 40% 2027-01-15, rest 2027-03-01",
         [("2026-11-22", "76500.00"), ("2027-01-15", "102000.00"), ("2027-03-01", "76500.00")]),
        ("首付30%，余款3月初", [("2026-11-22", "76500.00"), ("2027-03-01", "178500.00")]),
        ("30% now, rest end of March", [("2026-11-22", "76500.00"), ("2027-03-31", "178500.00")]),
        ("首付5万，尾款3月底", [("2026-11-22", "50000.00"), ("2027-03-31", "205000.00")]),
        ("50,000 now, rest 2027-03-01", [("2026-11-22", "50000.00"), ("2027-03-01", "205000.00")]),
        ("$55,000 on signing, balance Jan 31", [("2026-11-22", "55000.00"), ("2027-01-31", "200000.00")]),
        ("定金10%；60% 2027-01-10；尾款2027-02-28",
         [("2026-11-22", "25500.00"), ("2027-01-10", "153000.00"), ("2027-02-28", "76500.00")]),
        ("half now, half in 30 days", [("2026-11-22", "127500.00"), ("2026-12-22", "127500.00")]),
        ("签约付三成，余款下月底", [("2026-11-22", "76500.00"), ("2026-12-31", "178500.00")]),
        ("30% now and 70% in 2 weeks", [("2026-11-22", "76500.00"), ("2026-12-06", "178500.00")]),
        ("100% 2026-12-15", [("2026-12-15", "255000.00")]),
    ],
)
def test_plans_in_both_languages(text: str, expected: list[tuple[str, str]]) -> None:
    assert parts(text) == expected


@pytest.mark.parametrize(
    ("text", "problem", "part"),
    [
        ("首付5万，尾款验收后30天", "event", "尾款验收后30天"),  # hangs on an acceptance nobody has dated
        ("30% on signing, 70% on delivery", "event", "70% on delivery"),
        ("签约付三成，发货前付四成，余款1月15日", "event", "发货前付四成"),
        ("30%", "no_date", "30%"),
        ("30% next Friday", "ambiguous_date", "30% next Friday"),
        ("乱写一通", "unreadable", "乱写一通"),
        ("", "unreadable", ""),
        ("0% now, rest 2027-01-01", "bad_share", "0% now"),
    ],
)
def test_plans_refused_with_the_reason_and_the_part(text: str, problem: str, part: str) -> None:
    reading = read_plan(text, SUNDAY)
    assert (reading.problem, reading.part, reading.installments) == (problem, part, ())


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("30% now, 40% 2027-01-15", "plan_sum"),  # neither the whole nor a rest
        ("rest now, rest 2027-01-15", "plan_sum"),
        ("300,000 now, rest 2027-01-15", "plan_sum"),
        ("30% 2026-11-01, rest 2027-01-15", "date_in_past"),
    ],
)
def test_the_parts_must_add_up(text: str, code: str) -> None:
    reading = read_plan(text, SUNDAY)
    terms = [orders.Term(i.due, i.percent, i.amount) for i in reading.installments]
    with pytest.raises(RuleError) as err:
        orders.plan_parts(terms, total=TOTAL, today=TODAY)
    assert err.value.code == code


def test_percentages_that_nearly_add_up_are_rounded_onto_the_last_part() -> None:
    assert parts("33.33% now, 33.33% 2027-01-01, 33.34% 2027-02-01", Decimal(100)) == [
        ("2026-11-22", "33.33"), ("2027-01-01", "33.33"), ("2027-02-01", "33.34"),
    ]


def test_a_chinese_plan_and_payment_dates_in_chat(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=20, now=clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
    assert_dialog(t, [
        ("@alice: /lang en", "English"),
        ("@alice: /customer add 华东精密机械有限公司 grade A", "Created customer"),
        ("@alice: /deal new 华东精密 数控机床采购 300000", "Opened deal"),
        ("@bob: /advance 华东精密 won because 直接签约", "订单 #"),  # bob reads Chinese; a manager past the skipped stages' rules
        ("@alice: /plan 华东精密 首付5万，尾款验收后30天", "hangs on an event"),
        ("@alice: /plan 华东精密 首付30%，余款3月初", ["¥90,000", "2027-03-01 ¥210,000"]),
    ])
    clock.advance(days=16)  # Tuesday 2026-12-08
    assert_dialog(t, [
        ("@fay: /paid 华东精密 1000 12月1日", ["已登记", "2026-12-01"]),
        ("@fay: /paid 华东精密 1000 昨天", ["已登记", "2026-12-07"]),
        ("@fay: /paid 华东精密 1000 明天", "还没到"),
    ])
    with Session(engine) as s:
        days = sorted(p.paid_on for p in s.exec(select(Payment)).all())
    assert days == [date(2026, 12, 1), date(2026, 12, 7)]
