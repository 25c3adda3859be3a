"""One reading of money, counts, discounts and periods in every command: /deal new, deal edits, /won, /quote,
/paid, /target and report periods (issue 18)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.parsing.amounts import read_amount, read_count, split_amount
from storage.models import Deal, Quote, Target
from tests.transcript import Transcript, assert_dialog


@pytest.mark.parametrize(
    ("text", "title", "amount", "currency"),
    [
        ("二期扩产 12万8", "二期扩产", "128000", None),
        ("二期扩产 1.5亿", "二期扩产", "150000000", None),
        ("Phase two 1.2M", "Phase two", "1200000", None),
        ("二期扩产 500000元", "二期扩产", "500000", "CNY"),
        ("二期扩产 500000", "二期扩产", "500000", None),
        ("Phase two $10,000", "Phase two", "10000", "USD"),
        ("Phase two 1.2M USD", "Phase two", "1200000", "USD"),
        ("12万8 二期扩产", "二期扩产", "128000", None),
    ],
)
def test_a_title_and_its_amount(text: str, title: str, amount: str, currency: str | None) -> None:
    got_title, money = split_amount(text)
    assert money is not None and (got_title, money.amount, money.currency) == (title, Decimal(amount), currency)


@pytest.mark.parametrize("text", ["二期扩产", "采购50台", "2026 upgrade plan", "Phase 2", "二期 3"])
def test_a_title_without_an_amount_stays_whole(text: str) -> None:
    assert split_amount(text) == (text, None)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("500000", "500000"), ("12万8", "128000"), ("1万2", "12000"), ("1.5亿", "150000000"), ("500k", "500000"),
     ("$10,000", "10000"), ("1.2M USD", "1200000"), ("¥8,000", "8000"), ("2m", "2000000")],
)
def test_an_amount_argument(text: str, amount: str) -> None:
    got = read_amount(text)
    assert got is not None and got.amount == Decimal(amount)


@pytest.mark.parametrize("text", ["abc", "50台", "12万8 二期", "0", "-5", "15%", ""])
def test_not_an_amount_argument(text: str) -> None:
    assert read_amount(text) is None


@pytest.mark.parametrize(("text", "count"), [("50", "50"), ("2.5", "2.5"), ("50台", "50"), ("三台", "3")])
def test_a_count_argument(text: str, count: str) -> None:
    assert read_count(text) == Decimal(count)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_amount_readers_never_raise(text: str) -> None:
    got = read_amount(text)
    assert got is None or got.amount > 0
    title, money = split_amount(text)
    assert isinstance(title, str) and (money is None or money.amount > 0)
    count = read_count(text)
    assert count is None or count > 0


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**10 - 1), st.sampled_from(["", "元", " USD", "万"]))
def test_a_typed_amount_reads_back(n: int, mark: str) -> None:
    got = read_amount(f"{n}{mark}")
    assert got is not None and got.amount == n * (10_000 if mark == "万" else 1)
    assert got.currency == {"元": "CNY", " USD": "USD"}.get(mark)


def _deal(engine: Engine, title: str) -> Deal:
    with Session(engine) as s:
        d = s.exec(select(Deal).where(col(Deal.title) == title)).first()
        assert d is not None
        return d


def test_deal_new_reads_its_amount(demo: Transcript, engine: Engine) -> None:
    assert_dialog(demo, [
        ("@alice: /customer add 华东精密 grade A", "Created"),
        ("@alice: /deal new 华东精密 二期扩产 12万8", ["二期扩产", "¥128,000"]),
        ("@alice: /deal new 华东精密 三期 1.5亿", "¥150,000,000"),
        ("@alice: /deal new 华东精密 四期 500000元", "¥500,000"),
    ])
    assert _deal(engine, "二期扩产").amount == Decimal(128000)


def test_deal_edits_and_won_read_amounts_and_dates(demo: Transcript, engine: Engine) -> None:
    out = demo.say("@alice: /customer add 华东精密 grade A")
    assert "Created" in out
    out = demo.say("@alice: /deal new 华东精密 二期扩产")
    n = out.split("#")[1].split(":")[0]
    assert_dialog(demo, [
        (f"@alice: /deal {n} amount 12万8", "¥128,000"),
        (f"@alice: /deal {n} title 二期扩产项目", "二期扩产项目"),
        (f"@alice: /deal {n} close 下月底", "2026-12-31"),
        (f"@alice: /deal {n} amount abc", "is not a number"),
        (f"@alice: /won {n} 13万", "What is the budget?"),  # from prospect: the skipped stages' rules first
        ("@alice: 预算13万；决策人王总；时间 月底", "without a quote"),
        (f"@bob: /advance {n} won because 直接签约", ["Won", "¥130,000"]),
    ])
    assert _deal(engine, "二期扩产项目").amount == Decimal(130000)


def test_quote_prices_and_discounts(demo: Transcript, engine: Engine) -> None:
    assert_dialog(demo, [
        ("@alice: /customer add 北方重工 grade B", "Created"),
        ("@alice: /deal new 北方重工 产线改造", "Opened deal"),
        ("@alice: /quote new 北方重工 伺服电机 10台 1万2 优惠5个点", ["subtotal ¥120,000", "discount 5%", "¥114,000"]),
        ("@alice: /quote new 北方重工 伺服电机 10 1万2 打9折", ["discount 10%", "¥108,000"]),
        ("@alice: /quote new 北方重工 伺服电机 10 abc", "“abc” is not a number"),
    ])
    with Session(engine) as s:
        assert [q.discount for q in s.exec(select(Quote).order_by(col(Quote.id))).all()][-2:] == [5, 10]


def test_paid_reads_amount_and_a_past_date(demo: Transcript) -> None:
    assert_dialog(demo, [
        ("@alice: /customer add 南方电网 grade A", "Created"),
        ("@alice: /deal new 南方电网 配电 10万", "Opened deal"),
        ("@bob: /advance 南方电网 won because 直接签约", "Order #"),  # a manager past the skipped stages' rules
    ])
    out = demo.say("@fay: /paid 南方电网 1万2 昨天")
    assert "¥12,000" in out and "2026-11-21" in out
    assert "hasn't come yet" in demo.say("@fay: /paid 南方电网 1000 明天")


def test_target_amounts_and_report_periods(demo: Transcript, engine: Engine) -> None:
    assert_dialog(demo, [
        ("@bob: /target alice 50万 下季度", ["¥500,000", "Q1 2027"]),
        ("@bob: /target alice 1.2M next quarter", "¥1,200,000"),
        ("@bob: /report forecast 下季度", "Q1 2027"),
        ("@bob: /report forecast next quarter", "Q1 2027"),
        ("@bob: /report funnel 上周", "Nov 9"),
        ("@bob: /report funnel last 30 days", "last 30 days"),
        ("@bob: /report funnel 今年上半年", "H1 2026"),
    ])
    with Session(engine) as s:
        assert [t.amount for t in s.exec(select(Target)).all()] == [Decimal(1200000)]


def test_the_visit_confirmation_shows_the_whole_reading_and_offers_the_person(demo: Transcript,
                                                                             engine: Engine) -> None:
    from storage.models import Contact

    assert_dialog(demo, [
        ("@alice: /customer add 华东精密 grade A", "Created"),
        ("@alice: /visit 华东精密 见了采购总监张总，要50台，报价12万8，优惠5个点，下周三再跟进",
         ["Met: 张总 · 采购总监", "Quantity: 50 台", "Amount: ¥128,000", "Discount: 5%", "Next follow-up",
          "Add 张总 (采购总监) as a contact"]),
        ("@alice: Add 张总 (采购总监) as a contact", "Added 张总 (采购总监) to 华东精密's contacts"),
    ])
    with Session(engine) as s:
        people = s.exec(select(Contact).where(col(Contact.name) == "张总")).all()
        assert [(p.name, p.title) for p in people] == [("张总", "采购总监")]
    out = demo.say("@alice: /visit 华东精密 张总说下周三再联系")
    assert "Met: 张总" in out and "as a contact" not in out
