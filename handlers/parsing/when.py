"""The follow-up time in a message: date rules, then the time of day that goes with the date."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta

from handlers.parsing import dates_en, dates_zh
from handlers.parsing.calendar import AMBIGUOUS, OK, PAST, DateHit, aware
from handlers.parsing.fallback import dateparser_when
from handlers.parsing.text import mask
from handlers.parsing.times import PartHit, TimeHit, part_for, part_hits, resolve, time_hits

_RULES = dates_zh.RULES + dates_en.RULES
_INVALID = "invalid"


def date_hits(text: str, now: datetime) -> list[DateHit]:
    """Non-overlapping date expressions, earliest and longest first; one that means no day blocks its span."""
    found: list[DateHit] = []
    for pattern, handler in _RULES:
        for m in pattern.finditer(text):
            try:
                hit = handler(m, now)
            except (ValueError, OverflowError):
                hit = None
            hit = hit or DateHit(0, 0, None, _INVALID)
            found.append(dataclasses.replace(hit, start=m.start(), end=m.end()))
    kept: list[DateHit] = []
    for hit in sorted(found, key=lambda h: (h.start, h.start - h.end)):
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def _accepted(hit: TimeHit, dates: list[DateHit], text: str, part: str | None) -> bool:
    if not hit.weak or part is not None:
        return True
    return any(d.end <= hit.start and text[d.end : hit.start].strip() == "" for d in dates)


def ambiguous_in(text: str, now: datetime) -> bool:
    """Whether the first date expression is one the conventions say to ask back (English "next Friday")."""
    usable = [d for d in date_hits(mask(text), now) if d.status in (OK, AMBIGUOUS)]
    return bool(usable) and usable[0].status == AMBIGUOUS


def when_in(text: str, now: datetime) -> date | datetime | None:
    """Follow-up date or datetime in normalized text, read relative to `now`."""
    text = mask(text)
    dates = date_hits(text, now)
    usable = [d for d in dates if d.status in (OK, AMBIGUOUS)]
    chosen = usable[0] if usable else None
    if chosen is not None and chosen.status == AMBIGUOUS:
        return None
    if chosen is not None and chosen.exact is not None:
        return chosen.exact.replace(second=0, microsecond=0)
    date_spans = [(d.start, d.end) for d in dates]
    parts = part_hits(text) + [PartHit(d.start, d.end, d.part) for d in dates if d.part]
    times = []
    for hit in time_hits(text):
        if any(s < hit.end and hit.start < e for s, e in date_spans):
            continue
        part = part_for(text, hit, parts)
        if _accepted(hit, dates, text, part):
            times.append((hit, part))
    if chosen is None:
        if any(d.status == PAST for d in dates) or not times:
            return dateparser_when(text, now) if not dates and not times else None
        return _at(now.date(), times[0], now, roll=True)
    if not times or chosen.day is None:
        return chosen.day
    nearest = min(times, key=lambda t: max(t[0].start - chosen.end, chosen.start - t[0].end, 0))
    return _at(chosen.day, nearest, now, roll=False)


def _at(day: date, found: tuple[TimeHit, str | None], now: datetime, roll: bool) -> datetime | None:
    hit, part = found
    resolved = resolve(hit.hour, hit.minute, hit.fixed, part)
    if resolved is None:
        return None
    hour, minute, shift = resolved
    try:
        first = day + timedelta(days=shift - 1 if roll and shift else shift)
        moment = aware(datetime.combine(first, time(hour, minute)), now.tzinfo)
        # A time with no date is the next such time: 晚上1点 said just after midnight is tonight's.
        while roll and moment < now:
            first += timedelta(days=1)
            moment = aware(datetime.combine(first, time(hour, minute)), now.tzinfo)
    except OverflowError:  # past year 9999
        return None
    return moment
