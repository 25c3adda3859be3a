"""Chinese date expressions (and numeric date shapes shared with English)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from handlers.parsing.calendar import (
    OK,
    PAST,
    DateHit,
    add_business_days,
    add_months,
    day_of_month,
    day_of_month_back,
    month_day,
    month_part,
    next_weekday,
    safe_date,
    weekday_hit,
    weekday_in_week,
)
from handlers.parsing.text import ascii_re, to_int

Handler = Callable[[re.Match[str], datetime], DateHit | None]
RULES: list[tuple[re.Pattern[str], Handler]] = []

_N = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"  # month, day
_COUNT = r"(?:\d{1,4}|[零〇一二两三四五六七八九十百]{1,4})"
_NOT_NUM_BEFORE = r"(?<![\d.零〇一二两三四五六七八九十百千几每])"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6} | {
    str(i + 1): i for i in range(7)
}
_NEXT = r"下下个?|下一个?|下个?|本|这一?个?|上上个?|上一个?|上个?"


def rule(pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for a pattern."""

    def register(handler: Handler) -> Handler:
        RULES.append((ascii_re(pattern), handler))
        return handler

    return register


def _weeks_ahead(prefix: str | None) -> int | None:
    if not prefix:
        return None
    if prefix.startswith("下下"):
        return 2
    if prefix.startswith("下"):
        return 1
    if prefix.startswith("上"):
        return -1
    return None  # 本/这: the next occurrence, today included


@rule(r"(\d{4}|[零〇一二三四五六七八九]{4})\s*年\s*(" + _N + r")\s*月\s*(" + _N + r")\s*[日号]?")
def _full(m: re.Match[str], now: datetime) -> DateHit | None:
    year, month, day = (to_int(g) for g in m.groups())
    return None if year is None or month is None or day is None else month_day(now.date(), month, day, year)


@rule(r"(?<![\d.])(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?![\d.]|/\d)")
def _iso(m: re.Match[str], now: datetime) -> DateHit | None:
    return month_day(now.date(), int(m.group(3)), int(m.group(4)), int(m.group(1)))


@rule(r"(?<![\d./:])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/:%]|\.\d)")
def _slash(m: re.Match[str], now: datetime) -> DateHit | None:
    year = m.group(3)
    full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
    return month_day(now.date(), int(m.group(1)), int(m.group(2)), full_year)


@rule(r"(今年|明年|后年)\s*(" + _N + r")\s*月\s*(?:(" + _N + r")\s*[日号]?|份?\s*(初|上旬|中旬|中|下旬|底|末)?)")
def _year_month(m: re.Match[str], now: datetime) -> DateHit | None:
    year = now.year + {"今年": 0, "明年": 1, "后年": 2}[m.group(1)]
    month = to_int(m.group(2))
    if month is None or not 1 <= month <= 12:
        return None
    if m.group(3):
        day = to_int(m.group(3))
        return None if day is None else month_day(now.date(), month, day, year)
    found = month_part(year, month, m.group(4) or "初")
    return DateHit(0, 0, found, PAST if found < now.date() else OK)


@rule(r"(今年|明年)\s*年?\s*(底|末|初)|年(底|末|初)")
def _year_end(m: re.Match[str], now: datetime) -> DateHit | None:
    year = now.year + (1 if m.group(1) == "明年" else 0)
    if (m.group(2) or m.group(3)) == "初":
        return DateHit(0, 0, date(year, 1, 1), PAST if year == now.year and now.date() > date(year, 1, 1) else OK)
    return DateHit(0, 0, date(year, 12, 31))


@rule(_NOT_NUM_BEFORE + r"(" + _N + r")\s*月\s*(" + _N + r")(?:\s*[日号]|(?![\d零〇一二两三四五六七八九十百千万亿元块台个件套%]))")
def _month_day(m: re.Match[str], now: datetime) -> DateHit | None:
    month, day = to_int(m.group(1)), to_int(m.group(2))
    return None if month is None or day is None else month_day(now.date(), month, day)


