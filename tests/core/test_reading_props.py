"""Property tests of money, quantities, past dates, plans and whole notes: any text, no exception, promises kept."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from handlers.parsing import find_date, find_money, find_quantity, read_note, read_plan
from handlers.parsing.notes import reading
from tests.core.test_parsing_props import FAST, nows

FRAGMENTS = [
    "见了", "采购总监", "张总", "王经理", "李工", "赵女士", "张伟", "我们的", "Linda Chen", "Mr. Wang", "CTO", "head of IT",
    "要", "50台", "200套", "30 units", "12 seats", "预算", "30万", "12万8", "$45k", "1.2M USD", "€20,000", "¥", "元",
    "八五折", "15% off", "优惠5个点", "毛利率15%", "首付30%", "下周三", "下午3点", "再跟进", "call back", "Friday 2pm",
    "昨天", "上周五", "3天前", "12月1日", "月底", "3天内交付", "13800138000", "+86 138 0013 8000", "X200", "2026-12-03",
    "，", ",", " ", "。", "(", "（", "rest", "now", "余款", "验收后", "%", "0", "9" * 20, "😀", "\x00", "\u200b",
]
notes = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=14).map("".join)
texts = st.one_of(st.text(max_size=200), notes)


@FAST
@given(texts, nows)
def test_a_note_is_always_read_and_keeps_its_promises(text: str, now: datetime) -> None:
    got = read_note(text, now)
    assert got.amount is None or got.amount > 0
    assert (got.amount is None) == (got.currency is None)
    assert got.discount is None or 0 < got.discount < 100
    assert got.quantity is None or got.quantity.count > 0
    assert got.person is None or (got.person.strip() and got.person in text)
    assert got.title is None or (got.title.strip() and got.title in text)
    if got.when is not None:
        day = got.when.date() if isinstance(got.when, datetime) else got.when
        assert day >= now.date(), (text, now, got.when)


@FAST
@given(texts, nows)
def test_the_note_rules_themselves_do_not_raise(text: str, now: datetime) -> None:
    # read_note swallows errors; this checks the rules need no such help.
    reading(text, now)


@FAST
@given(texts)
def test_money_is_positive_and_its_span_is_in_the_text(text: str) -> None:
    got = find_money(text)
    if got is not None:
        assert got.amount > 0
        assert 0 <= got.start < got.end <= len(text)
        assert got.currency in (None, "CNY", "USD", "EUR", "GBP", "HKD", "JPY")
    quantity = find_quantity(text)
    if quantity is not None:
        assert quantity.count > 0 and 0 <= quantity.start < quantity.end <= len(text)


UNITS = ["台", "个", "件", "套", "箱", "units", "pcs", "seats", "licenses", "machines"]


@FAST
@given(st.integers(1, 10**6), st.sampled_from(UNITS), st.sampled_from(["", " "]), st.sampled_from(["", "要", "need "]))
def test_a_quantity_is_never_an_amount(n: int, unit: str, gap: str, before: str) -> None:
    text = f"{before}{n}{gap}{unit}"
    assert find_money(text) is None, text
    got = find_quantity(text)
    assert got is not None and (got.count, got.unit) == (n, unit), text


mobiles = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1))


@FAST
@given(mobiles, st.sampled_from(["", "电话", "tel ", "+86 ", "联系人李娜 "]), st.sampled_from(["", "，要", " call"]))
def test_a_phone_number_is_neither_money_nor_a_quantity(number: str, before: str, after: str) -> None:
    text = before + number + after
    assert find_money(text) is None, text
    assert find_quantity(text) is None, text


DONE = [
    "昨天", "前天", "上周{w}", "{n}天前", "{n}周前", "{m}月{d}日", "{m}月{d}号", "周{w}", "{d}号", "{m}/{d}", "last friday",
    "yesterday", "{n} days ago", "dec {d}", "{d} march", "{m}月初", "月初", "上个月{d}号",
]


@FAST
@given(
    st.sampled_from(DONE), st.integers(1, 60), st.sampled_from("一二三四五六日"), st.integers(1, 12), st.integers(1, 28),
    st.sampled_from(["", "收到", "客户"]), nows,
)
def test_a_date_of_something_done_is_never_in_the_future(
    template: str, n: int, w: str, m: int, d: int, before: str, now: datetime
) -> None:
    text = before + template.format(n=n, w=w, m=m, d=d)
    got = find_date(text, now, prefer="past")
    assert got is not None, text
    assert got <= now.date(), (text, now, got)


@FAST
@given(texts, nows)
def test_a_plan_is_read_or_refused_with_its_part(text: str, now: datetime) -> None:
    got = read_plan(text, now)
    assert (got.problem is None) == bool(got.installments)
    for part in got.installments:
        assert part.percent is None or 0 < part.percent <= 100
        assert part.amount is None or part.amount > 0
        assert part.percent is None or part.amount is None
    assert got.problem is None or got.part in text


@FAST
@given(st.lists(st.tuples(st.integers(1, 99), st.integers(1, 400)), min_size=1, max_size=4), nows)
def test_percent_plans_read_back_every_part(parts: list[tuple[int, int]], now: datetime) -> None:
    text = ", ".join(f"{pct}% in {days} days" for pct, days in parts) + ", rest in 500 days"
    got = read_plan(text, now)
    assert got.problem is None, (text, got)
    assert [p.percent for p in got.installments[:-1]] == [Decimal(pct) for pct, _ in parts]
    assert [p.due for p in got.installments[:-1]] == [now.date() + timedelta(days=days) for _, days in parts]
    assert got.installments[-1].percent is None and got.installments[-1].amount is None
    assert all(isinstance(p.due, date) for p in got.installments)
