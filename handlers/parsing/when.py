"""Times in a message: date rules, the time of day that goes with each date, and which one is meant."""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from handlers.parsing import dates_en, dates_zh
from handlers.parsing.calendar import AMBIGUOUS, OK, PAST, DateHit, aware
from handlers.parsing.fallback import dateparser_when
from handlers.parsing.text import ascii_re, mask
from handlers.parsing.times import PartHit, Parts, TimeHit, part_for, part_hits, resolve, time_hits

Prefer = Literal["future", "past"]
_RULES = dates_zh.RULES + dates_en.RULES
_INVALID = "invalid"
_CLAUSE_END = ascii_re(r"[，,。;；!！?？\n]|\.(?!\d)")
_FOLLOW_UP = ascii_re(
    r"跟进|联系|回电|回访|(?<!大)约(?!合|等于)|再去|再来|再打|再谈|再聊|再沟通|再确认|再拜访|再说|再看|再议|答复|回复|回话|"
    r"电话确认|\bfollow[\s-]*up|\bcall\s+(?:them\s+|him\s+|her\s+)?back|\bcallback|\bcheck\s+(?:back|in)\b"
    r"|\bget\s+back|\bcircle\s+back|\btouch\s+base|\breach\s+out|\bping\b|\bnext\s+(?:call|meeting|visit|demo|step)"
)
_OR = ascii_re(r"\s*(?:或者?|还是|\bor\b|/)\s*")
# "3天内交付": a deadline the customer set, not a time for us to follow up.
_WITHIN = ascii_re(r"内$|^within\b")
_DELIVERY = ascii_re(r"交付|交货|发货|到货|送达|送到|完工|上线|安装|部署|\bdeliver|\bship|\binstall")


@dataclass(frozen=True, slots=True)
class Moment:
    """A date (with its time of day when one goes with it) named at a span of the text."""

    start: int
    end: int
    value: date | datetime | None
    status: str  # OK, PAST or AMBIGUOUS
    deadline: bool = False


def date_hits(text: str, now: datetime) -> list[DateHit]:
    """Non-overlapping date expressions, earliest and longest first; one that means no day blocks its span."""
    found: list[DateHit] = []
    for pattern, handler in _RULES:
        for m in pattern.finditer(text):
            try:
                hit = handler(m, now)
            except (ValueError, OverflowError, StopIteration):
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


_NEAREST = 4  # times considered on each side of a date when pairing them


class _Clauses:
    """Which clause (a stretch between commas or full stops) a position is in."""

    def __init__(self, text: str) -> None:
        self.ends = [m.start() for m in _CLAUSE_END.finditer(text)]

    def of(self, pos: int) -> int:
        return bisect.bisect_right(self.ends, pos)


