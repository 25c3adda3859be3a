"""Dates of things already done prefer the past; the conventions' month words; several times in one message."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.parsing import find_date, find_when

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEC_8 = datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12月1日", date(2026, 12, 1)),  # never a year ahead
        ("12月8日", date(2026, 12, 8)),  # today
        ("11月30号", date(2026, 11, 30)),
        ("12/1", date(2026, 12, 1)),
        ("Dec 1", date(2026, 12, 1)),
        ("1 December", date(2026, 12, 1)),
        ("3月1日", date(2026, 3, 1)),
        ("12月20日", date(2025, 12, 20)),  # not yet this year: last year's
        ("2026-12-01", date(2026, 12, 1)),
        ("2026年12月1日", date(2026, 12, 1)),
        ("昨天", date(2026, 12, 7)),
        ("前天", date(2026, 12, 6)),
        ("今天", date(2026, 12, 8)),
        ("上周五", date(2026, 12, 4)),
        ("上周一", date(2026, 11, 30)),
        ("last Friday", date(2026, 12, 4)),
        ("yesterday", date(2026, 12, 7)),
        ("3天前", date(2026, 12, 5)),
        ("三天前", date(2026, 12, 5)),
        ("一周前", date(2026, 12, 1)),
        ("3 days ago", date(2026, 12, 5)),
        ("2 weeks ago", date(2026, 11, 24)),
        ("周五", date(2026, 12, 4)),  # a weekday alone: the latest one
        ("Friday", date(2026, 12, 4)),
        ("周二", date(2026, 12, 8)),
        ("5号", date(2026, 12, 5)),
        ("15号", date(2026, 11, 15)),
        ("月初", date(2026, 12, 1)),
        ("4月初", date(2026, 4, 1)),
        ("昨天下午3点", date(2026, 12, 7)),
    ],
)
def test_a_payment_date_prefers_the_past(text: str, expected: date) -> None:
    assert find_date(text, DEC_8, prefer="past") == expected


@pytest.mark.parametrize(("text", "expected"), [("明天", date(2026, 12, 9)), ("下周三", date(2026, 12, 16))])
def test_a_future_date_is_returned_for_the_caller_to_refuse(text: str, expected: date) -> None:
    assert find_date(text, DEC_8, prefer="past") == expected


@pytest.mark.parametrize("text", ["", "客户很满意", "next Friday", "13800138000", "1000"])
def test_no_date(text: str) -> None:
    assert find_when(text, DEC_8, prefer="past") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("下个月初", date(2027, 1, 1)),
        ("下月初", date(2027, 1, 1)),
        ("下月底", date(2027, 1, 31)),
        ("下个月底", date(2027, 1, 31)),
        ("end of next month", date(2027, 1, 31)),
        ("4月初", date(2027, 4, 1)),
        ("月底", date(2026, 12, 31)),
        ("end of month", date(2026, 12, 31)),
        ("12月1日", date(2027, 12, 1)),  # a follow-up prefers the future
    ],
)
def test_month_words_for_a_follow_up(text: str, expected: date) -> None:
    assert find_when(text, DEC_8) == expected


def test_the_follow_up_is_the_time_a_follow_up_word_goes_with() -> None:
    assert find_when("今天见了黄主任，下下周一再去", DEC_8) == date(2026, 12, 21)
    assert find_when("王总说项目明年三月启动，3月初再跟进", DEC_8) == date(2027, 3, 1)
    assert find_when("周四开会，周五回电", DEC_8) == date(2026, 12, 11)
    assert find_when("周五回电，周四开会", DEC_8) == date(2026, 12, 11)
    assert find_when("明天发资料，后天开会", DEC_8) == date(2026, 12, 10)  # none tied: the last one


TUESDAY = datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("end of next week", date(2026, 12, 4)),
        ("tomorrow EOD", date(2026, 11, 25)),
        ("下周一或周二", date(2026, 11, 30)),  # a choice: the first of it
        ("Monday or Tuesday", date(2026, 11, 30)),
        ("下周末", date(2026, 12, 5)),
        ("下个月中旬", date(2026, 12, 15)),
        ("两周内给答复", date(2026, 12, 8)),
        ("下个月10号前", date(2026, 12, 10)),
        ("今天下午5点前回复", datetime(2026, 11, 24, 17, 0, tzinfo=SHANGHAI)),
        ("12/10 3pm", datetime(2026, 12, 10, 15, 0, tzinfo=SHANGHAI)),
        ("本月20号", None),  # already past
        ("过几天再联系", None),  # too vague to schedule
    ],
)
def test_more_follow_up_phrases(text: str, expected: date | datetime | None) -> None:
    assert find_when(text, TUESDAY) == expected
