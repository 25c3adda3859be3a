"""Money with its currency, quantities and discounts, as every command reads them (find_money and friends)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.parsing import find_amount, find_discount, find_money, find_quantity


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("12万8", "128000", None),
        ("报价12万8，下周再说", "128000", None),  # the comma after 12万8 once made it 120,000
        ("总价12万8。", "128000", None),
        ("12万8千", "128000", None),
        ("1万2", "12000", None),  # a unit price
        ("1.5亿", "150000000", None),
        ("一亿五", "150000000", None),
        ("1.2M", "1200000", None),
        ("1.2M USD", "1200000", "USD"),
        ("500000元", "500000", "CNY"),
        ("50万元", "500000", "CNY"),
        ("$10,000", "10000", "USD"),
        ("US$3,000", "3000", "USD"),
        ("USD 45,000", "45000", "USD"),
        ("45k USD", "45000", "USD"),
        ("20万美元", "200000", "USD"),
        ("30美金", "30", "USD"),
        ("€20,000", "20000", "EUR"),
        ("20,000 EUR", "20000", "EUR"),
        ("5万欧元", "50000", "EUR"),
        ("¥30,000", "30000", "CNY"),
        ("￥8,000", "8000", "CNY"),  # full-width yen sign
        ("RMB 2,000", "2000", "CNY"),
        ("CNY 88000", "88000", "CNY"),
        ("人民币30万", "300000", "CNY"),
        ("£30,000", "30000", "GBP"),
        ("HK$1,000", "1000", "HKD"),
        ("五百块", "500", "CNY"),
        ("12,500", "12500", None),  # thousands separators make a bare number an amount
        ("budget ¥300,000.", "300000", "CNY"),  # a full stop after the number
        ("报价每台4500", "4500", None),
        ("they want 12 seats at $99 each", "99", "USD"),
        ("RMB300k", "300000", "CNY"),  # a code against its number is money, not a model number
        ("预算RMB30万", "300000", "CNY"),
        ("USD500", "500", "USD"),
    ],
)
def test_money_and_its_currency(text: str, amount: str, currency: str | None) -> None:
    got = find_money(text)
    assert got is not None, text
    assert (got.amount, got.currency) == (Decimal(amount), currency)


@pytest.mark.parametrize(
    "text",
    [
        "要50台", "30 units", "订了200套", "12 seats", "4 machines", "数量1000个", "ordered 1,000 pcs",
        "13800138000", "call +86 138 0013 8000", "tel 021-62345678", "型号X200", "X300-2", "毛利率15%", "首付30%",
        "2026-12-03", "12月1日", "下午3点", "3天后", "15号", "八五折", "5个点", "iPhone 15", "a quote for 75 monitors",
    ],
)
def test_counts_phones_models_percentages_and_dates_are_not_money(text: str) -> None:
    assert find_money(text) is None, text


def test_the_span_is_in_the_callers_text() -> None:
    text = "/deal new 华东精密 二期扩产 １２万８"  # full-width digits: the span still points at them
    got = find_money(text)
    assert got is not None and got.amount == Decimal(128000)
    assert text[got.start : got.end] == "１２万８"
    title = (text[: got.start] + text[got.end :]).removeprefix("/deal new 华东精密").strip()
    assert title == "二期扩产"
    text = "报价 $1.2M USD，下周签"
    got = find_money(text)
    assert got is not None and text[got.start : got.end] == "$1.2M USD"


def test_marked_money_comes_before_a_bare_magnitude() -> None:
    assert find_amount("要50万的设备，预算30万") == Decimal(300000)
    assert find_amount("30万的项目") == Decimal(300000)


@pytest.mark.parametrize(
    ("text", "count", "unit"),
    [
        ("要50台", 50, "台"),
        ("需要200套系统", 200, "套"),
        ("数量1000个", 1000, "个"),
        ("订了十台", 10, "台"),
        ("3千台", 3000, "台"),
        ("5000本宣传册", 5000, "本"),
        ("12吨原料", 12, "吨"),
        ("30 units", 30, "units"),
        ("12 seats", 12, "seats"),
        ("5 licenses", 5, "licenses"),
        ("1,500 pcs", 1500, "pcs"),
        ("1 unit", 1, "unit"),
        ("ten machines", 10, "machines"),
        ("客户要50台，其中3台是样机", 50, "台"),
    ],
)
def test_quantities(text: str, count: int, unit: str) -> None:
    got = find_quantity(text)
    assert got is not None, text
    assert (got.count, got.unit) == (count, unit)


@pytest.mark.parametrize(
    "text",
    ["3个月后", "5个点", "两个人", "一个客户", "3 days", "2 weeks", "15%", "50万", "$30", "10 people", "3个工作日", "型号X200"],
)
def test_not_quantities(text: str) -> None:
    assert find_quantity(text) is None, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("八折", "20"), ("八五折", "15"), ("85折", "15"), ("九五折", "5"), ("打9折", "10"), ("打个九折", "10"),
        ("15% off", "15"), ("降价10%", "10"), ("优惠5个点", "5"), ("让利3个点", "3"), ("give them a 5% discount", "5"),
        ("客户要求打个八八折，数量1000个", "12"), ("便宜5%", "5"), ("price came down 10%", "10"),
        ("5个点", "5"),  # /quote's argument after 优惠
    ],
)
def test_discounts_are_percent_off(text: str, expected: str) -> None:
    assert find_discount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["毛利率15%", "首付30%", "增长20%", "税率13%", "原价成交", "预算30万", "15", "3点", "sales down 10%"])
def test_percentages_that_are_not_discounts(text: str) -> None:
    assert find_discount(text) is None
