"""Discounts as percent off: 八五折, 打9折, 15% off, 降价10%, 优惠5个点."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from handlers.parsing.text import ascii_re, cn_int, to_int, whole

_ZHE = ascii_re(
    r"(?<![\d.])(?:打\s*个?\s*)?([1-9]\.[1-9]|[1-9]{1,2}|[一二三四五六七八九]{1,2}|[一二三四五六七八九]点[一二三四五六七八九])"
    r"\s*折(?!旧|叠|腾|合|算|返)|对折|半价"
)
_OFF_WORDS = (
    r"降价|降了|降|优惠了?|便宜了?|折扣|让利|减价|减了?|打折|(?<!至)少了?|折让|返利|"
    r"discount(?:ed)?(?:\s+(?:of|by))?|rebate(?:\s+of)?|reduced?(?:\s+by)?|cut(?:\s+by)?|markdown(?:\s+of)?|off|"
    r"(?:price|prices|pricing)\s+(?:came\s+|went\s+|is\s+|was\s+)?(?:down|lowered)(?:\s+by)?"
)
_PERCENT = r"(\d{1,2}(?:\.\d+)?\s*(?:%|percent\b|pct\b)|百分之[零一二两三四五六七八九十]{1,3})"
_PERCENT_AFTER_WORD = ascii_re(
    r"(?:" + _OFF_WORDS + r")\s*(?:率|幅度|力度)?\s*(?:是|为|了|到|:)?\s*(?:about|around|约|大约)?\s*" + _PERCENT
)
_PERCENT_BEFORE_WORD = ascii_re(_PERCENT + r"\s*(?:的)?\s*(?:off\b|discount|折扣|优惠|让利)")
# 便宜一点 is "a bit cheaper": a Chinese numeral counts as points only with 个 (便宜两个点).
_POINT_COUNT = r"(\d{1,2}\s*个?|[一二两三四五六七八九十]{1,3}\s*个)\s*点"
_POINTS = ascii_re(
    r"(?:优惠|降价?|让利?|便宜|折扣|返点?|少|减)\s*了?\s*" + _POINT_COUNT
    + r"|" + _POINT_COUNT + r"\s*的?\s*(?:优惠|折扣|让利)"
)
# A command's discount argument alone: "15%", "5个点" (after /quote's "优惠").
_BARE_PERCENT = ascii_re(r"\s*-?\s*(\d{1,2}(?:\.\d+)?)\s*(?:%|个点)\s*")


def _percent_value(s: str) -> Decimal | None:
    s = s.replace("%", "").replace("percent", "").replace("pct", "").strip().removeprefix("百分之")
    if not s.isascii():
        value = to_int(s)
        return None if value is None else Decimal(value)
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _zhe_off(m: re.Match[str]) -> Decimal | None:
    s = m.group(1)
    if s is None:
        return Decimal(50)  # 对折, 半价
    if "点" in s:
        s = f"{cn_int(s[0])}.{cn_int(s[2])}"
    elif not s.isascii():
        s = "".join(str(cn_int(c)) for c in s)
    price = Decimal(s) * (10 if len(s) == 1 or "." in s else 1)
    return 100 - price


def discount_in(text: str) -> Decimal | None:
    """Percent off in normalized text: 八五折 → 15, 15% off → 15, 优惠5个点 → 5; a lone "15%" too."""
    candidates: list[tuple[int, Decimal | None]] = []
    for m in _ZHE.finditer(text):
        candidates.append((m.start(), _zhe_off(m)))
    for m in _PERCENT_AFTER_WORD.finditer(text):
        candidates.append((m.start(), _percent_value(m.group(1))))
    for m in _PERCENT_BEFORE_WORD.finditer(text):
        candidates.append((m.start(), _percent_value(m.group(1))))
    for m in _POINTS.finditer(text):
        candidates.append((m.start(), _percent_value((m.group(1) or m.group(2)).rstrip("个 "))))
    bare = _BARE_PERCENT.fullmatch(text)
    if bare:
        candidates.append((0, _percent_value(bare.group(1))))
    for _, value in sorted(candidates, key=lambda c: c[0]):
        if value is not None and 0 < value < 100:
            return whole(value)
    return None
