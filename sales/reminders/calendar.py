"""A team's working calendar in one person's zone: working days and hours, holidays, quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
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
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, team: Team | None, user: User | None = None, default_tz: str = "Asia/Shanghai") -> Calendar:
        """The calendar of `user` (their zone) in `team` (its days and hours); defaults where unset."""
        base = team or Team(name="", created_at=datetime(2000, 1, 1, tzinfo=UTC))
        days = frozenset(int(c) for c in base.work_days if c in "1234567") or frozenset({1, 2, 3, 4, 5})
        return cls(tz=zone(user.tz if user else None, base.tz if team else None, default_tz),
                   work_days=days, work_start=hhmm(base.work_start, time(9, 0)),
                   work_end=hhmm(base.work_end, time(18, 0)), quiet_start=hhmm(base.quiet_start, time(21, 0)),
                   quiet_end=hhmm(base.quiet_end, time(8, 0)), holidays=_dates(base.holidays),
                   extra_workdays=_dates(base.extra_workdays))

    def local(self, at: datetime) -> datetime:
        """An instant in this calendar's zone."""
        return at.astimezone(self.tz)

    def at(self, day: date, clock: time) -> datetime:
        """The UTC instant of a local date and time."""
        return datetime.combine(day, clock, tzinfo=self.tz).astimezone(UTC)

    def is_working_day(self, day: date) -> bool:
        """A working day: a working weekday that is no holiday, or a make-up working day."""
        if day in self.extra_workdays:
            return True
        return day.isoweekday() in self.work_days and day not in self.holidays

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
