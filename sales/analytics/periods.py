"""Report periods, read in both languages: this/last/next week, month, quarter, year; halves (今年上半年, H2);
the last N days (近30天); or 2026-Q4, 2026-H1, 2026-11, 2026-W47, 2026."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Kind = Literal["week", "month", "quarter", "half", "year"]
ACCEPTED_ZH = ("本周、上周、本月、上月、本季度、上季度、今年、去年、下周、下月、下季度、今年上半年、下半年、近30天，"
               "或 2026-Q4、2026-11、2026-H1、2026、2026-W47")
ACCEPTED_EN = ("this week, last week, next week, this month, last month, next month, this quarter, last quarter, "
               "next quarter, this year, last year, first half of this year (H1, H2), last 30 days, "
               "or 2026-Q4, 2026-11, 2026-H1, 2026, 2026-W47")
_RELATIVE: dict[str, tuple[int, Kind]] = {
    "本周": (0, "week"), "这周": (0, "week"), "上周": (-1, "week"), "下周": (1, "week"),
    "本月": (0, "month"), "这个月": (0, "month"), "上月": (-1, "month"), "上个月": (-1, "month"),
    "下月": (1, "month"), "下个月": (1, "month"),
    "本季度": (0, "quarter"), "本季": (0, "quarter"), "这个季度": (0, "quarter"), "这季度": (0, "quarter"),
    "上季度": (-1, "quarter"), "上季": (-1, "quarter"), "上个季度": (-1, "quarter"),
    "下季度": (1, "quarter"), "下季": (1, "quarter"), "下个季度": (1, "quarter"),
    "今年": (0, "year"), "本年": (0, "year"), "去年": (-1, "year"),
}
_OFFSET = {"this": 0, "current": 0, "last": -1, "previous": -1, "past": -1, "next": 1, "coming": 1}
_YEAR_WORDS = {"今年": 0, "本年": 0, "去年": -1, "明年": 1, "this year": 0, "current year": 0, "last year": -1,
               "previous year": -1, "next year": 1, "": 0}
_HALF_WORDS = {"上半年": 1, "下半年": 2, "h1": 1, "h2": 2, "first half": 1, "second half": 2, "1st half": 1,
               "2nd half": 2}
_DAYS = re.compile(r"(?:last|past|previous|the\s+last|the\s+past)\s+(\d{1,3})\s+days?|(?:近|最近|过去)\s*(\d{1,3})\s*天")
_ZH_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True, slots=True)
class Period:
    """A span of local calendar days [start, end) with the key targets are stored under."""

    kind: Kind | Literal["days"]  # "days": the last N days up to today, which no target is set for
    start: date
    end: date  # exclusive

    @property
    def key(self) -> str:
        """2026-W47, 2026-11, 2026-Q4 or 2026: the form a Target row names its period by."""
        s = self.start
        if self.kind == "week":
            y, w, _ = s.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "month":
            return f"{s.year}-{s.month:02d}"
        if self.kind == "quarter":
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        if self.kind == "half":
            return f"{s.year}-H{1 if s.month == 1 else 2}"
        if self.kind == "days":
            return f"{s.isoformat()}..{(self.end - timedelta(days=1)).isoformat()}"
        return str(s.year)

    def label(self, lang: str) -> str:
        """How the period is named to a reader."""
        s, last = self.start, self.end - timedelta(days=1)
        if self.kind == "week":
            return f"{s.month}月{s.day}日–{last.month}月{last.day}日" if lang == "zh" else f"{s:%b} {s.day}–{last:%b} {last.day}"
        if self.kind == "month":
            return f"{s.year}年{s.month}月" if lang == "zh" else f"{s:%b %Y}"
        if self.kind == "quarter":
            q = (s.month - 1) // 3 + 1
            return f"{s.year}年第{q}季度" if lang == "zh" else f"Q{q} {s.year}"
        if self.kind == "half":
            first = s.month == 1
            return f"{s.year}年{'上' if first else '下'}半年" if lang == "zh" else f"H{1 if first else 2} {s.year}"
        if self.kind == "days":
            n = (self.end - s).days
            return f"近{n}天（{s.month}月{s.day}日–{last.month}月{last.day}日）" if lang == "zh" else (
                f"last {n} days ({s:%b} {s.day}–{last:%b} {last.day})")
        return f"{s.year}年" if lang == "zh" else str(s.year)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as UTC instants, its days taken in zone `tz`."""
        return utc_midnight(self.start, tz), utc_midnight(self.end, tz)

    def months(self) -> list[tuple[date, date]]:
        """The calendar months the period covers, each clipped to the period."""
        out, d = [], self.start
        while d < self.end:
            nxt = _add_months(date(d.year, d.month, 1), 1)
            out.append((d, min(nxt, self.end)))
            d = nxt
        return out


