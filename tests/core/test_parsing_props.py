"""Property tests of free-text understanding: it never raises and its results keep their promises."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.parsing import find_amount, find_discount, find_when, understand
from handlers.parsing.discounts import discount_in
from handlers.parsing.money import amount_in
from handlers.parsing.text import normalize
from handlers.parsing.when import when_in

ZONES = [UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), timezone(timedelta(hours=-9, minutes=-30))]
nows = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31)),
    st.sampled_from(ZONES),
)
# Words and numbers the rules react to, so random text often looks like a real note.
FRAGMENTS = [
    "明天", "后天", "下午", "上午", "晚上", "3点", "两点半", "10点", "下周三", "周五", "下下周一", "12月1日", "3月初",
    "月底", "15号", "三天后", "半个月后", "一个月后", "2小时后", "万", "千", "亿", "30万", "12万8", "八五折", "9折", "%",
    "tomorrow", "at 3pm", "next friday", "friday", "next week", "in 3 days", "dec 1", "end of month", "tonight",
    "300k", "$1.5m", "12,500", "50台", "20 units", "x200", "138 0013 8000", "2/5", "2026-12-03", "15:30",
    " ", "，", ",", "客户", "预算", "跟进", "😀", "\x00", "0", "99", "31", "24",
]
notes = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=12).map("".join)
texts = st.one_of(st.text(max_size=300), notes)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(texts, nows)
def test_never_raises_and_types_are_right(text: str, now: datetime) -> None:
    got = understand(text, now)
    assert got.when is None or isinstance(got.when, date)
    assert got.amount is None or isinstance(got.amount, Decimal)
    assert got.discount is None or isinstance(got.discount, Decimal)


@FAST
@given(texts, nows)
def test_the_rules_themselves_do_not_raise(text: str, now: datetime) -> None:
    # The public functions swallow errors; this checks the rules need no such help.
    clean = normalize(text)
    when_in(clean, now)
    amount_in(clean)
    discount_in(clean)


@FAST
@given(texts, nows)
def test_datetime_carries_nows_zone_at_minute_precision(text: str, now: datetime) -> None:
    got = find_when(text, now)
    if isinstance(got, datetime):
        assert got.tzinfo is now.tzinfo
        assert got.second == 0 and got.microsecond == 0


FUTURE = [
    "明天", "后天", "大后天", "{n}天后", "{n}周后", "{n}个月后", "半个月后", "下周{w}", "下下周{w}", "周{w}", "本周{w}",
    "{m}月{d}日", "{m}月{d}号下午3点", "下个月{d}号", "{m}月初", "月底", "年底", "{d}号", "in {n} days", "{n} days later",
    "in {n} weeks", "tomorrow at 3pm", "this friday", "wednesday next week", "end of month", "dec {d}", "{m}/{d}",
    "明天下午{h}点", "今晚8点",
]


@FAST
@given(
    st.sampled_from(FUTURE),
    st.integers(1, 60),
    st.sampled_from("一二三四五六日"),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(1, 11),
    st.sampled_from(["", "客户说", "见了张总，"]),
    st.sampled_from(["", "再跟进", "，预算30万"]),
    nows,
)
def test_future_expressions_are_never_before_today(
    template: str, n: int, w: str, m: int, d: int, h: int, before: str, after: str, now: datetime
) -> None:
    text = before + template.format(n=n, w=w, m=m, d=d, h=h) + after
    got = find_when(text, now)
    assert got is not None, text
    day = got.date() if isinstance(got, datetime) else got
    assert day >= now.date(), (text, now, got)


@FAST
@given(st.sampled_from(["下午{h}点", "晚上{h}点半", "上午{h}点", "{h}:15", "at {h}pm", "{h}am"]), st.integers(1, 11), nows)
def test_a_time_alone_is_the_next_such_time(template: str, h: int, now: datetime) -> None:
    got = find_when(template.format(h=h), now)
    assert isinstance(got, datetime)
    assert now - timedelta(minutes=1) < got <= now + timedelta(days=1), (template, now, got)


@FAST
@given(texts)
def test_amounts_are_positive_and_discounts_below_100(text: str) -> None:
    amount = find_amount(text)
    assert amount is None or amount > 0
    discount = find_discount(text)
    assert discount is None or 0 < discount < 100


mobiles = st.builds(
    lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1)
)


def _formatted(number: str, style: int) -> str:
    if style == 1:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if style == 2:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style == 3:
        return f"+86 {number}"
    if style == 4:
        return f"+86-{number[:3]}-{number[3:7]}-{number[7:]}"
    return number


fillers = st.lists(
    st.sampled_from(["客户", "电话", "手机", "call", "联系", "please", " ", "，", ":", "张总", "thanks", "号码"]),
    max_size=4,
).map("".join)


@FAST
@given(mobiles, st.integers(0, 4), fillers, fillers, nows)
def test_phone_numbers_are_neither_amounts_nor_dates(
    number: str, style: int, before: str, after: str, now: datetime
) -> None:
    text = before + _formatted(number, style) + after
    assert find_amount(text) is None, text
    assert find_when(text, now) is None, text
