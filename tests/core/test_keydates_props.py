"""Property tests of a contact's birthday or key date as typed: every way of writing a day of the year reads back
as that day (the year too when written), a label and its date split apart, and no text makes it raise."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.commands.care import read_plan
from handlers.parsing.keydates import KeyDay, read_key_day, split_label

NOW = datetime(2026, 11, 22, 2, tzinfo=UTC)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """12 → 十二, 20 → 二十, 8 → 八."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else ZH_DIGITS[tens]) + "十" if tens else "") + (ZH_DIGITS[ones] if ones else "")


days = st.integers(1, 12).flatmap(lambda m: st.tuples(st.just(m), st.integers(1, calendar.monthrange(2028, m)[1])))
FORMS = [
    lambda m, d: f"{m}月{d}日", lambda m, d: f"{m}月{d}号", lambda m, d: f"{m}/{d}",
    lambda m, d: f"{calendar.month_name[m]} {d}", lambda m, d: f"{d} {calendar.month_name[m]}",
    lambda m, d: f"{calendar.month_abbr[m]} {d}", lambda m, d: f"{zh_number(m)}月{zh_number(d)}日",
]


@pytest.mark.slow
@FAST
@given(days, st.sampled_from(FORMS))
def test_every_way_of_writing_a_day_reads_back_as_that_day(day: tuple[int, int], form: object) -> None:
    m, d = day
    text = form(m, d)  # type: ignore[operator]
    assert read_key_day(text, NOW) == KeyDay(m, d), text


@pytest.mark.slow
@FAST
@given(days, st.integers(1950, 2020))
def test_a_written_year_is_kept(day: tuple[int, int], year: int) -> None:
    m, d = day
    if m == 2 and d == 29 and not calendar.isleap(year):
        return
    assert read_key_day(f"{year}年{m}月{d}日", NOW) == KeyDay(m, d, year)
    assert read_key_day(f"{year}-{m:02d}-{d:02d}", NOW) == KeyDay(m, d, year)


@pytest.mark.slow
@FAST
@given(days, st.sampled_from(["签约纪念日", "公司成立日", "结婚纪念日", "contract anniversary", "founding day"]))
def test_a_label_and_its_date_come_apart(day: tuple[int, int], label: str) -> None:
    m, d = day
    assert split_label(f"{label} {m}月{d}日".split(), NOW) == (label, KeyDay(m, d))
    assert split_label(f"{label} {calendar.month_name[m]} {d}".split(), NOW) == (label, KeyDay(m, d))


@FAST
@given(st.text(max_size=80))
def test_no_text_makes_it_raise(text: str) -> None:
    got = read_key_day(text, NOW)
    assert got is None or (1 <= got.month <= 12 and 1 <= got.day <= 31)
    split_label(text.split(), NOW)
    read_plan(text)


@pytest.mark.slow
@FAST
@given(st.lists(st.tuples(st.sampled_from(["weekly", "monthly", "quarterly", "每周", "每月", "每季度"]),
                          st.sampled_from(["contact", "exec", "product", "news", "联系", "高层", "产品更新", "资讯"])),
                max_size=4), st.sampled_from([" ", ", ", "，", "、"]))
def test_a_care_plan_reads_back_touch_by_touch(pairs: list[tuple[str, str]], sep: str) -> None:
    got = read_plan(sep.join(f"{f} {t}" for f, t in pairs))
    assert got is not None and len(got) == len(pairs)
