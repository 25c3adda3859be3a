"""A contact's birthday or key date as typed (3月8日, March 8, 3/8, 1985年3月8日): its month and day, and the year
when one was written; read with the same date rules as everything else (`find_date`). Nothing here raises."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from handlers.parsing import find_date

_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")


@dataclass(frozen=True, slots=True)
class KeyDay:
    """A day of the year to remember, with the year it was first (a birth year) when given."""

    month: int
    day: int
    year: int | None = None


def read_key_day(text: str, now: datetime) -> KeyDay | None:
    """The month and day `text` names (the year too when written); None when it names no date."""
    d = find_date(text, now, prefer="past")  # the past: a birth year is kept, never moved a year ahead
    if d is None:
        return None
    year = int(m.group(1)) if (m := _YEAR.search(text)) and int(m.group(1)) == d.year else None
    return KeyDay(d.month, d.day, year)


def split_label(words: list[str], now: datetime) -> tuple[str, KeyDay] | None:
    """`签约纪念日 5月20日` → the label and the day: the shortest tail of the words that reads as a date."""
    for k in range(len(words) - 1, 0, -1):
        day = read_key_day(" ".join(words[k:]), now)
        if day is not None:
            return " ".join(words[:k]), day
    if len(words) == 1:  # 签约纪念日5月20日: the date starts at the first digit or Chinese month
        m = re.search(r"[0-9０-９一二三四五六七八九十]+\s*(?:月|/)", words[0])
        if m and m.start() > 0:
            day = read_key_day(words[0][m.start():], now)
            if day is not None:
                return words[0][:m.start()], day
    return None
