"""Times of day (下午3点, 3:30pm, at 8) and the parts of day (上午, tonight) that qualify them."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from handlers.parsing.text import ascii_re, to_int


@dataclass(frozen=True, slots=True)
class TimeHit:
    """A time of day found in the text; `fixed` when am/pm or a 24-hour clock settles the hour."""

    start: int
    end: int
    hour: int
    minute: int
    fixed: bool = False
    weak: bool = False  # a bare Chinese-numeral hour (两点): a time only beside a date or a part of day


@dataclass(frozen=True, slots=True)
class PartHit:
    """A part of the day (上午, evening) at a span of the text."""

    start: int
    end: int
    part: str


# A Chinese-numeral hour must not be the tail of a bigger numeral, but may follow a weekday (周一两点).
_HOUR = (
    r"(\d{1,2}|(?:(?<=[周期拜][一二三四五六日天])|(?<![零〇一二两三四五六七八九十百]))"
    r"(?:二十[一二三四]?|十[一二三四五六七八九]?|[零〇一二两三四五六七八九]))"
)
_CN_TIME = ascii_re(
    r"(?<![\d.个第#])" + _HOUR + r"\s*[点时](?!钟头|候|间|段|代|期|差|儿)(钟)?\s*"
    r"(?:(半)|(一刻)|(三刻)|(整)|(\d{1,2}|[零〇一二三四五六七八九十]{1,3})\s*(分)?(?![\d万千百元块台个件%]))?"
)
# 3点 right after these is a discount or a count, and before these it is "three points".
_NOT_TIME_BEFORE = ascii_re(r"(优惠|降价?|让利?|便宜|返|涨|跌|提高|上调|下调|低|高|差|有|提了?|说了?)\s*$")
_NOT_TIME_AFTER = ascii_re(
    r"\s*(建议|意见|要求|问题|需求|原因|内容|想法|共识|看法|疑问|注意|改进|好处|优势|不足|理由|说明|事项|几|多|折|个点)"
)
# 一点 is also "a bit" and 两点 "two points": alone they are hours only beside a date or a part of day.
_WEAK_HOURS = ("一", "二", "两")
_CLOCK = ascii_re(r"(?<![\d:.])(\d{1,2})\s*:\s*([0-5]\d)(?![\d:])(?:\s*(a\.?m\.?|p\.?m\.?)(?![a-z]))?")
_AMPM = ascii_re(r"\b(\d{1,2})(?:\.([0-5]\d))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])")
_AT = ascii_re(
    r"(?:\b(?:at|around|by|about)|@)\s*(\d{1,2})(?:\s*o'?clock)?"
    r"(?![\d:.,%]|\s*(?:%|k\b|m\b|units?|pcs|people|percent|days?|weeks?|months?|years?|hours?|hrs?|mins?"
    r"|minutes?|a\.?m\b|p\.?m\b))"
)
_OCLOCK = ascii_re(
    r"\b(\d{1,2})(?:\s*o'?clock\b|(?=\s+(?:tonight|in\s+the\s+(?:morning|afternoon|evening)"
    r"|this\s+(?:morning|afternoon|evening))\b))"
)
_NOON = ascii_re(r"\b(?:noon|midday)\b")

_CN_PARTS = {
    "凌晨": "early", "早上": "am", "早晨": "am", "清晨": "am", "一早": "am", "上午": "am", "早": "am",
    "今早": "am", "明早": "am", "今晨": "am", "明晨": "am", "中午": "noon", "午间": "noon",
    "下午": "pm", "午后": "pm", "傍晚": "evening", "晚上": "evening", "晚间": "evening", "夜里": "evening",
    "夜间": "evening", "深夜": "evening", "今晚": "evening", "明晚": "evening", "今夜": "evening",
    "明夜": "evening", "晚": "evening",
}
_EN_PARTS = {
    "morning": "am", "afternoon": "pm", "evening": "evening", "tonight": "evening", "night": "evening",
    "noon": "noon", "lunchtime": "noon",
}
_PART = ascii_re(
    "|".join(sorted(_CN_PARTS, key=len, reverse=True)) + r"|\b(?:" + "|".join(_EN_PARTS) + r")\b"
)
_GAP_BEFORE = ascii_re(r"[\s,的在]*(?:(?:at|around|by|about)\s*|@\s*)?")
_GAP_AFTER = ascii_re(r"\s*(?:in\s+the|this|today|tomorrow|tmrw?)?\s*")


def _minute(m: re.Match[str]) -> int | None:
    if m.group(3):
        return 30
    if m.group(4):
        return 15
    if m.group(5):
        return 45
    return to_int(m.group(7)) if m.group(7) else 0


def time_hits(text: str) -> list[TimeHit]:
    """Every time of day in the (normalized, masked) text."""
    hits: list[TimeHit] = []
    for m in _CN_TIME.finditer(text):
        hour, minute = to_int(m.group(1)), _minute(m)
        if hour is None or minute is None or minute > 59 or hour > 24:
            continue
        if _NOT_TIME_BEFORE.search(text, max(0, m.start() - 4), m.start()) or _NOT_TIME_AFTER.match(text, m.end()):
            continue
        bare = not any(m.group(i) for i in (2, 3, 4, 5, 6, 7))
        hits.append(TimeHit(m.start(), m.end(), hour, minute, weak=bare and m.group(1) in _WEAK_HOURS))
    for m in _CLOCK.finditer(text):
        hour, minute = int(m.group(1)), int(m.group(2))
        if m.group(3):
            meridiem = _meridiem(m, hour, minute, m.group(3))
            hits.extend([meridiem] if meridiem else [])
        elif hour <= 23:
            hits.append(TimeHit(m.start(), m.end(), hour, minute, fixed=hour == 0 or hour > 12))
    for m in _AMPM.finditer(text):
        meridiem = _meridiem(m, int(m.group(1)), int(m.group(2) or 0), m.group(3))
        hits.extend([meridiem] if meridiem else [])
    for pattern in (_AT, _OCLOCK):
        for m in pattern.finditer(text):
            hits.append(TimeHit(m.start(), m.end(), int(m.group(1)), 0, fixed=int(m.group(1)) > 12))
    hits.extend(TimeHit(m.start(), m.end(), 12, 0, fixed=True) for m in _NOON.finditer(text))
    return _first_per_span(hits)


def _meridiem(m: re.Match[str], hour: int, minute: int, suffix: str) -> TimeHit | None:
    if not 1 <= hour <= 12:
        return None
    hour = hour % 12 + (12 if suffix.startswith("p") else 0)
    return TimeHit(m.start(), m.end(), hour, minute, fixed=True)


def _first_per_span(hits: list[TimeHit]) -> list[TimeHit]:
    kept: list[TimeHit] = []
    for hit in sorted(hits, key=lambda h: (h.start, h.start - h.end)):
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def part_hits(text: str) -> list[PartHit]:
    """Every part-of-day word in the text."""
    return [PartHit(m.start(), m.end(), _CN_PARTS.get(m.group()) or _EN_PARTS[m.group()]) for m in _PART.finditer(text)]


class Parts:
    """Part-of-day hits ordered by end and by start, so each time finds its neighbours in log time."""

    def __init__(self, parts: list[PartHit]) -> None:
        self.by_end = sorted(parts, key=lambda p: p.end)
        self.ends = [p.end for p in self.by_end]
        self.by_start = sorted(parts, key=lambda p: p.start)
        self.starts = [p.start for p in self.by_start]

    def before(self, pos: int) -> PartHit | None:
        """The part ending nearest before pos (the first written, on a tie)."""
        k = bisect.bisect_right(self.ends, pos)
        return self.by_end[bisect.bisect_left(self.ends, self.ends[k - 1])] if k else None

    def after(self, pos: int) -> PartHit | None:
        """The part starting nearest after pos."""
        k = bisect.bisect_left(self.starts, pos)
        return self.by_start[k] if k < len(self.by_start) else None


def part_for(text: str, hit: TimeHit, parts: Parts) -> str | None:
    """The part of the day that qualifies a time: the nearest one just before it, else just after it."""
    before = parts.before(hit.start)
    if before is not None:
        gap = text[before.end : hit.start]
        # a one-character part (早, 晚) counts only right before the hour: 晚8点, not 晚了 8点
        if gap == "" or (before.end - before.start > 1 and _GAP_BEFORE.fullmatch(gap)):
            return before.part
    after = parts.after(hit.end)
    if after is not None and _GAP_AFTER.fullmatch(text[hit.end : after.start]):
        return after.part
    return None


def resolve(hour: int, minute: int, fixed: bool, part: str | None) -> tuple[int, int, int] | None:
    """(hour, minute, days to add) for an hour read with its part of the day; None when impossible."""
    if not (0 <= hour <= 24 and 0 <= minute <= 59):
        return None
    if hour == 24:
        return (0, minute, 1) if minute == 0 else None
    if fixed or hour > 12:
        return hour, minute, 0
    if part is None:
        return (hour + 12 if 1 <= hour <= 6 else hour), minute, 0
    if part == "early":
        return hour % 12, minute, 0
    if part == "noon":
        return (hour + 12 if 1 <= hour <= 5 else hour), minute, 0
    if part == "pm":
        return (hour + 12 if hour < 12 else hour), minute, 0
    if part == "evening":
        if hour == 12:
            return 0, minute, 1
        return (hour + 12, minute, 0) if hour >= 5 else (hour, minute, 1)
    return hour, minute, 0