@rule(_NOT_NUM_BEFORE + r"(" + _N + r")\s*月\s*份?\s*(初|上旬|中旬|中|下旬|底|末)")
def _month_part(m: re.Match[str], now: datetime) -> DateHit | None:
    month = to_int(m.group(1))
    if month is None or not 1 <= month <= 12:
        return None
    today = now.date()
    back = next(d for d in (month_part(y, month, m.group(2)) for y in (today.year, today.year - 1)) if d <= today)
    for year in (today.year, today.year + 1):
        found = month_part(year, month, m.group(2))
        if found >= today:
            return DateHit(0, 0, found, back=back)
    return None


def _months_ahead(prefix: str | None) -> int:
    if not prefix:
        return 0
    return 2 if prefix.startswith("下下") else 1 if prefix.startswith("下") else -1 if prefix[0] == "上" else 0


@rule(r"(下下个?|下个?|本|这个|上个?)\s*月\s*(" + _N + r")\s*[日号]")
def _relative_month_day(m: re.Match[str], now: datetime) -> DateHit | None:
    day = to_int(m.group(2))
    ahead = _months_ahead(m.group(1))
    if day is None:
        return None
    found = day_of_month(now.date(), day, ahead) if ahead else safe_date(now.year, now.month, day)
    if found is None:
        return None
    return DateHit(0, 0, found, PAST if found < now.date() else OK)


@rule(r"(下下个?|下个?|本|这个|上个?)?\s*月\s*(初|上旬|中旬|中|下旬|底|末)")
def _relative_month_part(m: re.Match[str], now: datetime) -> DateHit | None:
    ahead = _months_ahead(m.group(1))
    base = add_months(now.date().replace(day=1), ahead)
    found = month_part(base.year, base.month, m.group(2))
    if m.group(1) is not None:
        return DateHit(0, 0, found, PAST if found < now.date() else OK)
    back = found
    if found < now.date():
        base = add_months(base, 1)  # 月初 said after the first means the coming one
        found = month_part(base.year, base.month, m.group(2))
    else:
        before = add_months(base, -1)
        back = month_part(before.year, before.month, m.group(2))
    return DateHit(0, 0, found, back=back)


@rule(r"(下下个?|下一个?|下个?|上个?)\s*月")
def _relative_month(m: re.Match[str], now: datetime) -> DateHit | None:
    ahead = _months_ahead(m.group(1))
    return DateHit(0, 0, add_months(now.date().replace(day=1), ahead), PAST if ahead < 0 else OK)


@rule(
    r"(?<![\d月零〇一二两三四五六七八九十.#])(" + _N + r")\s*[号日]"
    r"(?![楼线机店门仓窗位床房柜口厅厂馆院车桌台元码包箱件人本子常期])"
)
def _day_only(m: re.Match[str], now: datetime) -> DateHit | None:
    day = to_int(m.group(1))
    found = None if day is None else day_of_month(now.date(), day)
    return None if found is None or day is None else DateHit(0, 0, found, back=day_of_month_back(now.date(), day))


_DAY_WORDS = {
    "大后天": (3, None), "后天": (2, None), "明天": (1, None), "明日": (1, None), "明儿": (1, None),
    "明早": (1, "am"), "明晨": (1, "am"), "明晚": (1, "evening"), "明夜": (1, "evening"),
    "今天": (0, None), "今日": (0, None), "今儿": (0, None), "今早": (0, "am"), "今晨": (0, "am"),
    "今晚": (0, "evening"), "今夜": (0, "evening"),
    "昨天": (-1, None), "昨日": (-1, None), "昨晚": (-1, None), "前天": (-2, None), "大前天": (-3, None),
}


@rule(r"(?<![以之然最过])(?:" + "|".join(sorted(_DAY_WORDS, key=len, reverse=True)) + ")")
def _day_word(m: re.Match[str], now: datetime) -> DateHit | None:
    days, part = _DAY_WORDS[m.group()]
    return DateHit(0, 0, now.date() + timedelta(days=days), PAST if days < 0 else OK, part)


_UNITS = r"(天|日|周|星期|礼拜|月|年|小时|钟头|分钟|工作日)"


