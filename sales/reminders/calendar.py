"""A team's working calendar in one person's zone: working days and hours, holidays, quiet hours.

Public holidays and make-up working days (China's 调休) come from the `holidays` package (its data ships inside
the package: nothing is downloaded), for the country of the team's zone; the team's own days off and working days
(`/config holiday`, `/config workday`) come before it, and `/config holidays off|XX` picks another country or none.
"""

from __future__ import annotations

import bisect
import functools
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.models import Team, User

DEFAULT_HOUR = time(9, 0)  # a follow-up or reminder given only a date
_SEARCH_DAYS = 60  # a calendar with no working day in two months is a misconfiguration: stop looking


def zone(*names: str | None) -> ZoneInfo:
    """The first valid IANA zone among `names` (a bad name is skipped, never raised)."""
    for name in names:
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def hhmm(text: str, fallback: time) -> time:
    """A time written HH:MM, or the fallback."""
    try:
        h, m = text.strip().split(":")
        return time(int(h), int(m))
    except (ValueError, AttributeError):
        return fallback


@functools.cache
def _zone_countries() -> dict[str, str]:
    """Each IANA zone's country code, from the zone.tab of the system's time zone data."""
    out: dict[str, str] = {"Asia/Shanghai": "CN", "Asia/Urumqi": "CN", "Asia/Hong_Kong": "HK", "Asia/Taipei": "TW"}
    for base in zoneinfo.TZPATH:
        tab = Path(base) / "zone.tab"
        if tab.is_file():
            for line in tab.read_text(encoding="utf-8", errors="replace").splitlines():
                parts = line.split("\t")
                if len(parts) >= 3 and not line.startswith("#"):
                    out.setdefault(parts[2], parts[0])
            break
    return out


def country_of(team: Team | None, default_tz: str) -> str | None:
    """Whose public holidays a team keeps: its own choice (`@XX` or `@off` in `Team.holidays`), else the
    country of its zone."""
    for word in (team.holidays if team else "").split():
        if word.startswith("@"):
            code = word[1:].upper()
            return None if code == "OFF" else code
    return _zone_countries().get(team.tz if team else default_tz)


def known_country(code: str) -> bool:
    """Whether the holidays package knows this country code."""
    import holidays as holiday_library  # a tenth of a second: loaded when a calendar needs it, not at start

    return code.upper() in holiday_library.list_supported_countries()