def utc_midnight(d: date, tz: ZoneInfo) -> datetime:
    """The start of local day `d` in zone `tz`, as a UTC instant."""
    return datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC)


def _add_months(d: date, n: int) -> date:
    m = d.year * 12 + d.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def span(kind: Kind, today: date, offset: int = 0) -> Period:
    """The week, month, quarter or year containing `today`, moved by `offset` of them."""
    if kind == "week":
        start = today - timedelta(days=today.weekday()) + timedelta(weeks=offset)
        return Period("week", start, start + timedelta(days=7))
    if kind == "month":
        start = _add_months(date(today.year, today.month, 1), offset)
        return Period("month", start, _add_months(start, 1))
    if kind == "quarter":
        start = _add_months(date(today.year, (today.month - 1) // 3 * 3 + 1, 1), 3 * offset)
        return Period("quarter", start, _add_months(start, 3))
    if kind == "half":
        start = _add_months(date(today.year, 1 if today.month <= 6 else 7, 1), 6 * offset)
        return Period("half", start, _add_months(start, 6))
    return Period("year", date(today.year + offset, 1, 1), date(today.year + offset + 1, 1, 1))


def parse_period(text: str, today: date) -> Period | None:
    """The period a few words name, relative to the local `today`; None when they name none."""
    t = " ".join(text.strip().lower().replace("_", " ").split())
    if t in _RELATIVE:
        offset, kind = _RELATIVE[t]
        return span(kind, today, offset)
    m = re.fullmatch(r"(?:(this|last|previous|past|current|next|coming)[\s-]*)?(week|month|quarter|year)", t)
    if m:
        unit: Kind = m.group(2)  # type: ignore[assignment]
        offset = _OFFSET.get(m.group(1) or "this", 0)
        # "next year" is left unread like 明年: a year ahead is past what the reports are meant to look at
        return None if unit == "year" and offset > 0 else span(unit, today, offset)
    m = _DAYS.fullmatch(t)
    if m:
        n = int(m.group(1) or m.group(2))
        return Period("days", today - timedelta(days=n - 1), today + timedelta(days=1)) if 1 <= n <= 366 else None
    half = _half(t, today)
    if half is not None:
        return half
    m = re.fullmatch(r"(\d{4})\s*(?:-|年)?\s*-?\s*(?:q([1-4])|第?([一二三四1-4])季度?)", t)
    if m:
        q = int(m.group(2)) if m.group(2) else _ZH_QUARTER[m.group(3)]
        return _checked("quarter", int(m.group(1)), 3 * q - 2)
    m = re.fullmatch(r"(\d{4})\s*-?\s*w(\d{1,2})", t)
    if m:
        return _iso_week(int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"(\d{4})\s*(?:-|/|年)\s*(\d{1,2})\s*月?", t)
    if m:
        return _checked("month", int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"(\d{4})\s*年?", t)
    if m:
        return _checked("year", int(m.group(1)), 1)
    return None


def _half(t: str, today: date) -> Period | None:
    """今年上半年, 下半年, first half of this year, H2, H1 2026, 2026-H1, 2026年上半年."""
    m = re.fullmatch(r"(\d{4})\s*(?:-|年)?\s*(上半年|下半年|h[12])", t) or re.fullmatch(r"(h[12])\s+(\d{4})", t)
    if m:
        year, which = (m.group(1), m.group(2)) if m.group(1)[0].isdigit() else (m.group(2), m.group(1))
        return _checked("half", int(year), 1 if _HALF_WORDS[which] == 1 else 7)
    m = re.fullmatch(r"(今年|本年|去年|明年)?\s*(上半年|下半年)", t) or re.fullmatch(
        r"(?:the\s+)?(first half|second half|1st half|2nd half|h1|h2)(?:\s+of)?\s*(?:the\s+)?(.*)", t)
    if m is None:
        return None
    if m.group(1) in _HALF_WORDS:
        which, year_words = m.group(1), m.group(2)
    else:
        which, year_words = m.group(2), m.group(1) or ""
    if year_words not in _YEAR_WORDS:
        return None
    return _checked("half", today.year + _YEAR_WORDS[year_words], 1 if _HALF_WORDS[which] == 1 else 7)


def _iso_week(year: int, week: int) -> Period | None:
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return Period("week", start, start + timedelta(days=7)) if 2000 <= year <= 2100 else None


def _checked(kind: Kind, year: int, month: int) -> Period | None:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return span(kind, date(year, month, 1))
