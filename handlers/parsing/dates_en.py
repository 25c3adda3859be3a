"""English date expressions."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from handlers.parsing.calendar import (
    AMBIGUOUS,
    OK,
    PAST,
    DateHit,
    add_business_days,
    add_months,
    day_of_month,
    day_of_month_back,
    last_day,
    month_day,
    month_part,
    next_weekday,
    weekday_hit,
    weekday_in_week,
)
from handlers.parsing.text import ascii_re

Handler = Callable[[re.Match[str], datetime], DateHit | None]
RULES: list[tuple[re.Pattern[str], Handler]] = []

_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "weds": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}
# "sat" and "sun" are also everyday words: they count only after this/on/next/... or before "next week".
_WD_SAFE = r"(?:monday|tuesday|tues|tue|wednesday|weds|wed|thursday|thurs|thur|thu|friday|fri|saturday|sunday|mon)"
_WD_ANY = r"(?:" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")"
_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")"
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "a couple of": 2, "a couple": 2, "couple of": 2, "half a": 0, "half an": 0,
}
_COUNT = r"(\d{1,4}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNIT = (
    r"(business\s+days?|working\s+days?|days?|weeks?|wks?|fortnights?|months?|mos?|years?|yrs?"
    r"|hours?|hrs?|minutes?|mins?)"
)


def rule(pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for a pattern."""

    def register(handler: Handler) -> Handler:
        RULES.append((ascii_re(pattern), handler))
        return handler

    return register


_DAY_WORDS = {
    "today": (0, None), "tonight": (0, "evening"), "this morning": (0, "am"), "this afternoon": (0, "pm"),
    "this evening": (0, "evening"), "eod": (0, None), "end of day": (0, None), "end of the day": (0, None),
    "tomorrow": (1, None), "tmrw": (1, None), "tmr": (1, None), "tomorow": (1, None), "tommorow": (1, None),
    "tommorrow": (1, None), "the day after tomorrow": (2, None), "day after tomorrow": (2, None),
    "overmorrow": (2, None), "yesterday": (-1, None), "last night": (-1, None),
}


@rule(r"\b(today|tomorrow|tmrw|tmr)\s+(?:by\s+)?(?:eod|end\s+of\s+(?:the\s+)?day|cob|close\s+of\s+business)\b")
def _day_end(m: re.Match[str], now: datetime) -> DateHit | None:
    return DateHit(0, 0, now.date() + timedelta(days=_DAY_WORDS[m.group(1)][0]))


@rule(r"\b(?:" + "|".join(sorted(_DAY_WORDS, key=len, reverse=True)) + r")\b")
def _day_word(m: re.Match[str], now: datetime) -> DateHit | None:
    days, part = _DAY_WORDS[m.group()]
    return DateHit(0, 0, now.date() + timedelta(days=days), PAST if days < 0 else OK, part)


def _offset(now: datetime, count: int, unit: str, half: bool = False, sign: int = 1) -> DateHit | None:
    today = now.date()
    if count > 3660 or (count <= 0 and not half):
        return None
    unit = re.sub(r"\s+", " ", unit)
    status = OK if sign > 0 else PAST
    if unit.startswith(("hour", "hr")):
        return DateHit(0, 0, None, status, exact=now + sign * timedelta(minutes=60 * count + (30 if half else 0)))
    if unit.startswith("min"):
        return DateHit(0, 0, None, status, exact=now + sign * timedelta(minutes=count)) if count else None
    if unit.startswith(("business", "working")):
        return DateHit(0, 0, add_business_days(today, count)) if sign > 0 else DateHit(0, 0, None, PAST)
    if unit.startswith("day"):
        return None if half else DateHit(0, 0, today + sign * timedelta(days=count), status)
    if unit.startswith(("week", "wk")):
        return DateHit(0, 0, today + sign * timedelta(days=7 * count + (3 if half else 0)), status)
    if unit.startswith("fortnight"):
        return DateHit(0, 0, today + sign * timedelta(days=14 * count + (7 if half else 0)), status)
    if unit.startswith(("month", "mo")):
        return DateHit(0, 0, add_months(today, sign * count) + sign * timedelta(days=15 if half else 0), status)
    return DateHit(0, 0, add_months(today, sign * (12 * count + (6 if half else 0))), status)


