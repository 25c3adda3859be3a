"""Report periods as a manager names them, in Chinese or English."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sales.analytics.periods import parse_period

SUNDAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "start", "end", "key"),
    [
        ("下季度", date(2027, 1, 1), date(2027, 4, 1), "2027-Q1"),
        ("下个季度", date(2027, 1, 1), date(2027, 4, 1), "2027-Q1"),
        ("next quarter", date(2027, 1, 1), date(2027, 4, 1), "2027-Q1"),
        ("上周", date(2026, 11, 9), date(2026, 11, 16), "2026-W46"),  # Sunday belongs to the week of Monday 16th
        ("last week", date(2026, 11, 9), date(2026, 11, 16), "2026-W46"),
        ("last 30 days", date(2026, 10, 24), date(2026, 11, 23), "2026-10-24..2026-11-22"),
        ("近30天", date(2026, 10, 24), date(2026, 11, 23), "2026-10-24..2026-11-22"),
        ("最近30天", date(2026, 10, 24), date(2026, 11, 23), "2026-10-24..2026-11-22"),
        ("past 7 days", date(2026, 11, 16), date(2026, 11, 23), "2026-11-16..2026-11-22"),
        ("今年上半年", date(2026, 1, 1), date(2026, 7, 1), "2026-H1"),
        ("first half of this year", date(2026, 1, 1), date(2026, 7, 1), "2026-H1"),
        ("H1", date(2026, 1, 1), date(2026, 7, 1), "2026-H1"),
        ("H2", date(2026, 7, 1), date(2027, 1, 1), "2026-H2"),
        ("下半年", date(2026, 7, 1), date(2027, 1, 1), "2026-H2"),
        ("去年下半年", date(2025, 7, 1), date(2026, 1, 1), "2025-H2"),
        ("2026-H1", date(2026, 1, 1), date(2026, 7, 1), "2026-H1"),
        ("H2 2025", date(2025, 7, 1), date(2026, 1, 1), "2025-H2"),
        ("下个月", date(2026, 12, 1), date(2027, 1, 1), "2026-12"),
        ("next month", date(2026, 12, 1), date(2027, 1, 1), "2026-12"),
        ("下周", date(2026, 11, 23), date(2026, 11, 30), "2026-W48"),
        # the forms that were there before
        ("本月", date(2026, 11, 1), date(2026, 12, 1), "2026-11"),
        ("上季度", date(2026, 7, 1), date(2026, 10, 1), "2026-Q3"),
        ("this year", date(2026, 1, 1), date(2027, 1, 1), "2026"),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1), "2026-Q4"),
        ("2026年第四季度", date(2026, 10, 1), date(2027, 1, 1), "2026-Q4"),
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1), "2026-11"),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 23), "2026-W47"),
    ],
)
def test_periods(text: str, start: date, end: date, key: str) -> None:
    got = parse_period(text, SUNDAY)
    assert got is not None, text
    assert (got.start, got.end, got.key) == (start, end, key)


def test_labels_say_what_the_period_is() -> None:
    half = parse_period("今年上半年", SUNDAY)
    days = parse_period("近30天", SUNDAY)
    assert half is not None and days is not None
    assert (half.label("zh"), half.label("en")) == ("2026年上半年", "H1 2026")
    assert days.label("zh").startswith("近30天") and days.label("en").startswith("last 30 days")


@pytest.mark.parametrize("text", ["明年", "next decade", "last 0 days", "近999天", "H3", "2026-H3", "上上上周", ""])
def test_unreadable_periods(text: str) -> None:
    assert parse_period(text, SUNDAY) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)))
def test_any_text_is_a_period_or_none_and_never_empty(text: str, today: date) -> None:
    got = parse_period(text, today)
    assert got is None or got.start < got.end