def _offset(now: datetime, count: int, unit: str, half: bool, sign: int = 1) -> DateHit | None:
    today = now.date()
    if (count <= 0 and not half) or count > 3660:
        return None
    status = OK if sign > 0 else PAST
    if unit in ("小时", "钟头", "分钟"):
        minutes = count * (60 if unit != "分钟" else 1) + (30 if half and unit != "分钟" else 0)
        return DateHit(0, 0, None, status, exact=now + sign * timedelta(minutes=minutes))
    if unit in ("天", "日"):
        return None if half else DateHit(0, 0, today + sign * timedelta(days=count), status)
    if unit == "工作日":
        return DateHit(0, 0, add_business_days(today, count), status) if sign > 0 else DateHit(0, 0, None, PAST)
    if unit == "月":
        return DateHit(0, 0, add_months(today, sign * count) + sign * timedelta(days=15 if half else 0), status)
    if unit == "年":
        return DateHit(0, 0, add_months(today, sign * (12 * count + (6 if half else 0))), status)
    return DateHit(0, 0, today + sign * timedelta(days=7 * count + (3 if half else 0)), status)


@rule(
    r"(?:再?过\s*)?" + _NOT_NUM_BEFORE + r"(" + _COUNT + r"|半)\s*(个)?\s*(半)?\s*" + _UNITS
    + r"\s*(后|以后|之后|过后|内|之内|以内|前|以前|之前)"
)
def _in_n(m: re.Match[str], now: datetime) -> DateHit | None:
    count = 0 if m.group(1) == "半" else to_int(m.group(1))
    if count is None:
        return None
    sign = -1 if m.group(5) in ("前", "以前", "之前") else 1
    return _offset(now, count, m.group(4), m.group(1) == "半" or m.group(3) is not None, sign)


@rule(r"再?过\s*(" + _COUNT + r"|半)\s*(个)?\s*(半)?\s*" + _UNITS)
def _after_n(m: re.Match[str], now: datetime) -> DateHit | None:
    count = 0 if m.group(1) == "半" else to_int(m.group(1))
    return None if count is None else _offset(now, count, m.group(4), m.group(1) == "半" or bool(m.group(3)))


@rule(r"(?<![\d零〇一二两三四五六七八九十几每])(" + _NEXT + r")?\s*(?:周|星期|礼拜)\s*([一二三四五六日天1-7])")
def _weekday(m: re.Match[str], now: datetime) -> DateHit | None:
    weekday = _WEEKDAY[m.group(2)]
    ahead = _weeks_ahead(m.group(1))
    if m.group(1) is None:
        return weekday_hit(now.date(), weekday)
    if ahead is None:
        return DateHit(0, 0, next_weekday(now.date(), weekday))
    return DateHit(0, 0, weekday_in_week(now.date(), weekday, ahead), PAST if ahead < 0 else OK)


@rule(r"(?<![\d零〇一二两三四五六七八九十几每])(" + _NEXT + r")?\s*(?:周末|礼拜末)")
def _weekend(m: re.Match[str], now: datetime) -> DateHit | None:
    ahead = _weeks_ahead(m.group(1))
    if ahead is None:
        return DateHit(0, 0, next_weekday(now.date(), 5) if now.weekday() < 6 else now.date())
    return DateHit(0, 0, weekday_in_week(now.date(), 5, ahead), PAST if ahead < 0 else OK)


@rule(r"(" + _NEXT + r")\s*(?:周|星期|礼拜)(?![一二三四五六日天1-7末])")
def _next_week(m: re.Match[str], now: datetime) -> DateHit | None:
    ahead = _weeks_ahead(m.group(1))
    if ahead is None:
        return None  # 本周 alone names no day
    return DateHit(0, 0, weekday_in_week(now.date(), 0, ahead), PAST if ahead < 0 else OK)



_HOLIDAYS = {"元旦": (1, 1), "情人节": (2, 14), "五一": (5, 1), "劳动节": (5, 1), "国庆节": (10, 1), "国庆": (10, 1)}
_HOLIDAYS |= {"平安夜": (12, 24), "圣诞节": (12, 25), "圣诞": (12, 25)}


@rule(
    r"(?<![\d零〇一二两三四五六七八九十百千万])(?:"
    + "|".join(sorted(_HOLIDAYS, key=len, reverse=True))
    + r")(?![\d零〇一二两三四五六七八九十百千万个])"
)
def _holiday(m: re.Match[str], now: datetime) -> DateHit | None:
    return month_day(now.date(), *_HOLIDAYS[m.group()])
