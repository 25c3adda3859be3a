"""Money keeps its currency end to end: deal, quote, order, payment, export; reports total per currency, or
convert at an admin-set rate and say so (issue 18)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.fmt import money, monies
from sales.exporting import export
from storage.models import Deal, Payment, Quote, SalesOrder, User
from tests.transcript import Transcript, assert_dialog


def test_money_is_shown_in_its_own_currency() -> None:
    assert money(Decimal(10000), "USD") == "$10,000"
    assert money(Decimal("1234.5"), "EUR") == "€1,234.50"
    assert money(Decimal(5000), "JPY") == "JPY 5,000"
    assert money(Decimal(5000)) == "¥5,000"
    assert monies({"USD": Decimal(10), "CNY": Decimal(20)}) == "¥20 + $10"


def test_a_dollar_deal_stays_in_dollars_to_the_payment(demo: Transcript, engine: Engine) -> None:
    assert_dialog(demo, [
        ("@alice: /customer add Acme Corp grade A", "Created"),
        ("@alice: /deal new Acme Phase two $10,000", ["Phase two", "$10,000"]),
        ("@alice: /deal new Acme Phase three 1.2M USD", "$1,200,000"),
    ])
    with Session(engine) as s:
        deal_id = s.exec(select(Deal).where(col(Deal.title) == "Phase two")).one().id
    assert_dialog(demo, [
        (f"@alice: /quote new {deal_id} Widget 10 $1,000", ["subtotal $10,000", "total $10,000"]),
        (f"@alice: /quote new {deal_id} Widget 10 $1,000; Other 1 ¥500", "one currency"),
    ])
    with Session(engine) as s:
        d = s.exec(select(Deal).where(col(Deal.title) == "Phase two")).one()
        q = s.exec(select(Quote).where(col(Quote.deal_id) == d.id)).one()
        assert (d.currency, q.currency) == ("USD", "USD")
        deal_id = d.id
    assert "What is the budget?" in demo.say(f"@alice: /won {deal_id}")  # a jump from prospect: qualified's rules
    out = demo.say("@alice: budget $10,000; decision maker Mr Li; timeline end of month")
    assert "Won" in out and "$10,000" in out
    with Session(engine) as s:
        order = s.exec(select(SalesOrder).where(col(SalesOrder.deal_id) == deal_id)).one()
        assert order.currency == "USD"
        oid = order.id
    assert "is in USD, not CNY" in demo.say(f"@alice: /plan {oid} 首付¥5000，余款3月初")
    assert "$3,000" in demo.say(f"@alice: /plan {oid} 首付$3,000，余款3月初")
    assert "is in USD, not CNY" in demo.say(f"@fay: /paid {oid} ¥500")
    out = demo.say(f"@fay: /paid {oid} $1,000")
    assert "$1,000" in out and "$10,000" in out
    with Session(engine) as s:
        assert [p.currency for p in s.exec(select(Payment)).all()] == ["USD"]
    assert "Receivable: $9,000" in demo.say("@alice: /customer Acme Corp")


def test_reports_total_per_currency_or_convert_at_the_admins_rate(demo: Transcript, engine: Engine) -> None:
    assert_dialog(demo, [
        ("@alice: /customer add Acme Corp grade A", "Created"),
        ("@alice: /deal new Acme Phase two $10,000", "$10,000"),
        ("@alice: /deal new Acme Phase one ¥100,000", "¥100,000"),
    ])
    out = demo.say("@alice: /pipeline mine")
    assert "Prospect (10%)" in out and " + $10,000\n" in out and "per currency" in out
    assert "Only an admin" in demo.say("@bob: /config rate USD 7.10")
    assert "1 USD = 7.10 CNY" in demo.say("@carol: /config rate USD 7.10")
    out = demo.say("@alice: /pipeline mine")
    assert "≈ ¥" in out and "in all" in out and "at USD 7.1" in out and "per currency" not in out


def test_the_deal_export_has_the_currency(demo: Transcript, engine: Engine) -> None:
    demo.say("@alice: /customer add Acme Corp grade A")
    demo.say("@alice: /deal new Acme Phase two $10,000")
    with Session(engine) as s:
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        from zoneinfo import ZoneInfo
        data, _ = export(s, what="deals", user=alice, tz=ZoneInfo("Asia/Shanghai"), lang="en")
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    header = list(rows[0])
    row = next(r for r in rows if r[1] == "Phase two")
    assert row[header.index("Currency")] == "USD" and row[header.index("Amount")] == 10000
    assert row[header.index("Stage")] == "Prospect"


def test_period_reports_leave_out_or_convert_other_currencies(demo: Transcript, engine: Engine) -> None:
    demo.say("@alice: /customer add Acme Corp grade A")
    demo.say("@alice: /deal new Acme Phase two $10,000")
    with Session(engine) as s:
        deal_id = s.exec(select(Deal).where(col(Deal.title) == "Phase two")).one().id
    assert "Won" in demo.say(f"@bob: /advance {deal_id} won because 直接签约")  # past the skipped stages' rules
    out = demo.say("@bob: /report funnel")
    assert "Deals in USD are left out of the sums" in out
    demo.say("@carol: /config rate USD 7.10")
    plain = demo.say("@bob: /report forecast")
    assert "≈ amounts in CNY, at USD 7.1" in plain and "left out" not in plain
    assert "≈ amounts in CNY, at USD 7.1" in demo.say("@bob: /report funnel")