def _count(word: str) -> tuple[int, bool]:
    word = re.sub(r"\s+", " ", word)
    value = int(word) if word.isdigit() else _NUMBER_WORDS[word]
    return value, word.startswith("half")


@rule(r"\b(?:in|within|after)\s+" + _COUNT + r"\s+" + _UNIT + r"\b")
def _in_n(m: re.Match[str], now: datetime) -> DateHit | None:
    count, half = _count(m.group(1))
    return _offset(now, count, m.group(2), half)


@rule(r"\b" + _COUNT + r"\s+" + _UNIT + r"\s+(later|from\s+(?:now|today)|out|ago|earlier)\b")
def _n_later(m: re.Match[str], now: datetime) -> DateHit | None:
    count, half = _count(m.group(1))
    return _offset(now, count, m.group(2), half, -1 if m.group(3) in ("ago", "earlier") else 1)


@rule(r"\bin\s+a\s+(fortnight|week|month|year)\b|\bin\s+half\s+an?\s+(hour|month|year)\b")
def _in_a(m: re.Match[str], now: datetime) -> DateHit | None:
    if m.group(1):
        return _offset(now, 1, m.group(1))
    return _offset(now, 0, m.group(2), half=True)


@rule(r"\b(?:(next|last)\s+(week|month|year)|(?:the\s+)?week\s+after\s+next)\b")
def _next_period(m: re.Match[str], now: datetime) -> DateHit | None:
    today = now.date()
    if m.group(1) == "last":
        if m.group(2) == "week":
            return DateHit(0, 0, weekday_in_week(today, 0, -1), PAST)
        if m.group(2) == "month":
            return DateHit(0, 0, add_months(today.replace(day=1), -1), PAST)
        return DateHit(0, 0, None, PAST)
    if m.group(2) is None:
        return DateHit(0, 0, weekday_in_week(today, 0, 2))
    if m.group(2) == "week":
        return DateHit(0, 0, weekday_in_week(today, 0, 1))
    if m.group(2) == "month":
        return DateHit(0, 0, add_months(today.replace(day=1), 1))
    return None  # "next year" is too vague to schedule


@rule(
    r"\b(?:(?:the\s+)?(?:end|close)\s+of\s+(?:the\s+|this\s+)?(month|week|year|next\s+month|next\s+week)"
    r"|(month|year)[-\s]end|(eom|eow|eoy))\b"
)
def _period_end(m: re.Match[str], now: datetime) -> DateHit | None:
    today = now.date()
    what = re.sub(r"\s+", " ", m.group(1) or m.group(2) or {"eom": "month", "eow": "week", "eoy": "year"}[m.group(3)])
    if what == "week":
        return DateHit(0, 0, next_weekday(today, 4) if today.weekday() <= 4 else weekday_in_week(today, 4, 1))
    if what == "next week":
        return DateHit(0, 0, weekday_in_week(today, 4, 1))
    if what == "year":
        return DateHit(0, 0, date(today.year, 12, 31))
    base = add_months(today.replace(day=1), 1 if what == "next month" else 0)
    return DateHit(0, 0, base.replace(day=last_day(base.year, base.month)))


@rule(r"\b(?:(early|beginning\s+of|start\s+of|mid|middle\s+of)[-\s]+next\s+month)\b")
def _next_month_part(m: re.Match[str], now: datetime) -> DateHit | None:
    base = add_months(now.date().replace(day=1), 1)
    return DateHit(0, 0, month_part(base.year, base.month, "mid" if m.group(1).startswith("mid") else "early"))


