"""Calendar arithmetic and the hit record shared by the date and time rules."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

OK, PAST, AMBIGUOUS = "ok", "past", "ambiguous"


@dataclass(frozen=True, slots=True)
class DateHit:
    """A date expression found in the text: its span, the day it means and how it may be used."""

    start: int
    end: int
    day: date | None = None
    status: str = OK
    part: str | None = None  # a part of the day carried by the word itself (今晚, tonight)
    exact: datetime | None = None  # a moment, for "in 2 hours"
    back: date | None = None  # for a date that names no year, month or week: its latest occurrence up to today


def last_day(year: int, month: int) -> int:
    """Number of days in the month."""
    return calendar.monthrange(year, month)[1]


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError(year)
    return date(year, month + 1, min(day.day, last_day(year, month + 1)))


def add_business_days(day: date, count: int) -> date:
    """`count` working days (Monday to Friday) after `day`."""
    weeks, rest = divmod(count, 5)
    day += timedelta(weeks=weeks)
    while rest:
        day += timedelta(days=1)
        if day.weekday() < 5:
            rest -= 1
    return day


def weekday_in_week(today: date, weekday: int, weeks_ahead: int) -> date:
    """`weekday` (0 = Monday) of the Monday-based week `weeks_ahead` after today's."""
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(days=7 * weeks_ahead + weekday)


def next_weekday(today: date, weekday: int) -> date:
    """Next occurrence of `weekday`, today included."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def last_weekday(today: date, weekday: int) -> date:
    """Latest occurrence of `weekday`, today included."""
    return today - timedelta(days=(today.weekday() - weekday) % 7)


def weekday_hit(today: date, weekday: int) -> DateHit:
    """Hit for a weekday alone: its next occurrence, and its last one for dates of things done."""
    return DateHit(0, 0, next_weekday(today, weekday), back=last_weekday(today, weekday))


def safe_date(year: int, month: int, day: int) -> date | None:
    """The date, or None when it does not exist."""
    if 1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= last_day(year, month):
        return date(year, month, day)
    return None


def month_day(today: date, month: int, day: int, year: int | None = None) -> DateHit | None:
    """Hit for month/day: an explicit year is kept (and may be past), otherwise the next such day."""
    if year is not None:
        found = safe_date(year, month, day)
        if found is None:
            return None
        return DateHit(0, 0, found, PAST if found < today else OK)
    # 29 February may be years away
    ahead = (safe_date(today.year + offset, month, day) for offset in range(9))
    behind = (safe_date(today.year - offset, month, day) for offset in range(min(9, today.year)))
    found = next((d for d in ahead if d is not None and d >= today), None)
    back = next((d for d in behind if d is not None and d <= today), None)
    return None if found is None else DateHit(0, 0, found, back=back)


def day_of_month(today: date, day: int, months_ahead: int = 0) -> date | None:
    """`day` in the month `months_ahead` from now; with no offset the next month that has it, today included."""
    first = today.replace(day=1)
    if months_ahead:
        base = add_months(first, months_ahead)
        return safe_date(base.year, base.month, day)
    for offset in range(0, 3):
        base = add_months(first, offset)
        found = safe_date(base.year, base.month, day)
        if found is not None and found >= today:
            return found
    return None


def day_of_month_back(today: date, day: int) -> date | None:
    """`day` in this month if it has come, else in the latest month before that has it."""
    first = today.replace(day=1)
    for offset in range(0, 3):
        base = add_months(first, -offset)
        found = safe_date(base.year, base.month, day)
        if found is not None and found <= today:
            return found
    return None


def month_part(year: int, month: int, part: str) -> date:
    """First, middle, last third or last day of a month."""
    if part in ("初", "上旬", "early", "beginning", "start"):
        return date(year, month, 1)
    if part in ("中", "中旬", "mid"):
        return date(year, month, 15)
    if part == "下旬":
        return date(year, month, 21)
    return date(year, month, last_day(year, month))


def aware(naive: datetime, tz: tzinfo | None) -> datetime:
    """Attach the user's zone (pytz zones need localize to get the right offset)."""
    localize = getattr(tz, "localize", None)
    if localize is not None:
        result: datetime = localize(naive)
        return result
    return naive.replace(tzinfo=tz)
