"""Report periods: this/last week, month, quarter, year, or 2026-Q4, 2026-11, 2026, read in both languages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Kind = Literal["week", "month", "quarter", "year"]
ACCEPTED_ZH = "本周、上周、本月、上月、本季度、上季度、今年、去年，或 2026-Q4、2026-11、2026、2026-W47"
ACCEPTED_EN = ("this week, last week, this month, last month, this quarter, last quarter, this year, "
               "last year, or 2026-Q4, 2026-11, 2026, 2026-W47")
_RELATIVE: dict[str, tuple[int, Kind]] = {
    "本周": (0, "week"), "这周": (0, "week"), "上周": (-1, "week"),
    "本月": (0, "month"), "这个月": (0, "month"), "上月": (-1, "month"), "上个月": (-1, "month"),
    "本季度": (0, "quarter"), "本季": (0, "quarter"), "这个季度": (0, "quarter"),
    "上季度": (-1, "quarter"), "上季": (-1, "quarter"), "上个季度": (-1, "quarter"),
    "今年": (0, "year"), "本年": (0, "year"), "去年": (-1, "year"),
}
_ZH_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True, slots=True)
class Period:
    """A span of local calendar days [start, end) with the key targets are stored under."""

    kind: Kind
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
    return Period("year", date(today.year + offset, 1, 1), date(today.year + offset + 1, 1, 1))


def parse_period(text: str, today: date) -> Period | None:
    """The period a few words name, relative to the local `today`; None when they name none."""
    t = " ".join(text.strip().lower().replace("_", " ").split())
    if t in _RELATIVE:
        offset, kind = _RELATIVE[t]
        return span(kind, today, offset)
    m = re.fullmatch(r"(?:(this|last|previous|current)[\s-]*)?(week|month|quarter|year)", t)
    if m:
        offset = -1 if m.group(1) in ("last", "previous") else 0
        return span(m.group(2), today, offset)  # type: ignore[arg-type]
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