class _Spans:
    """Spans sorted by start, with the furthest end so far: overlap checks in log time."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans = sorted(spans)
        self.starts = [s for s, _ in spans]
        self.reach = list(itertools.accumulate((e for _, e in spans), max))


def _overlaps(spans: _Spans, hit: TimeHit) -> bool:
    before = bisect.bisect_left(spans.starts, hit.end)  # spans starting before the hit ends
    return before > 0 and spans.reach[before - 1] > hit.start


def moments(text: str, now: datetime, prefer: Prefer = "future") -> list[Moment]:
    """Every date or time in normalized text, each date with the time of day nearest it, in text order."""
    text = mask(text)
    clauses = _Clauses(text)
    dates = date_hits(text, now)
    usable = [d for d in dates if d.status != _INVALID]
    date_spans = _Spans([(d.start, d.end) for d in dates])
    parts = Parts(part_hits(text) + [PartHit(d.start, d.end, d.part) for d in dates if d.part])
    times: list[tuple[TimeHit, str | None]] = []
    for hit in time_hits(text):
        if _overlaps(date_spans, hit):
            continue
        part = part_for(text, hit, parts)
        if _accepted(hit, dates, text, part):
            times.append((hit, part))
    pairs = _pair(text, clauses, usable, times)
    found: list[Moment] = []
    today = now.date()
    for i, d in enumerate(usable):
        day = d.day
        if prefer == "past" and day is not None and day > today and d.back is not None:
            day = d.back
        value: date | datetime | None = day
        if d.exact is not None:
            value = d.exact.replace(second=0, microsecond=0)
        elif day is not None and i in pairs:
            value = _at(day, times[pairs[i]], now, roll=False)
        status = PAST if value is not None and _day(value) < today else d.status
        if d.status == AMBIGUOUS:
            status = AMBIGUOUS
        found.append(Moment(d.start, d.end, value, status, _is_deadline(text, clauses, d)))
    paired = set(pairs.values())
    for j, (hit, part) in enumerate(times):
        if j not in paired:
            value = _at(today, (hit, part), now, roll=prefer == "future")
            found.append(Moment(hit.start, hit.end, value, OK))
    return sorted(found, key=lambda m: m.start)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _pair(
    text: str, clauses: _Clauses, dates: list[DateHit], times: list[tuple[TimeHit, str | None]]
) -> dict[int, int]:
    """Each date's time of day: nearest first, within a clause or across nothing but punctuation."""
    options = []
    order = sorted(range(len(times)), key=lambda j: times[j][0].start)
    starts = [times[j][0].start for j in order]
    for i, d in enumerate(dates):
        if d.exact is not None:
            continue
        # the few nearest times on each side: a long text must not cost dates × times
        near = bisect.bisect_left(starts, d.start)
        for j in order[max(0, near - _NEAREST) : near + _NEAREST]:
            hit = times[j][0]
            gap = max(hit.start - d.end, d.start - hit.end, 0)
            between = text[min(d.end, hit.end) : max(d.start, hit.start)]
            if clauses.of(d.start) == clauses.of(hit.start) or not between.strip(" ,，"):
                options.append((gap, i, j))
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for _, i, j in sorted(options):
        if i not in pairs and j not in taken:
            pairs[i] = j
            taken.add(j)
    return pairs


def _is_deadline(text: str, clauses: _Clauses, hit: DateHit) -> bool:
    if not _WITHIN.search(text[hit.start : hit.end]):
        return False
    clause = clauses.of(hit.start)
    return any(clauses.of(m.start()) == clause for m in _DELIVERY.finditer(text))


def follow_up(text: str, found: list[Moment]) -> Moment | None:
    """The follow-up among the moments: the one a follow-up word goes with, else the last one named."""
    candidates = [m for m in found if m.status in (OK, AMBIGUOUS) and not m.deadline]
    if not candidates:
        return None
    clauses = _Clauses(text)
    words = [(clauses.of(w.start()), w.start()) for w in _FOLLOW_UP.finditer(text)]
    tied = []
    for m in candidates:
        distances = [abs(pos - m.start) for clause, pos in words if clause == clauses.of(m.start)]
        if distances:
            tied.append((clauses.of(m.start), min(distances), m.start, m))
    if tied:
        return min(tied, key=lambda t: t[:3])[3]
    # 下周一或周二, Monday or Tuesday: the first of the choices
    last = len(candidates) - 1
    while last > 0 and _OR.fullmatch(text[candidates[last - 1].end : candidates[last].start]):
        last -= 1
    return candidates[last]


def when_in(text: str, now: datetime, prefer: Prefer = "future") -> date | datetime | None:
    """The follow-up (or, preferring the past, the first date named) in normalized text, relative to `now`."""
    found = moments(text, now, prefer)
    if prefer == "past":
        chosen = next((m for m in found if m.status in (OK, PAST, AMBIGUOUS)), None)
        return None if chosen is None or chosen.status == AMBIGUOUS else chosen.value
    picked = follow_up(text, found)
    if picked is None:
        if not found:
            return dateparser_when(mask(text), now)
        return None
    return None if picked.status == AMBIGUOUS else picked.value


def ambiguous_in(text: str, now: datetime) -> bool:
    """Whether the follow-up named is one the conventions say to ask back (English "next Friday")."""
    picked = follow_up(text, moments(text, now))
    return picked is not None and picked.status == AMBIGUOUS


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