@functools.lru_cache(maxsize=128)
def official(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """A country's public holidays (days off) and make-up working days of one year; none when unknown."""
    import holidays as holiday_library

    try:
        book = holiday_library.country_holidays(country, years=year)
    except NotImplementedError:
        return frozenset(), frozenset()
    off = frozenset(d for d in book if d.year == year)
    return off, frozenset(d for d in book.weekend_workdays if d.year == year)


def _dates(text: str) -> frozenset[date]:
    out = set()
    for word in (text or "").replace(",", " ").split():
        try:
            out.add(date.fromisoformat(word))
        except ValueError:
            continue
    return frozenset(out)


@dataclass(frozen=True)
class Calendar:
    """When a person may be reminded: their zone, their team's working days and hours, quiet hours."""

    tz: ZoneInfo
    work_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO weekdays
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    holidays: frozenset[date] = frozenset()  # the team's own days off
    extra_workdays: frozenset[date] = frozenset()  # the team's own working days
    country: str | None = None  # whose public holidays and make-up working days count (the holidays package)

    @classmethod
    def of(cls, team: Team | None, user: User | None = None, default_tz: str = "Asia/Shanghai") -> Calendar:
        """The calendar of `user` (their zone) in `team` (its days and hours); defaults where unset."""
        base = team or Team(name="", created_at=datetime(2000, 1, 1, tzinfo=UTC))
        days = frozenset(int(c) for c in base.work_days if c in "1234567") or frozenset({1, 2, 3, 4, 5})
        return cls(tz=zone(user.tz if user else None, base.tz if team else None, default_tz),
                   work_days=days, work_start=hhmm(base.work_start, time(9, 0)),
                   work_end=hhmm(base.work_end, time(18, 0)), quiet_start=hhmm(base.quiet_start, time(21, 0)),
                   quiet_end=hhmm(base.quiet_end, time(8, 0)), holidays=_dates(base.holidays),
                   extra_workdays=_dates(base.extra_workdays), country=country_of(team, default_tz))

    def local(self, at: datetime) -> datetime:
        """An instant in this calendar's zone."""
        return at.astimezone(self.tz)

    def at(self, day: date, clock: time) -> datetime:
        """The UTC instant of a local date and time."""
        return datetime.combine(day, clock, tzinfo=self.tz).astimezone(UTC)

    def is_working_day(self, day: date) -> bool:
        """A working day: the team's own choice first, then the country's holidays and make-up working days,
        then the team's working weekdays."""
        if day in self.extra_workdays:
            return True
        if day in self.holidays:
            return False
        if self.country:
            off, work = official(self.country, day.year)
            if day in work:
                return True
            if day in off:
                return False
        return day.isoweekday() in self.work_days

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the next one."""
        for i in range(_SEARCH_DAYS):
            d = day + timedelta(days=i)
            if self.is_working_day(d):
                return d
        return day

    def previous_working_day(self, day: date) -> date:
        """The working day before `day`."""
        for i in range(1, _SEARCH_DAYS):
            d = day - timedelta(days=i)
            if self.is_working_day(d):
                return d
        return day - timedelta(days=1)

    def nth_working_day(self, start: date, n: int) -> date:
        """The `n`-th working day counting from `start` (1: `start` itself when it is one, else the next one)."""
        d = self.next_working_day(start)
        for _ in range(max(n, 1) - 1):
            d = self.next_working_day(d + timedelta(days=1))
        return d

    def working_days(self, start: date, end: date) -> int:
        """How many working days there are from `start` to `end`, both included."""
        total = 0
        for year in range(start.year, end.year + 1):
            days = _working_ordinals(self, year)
            total += max(bisect.bisect_right(days, end.toordinal()) - bisect.bisect_left(days, start.toordinal()), 0)
        return total

    def is_quiet(self, at: datetime) -> bool:
        """Whether `at` falls in the quiet hours (which may span midnight)."""
        t = self.local(at).time()
        s, e = self.quiet_start, self.quiet_end
        if s == e:
            return False
        return (s <= t or t < e) if s > e else (s <= t < e)

    def after_quiet(self, at: datetime) -> datetime:
        """`at`, or the end of the quiet hours it falls in: a reminder in the night waits for the morning."""
        if not self.is_quiet(at):
            return at
        local = self.local(at)
        day = local.date() if local.time() < self.quiet_end else local.date() + timedelta(days=1)
        return self.at(day, self.quiet_end)

    def working_moment(self, at: datetime) -> datetime:
        """`at` when it is in working hours on a working day, else the start of the next working hours."""
        local = self.local(at)
        day = local.date()
        if self.is_working_day(day) and self.work_start <= local.time() < self.work_end:
            return self.after_quiet(at)
        if not (self.is_working_day(day) and local.time() < self.work_start):
            day = self.next_working_day(day + timedelta(days=1))
        return self.after_quiet(self.at(day, self.work_start))

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """The working hours from `start` to `end` (0 when `end` is not later)."""
        total = timedelta(0)
        cur = self.working_moment(start)
        for _ in range(_SEARCH_DAYS):
            if cur >= end:
                break
            day_end = self.at(self.local(cur).date(), self.work_end)
            total += min(day_end, end) - cur
            cur = self.working_moment(day_end)
        return total.total_seconds() / 3600

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` working hours after `start`."""
        left = timedelta(hours=hours)
        cur = self.working_moment(start)
        for _ in range(_SEARCH_DAYS):
            local = self.local(cur)
            end = self.at(local.date(), self.work_end)
            if cur + left <= end:
                return cur + left
            left -= end - cur
            cur = self.working_moment(end)
        return cur + left


@functools.lru_cache(maxsize=512)
def _working_ordinals(cal: Calendar, year: int) -> tuple[int, ...]:
    """The working days of one year as ordinals, ascending: worked out once per calendar and year (a report counts
    the working days of thousands of stays)."""
    first = date(year, 1, 1)
    days = (first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days))
    return tuple(d.toordinal() for d in days if cal.is_working_day(d))
