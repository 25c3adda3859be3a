"""Money reaches a message formatted with its currency and rounded half-up to the cent (fen): quote lines and
totals, refusals (overpaid, a plan that does not add up), reports."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from handlers.core import Core
from handlers.fmt import money
from sales.demo import load_demo
from storage.types import cents
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


def test_half_up_to_the_cent() -> None:
    assert money(Decimal("1.5") * Decimal("99.99")) == "¥149.99"
    assert money(Decimal("0.005")) == "¥0.01"
    assert money(Decimal("2.345"), "USD") == "$2.35"
    assert money(Decimal("37000.00")) == "¥37,000"
    assert money(Decimal("1234.5"), "EUR") == "€1,234.50"
    assert money(Decimal("999.995"), "JPY") == "JPY 1,000"
    assert cents(Decimal("149.985")) == Decimal("149.99") and cents(2.675) == Decimal("2.68")


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=3, allow_nan=False))
def test_money_is_the_half_up_cent_with_thousands(value: Decimal) -> None:
    shown = money(value)
    want = value.quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert shown.startswith("¥")
    assert Decimal(shown[1:].replace(",", "")) == want
    assert re.fullmatch(r"¥-?\d{1,3}(,\d{3})*(\.\d\d)?", shown)


def test_a_quote_line_of_one_and_a_half_at_99_99(demo: Transcript) -> None:
    deal = re.findall(r"deal #(\d+)", demo.say("alice", "/deal new 苏南远航 Small 300"))[0]
    quote = re.findall(r"Quote #(\d+)", demo.say("alice", f"/quote new {deal} widget 1.5 99.99; gadget 1.5 99.99"))
    shown = demo.say("alice", f"/quote #{quote[0]}")
    assert "widget × 1.5 @ ¥99.99 = ¥149.99" in shown and "total ¥299.98" in shown


def test_refusals_show_money_with_its_currency(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=30, now=clock())
    t = Transcript(Core(engine, clock=clock))
    deal = re.findall(r"商机 #(\d+)", t.say("alice", "/deal new 苏南远航 大单 37000.5"))[0]
    order = re.findall(r"订单 #(\d+)", t.say("bob", f"/advance {deal} won because 直接签约"))[0]
    assert_dialog(t, [
        (f"@alice: /plan {order} 30% now, 40% 2027-01-15", "订单金额 ¥37,000.50"),
        (f"@fay: /paid {order} 40000", "超过了未付金额 ¥37,000.50"),
    ])
    assert "37000" not in t.say("fay", f"/paid {order} 40000")