@rule(
    r"\b(?:(this|coming|on|next|last|the\s+following)\s+)?"
    r"(?:(" + _WD_ANY + r")\.?\s+(?:of\s+)?(next|this)\s+week|(" + _WD_ANY + r")\.?\s+after\s+next"
    r"|next\s+week(?:'s)?\s+(?:on\s+)?(" + _WD_ANY + r"))\b"
)
def _weekday_week(m: re.Match[str], now: datetime) -> DateHit | None:
    if m.group(4):
        return DateHit(0, 0, None, AMBIGUOUS)
    weekday = _WEEKDAYS[m.group(2) or m.group(5)]
    if m.group(3) == "this":
        return DateHit(0, 0, next_weekday(now.date(), weekday))
    return DateHit(0, 0, weekday_in_week(now.date(), weekday, 1))


@rule(r"\b(?:(this|coming|on|next|last|the\s+following)\s+)?(" + _WD_ANY + r")\b\.?")
def _weekday(m: re.Match[str], now: datetime) -> DateHit | None:
    prefix, name = m.group(1), m.group(2)
    if prefix is None and not re.fullmatch(_WD_SAFE, name):
        return None
    if prefix == "last":  # like 上周五: that day of the week before this one
        return DateHit(0, 0, weekday_in_week(now.date(), _WEEKDAYS[name], -1), PAST)
    if prefix in ("next",) or (prefix and prefix.startswith("the")):
        return DateHit(0, 0, None, AMBIGUOUS)  # next Friday: this week's or the following one?
    if prefix in (None, "on"):
        return weekday_hit(now.date(), _WEEKDAYS[name])
    return DateHit(0, 0, next_weekday(now.date(), _WEEKDAYS[name]))


_YEAR = r"(?:,?\s+(\d{4}))?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?(?![\d:]|\.\d|\s*(?:%|k\b|m\b|units?|pcs))"


def _month_date(now: datetime, month_name: str, day: str, year: str | None) -> DateHit | None:
    return month_day(now.date(), _MONTHS[month_name], int(day), None if year is None else int(year))


@rule(r"\b(" + MONTH + r")\.?\s+(?:the\s+)?" + _DAY + _YEAR + r"\b")
def _month_first(m: re.Match[str], now: datetime) -> DateHit | None:
    return _month_date(now, m.group(1), m.group(2), m.group(3))


@rule(r"\b(?:the\s+)?" + _DAY + r"\s+(?:of\s+)?(" + MONTH + r")\b\.?" + _YEAR + r"\b")
def _day_first(m: re.Match[str], now: datetime) -> DateHit | None:
    return _month_date(now, m.group(2), m.group(1), m.group(3))


@rule(r"\b(early|beginning\s+of|start\s+of|mid|middle\s+of|end\s+of|late)[-\s]+(" + MONTH + r")\b")
def _month_part(m: re.Match[str], now: datetime) -> DateHit | None:
    part = {"early": "early", "mid": "mid", "late": "下旬"}.get(m.group(1).split()[0], m.group(1).split()[0])
    part = {"beginning": "early", "start": "early", "middle": "mid", "end": "end"}.get(part, part)
    today = now.date()
    month = _MONTHS[m.group(2)]
    back = next(d for d in (month_part(y, month, part) for y in (today.year, today.year - 1)) if d <= today)
    for year in (today.year, today.year + 1):
        found = month_part(year, month, part)
        if found >= today:
            return DateHit(0, 0, found, back=back)
    return None


@rule(r"\b(?:on|by|before|until|till)\s+the\s+(\d{1,2})(?:st|nd|rd|th)\b")
def _ordinal_day(m: re.Match[str], now: datetime) -> DateHit | None:
    found = day_of_month(now.date(), int(m.group(1)))
    return None if found is None else DateHit(0, 0, found, back=day_of_month_back(now.date(), int(m.group(1))))



_HOLIDAYS = {
    r"christmas\s+eve": (12, 24),
    r"christmas(?:\s+day)?|xmas": (12, 25),
    r"new\s+year(?:'?s(?:\s+day)?|\s+day)": (1, 1),
    r"valentine'?s?(?:\s+day)?": (2, 14),
}


def _holiday(month: int, day: int) -> Handler:
    return lambda m, now: month_day(now.date(), month, day)


for _pattern, (_month, _day) in _HOLIDAYS.items():
    rule(r"\b(?:" + _pattern + r")\b")(_holiday(_month, _day))
