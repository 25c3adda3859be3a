"""Money amounts (30万, ¥30,000, 45k USD) and discounts (八五折, 15% off, 优惠5个点)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from handlers.parsing.text import ascii_re, cn_int, mask, to_int

_MAGNITUDE = {
    "亿": 10**8, "千万": 10**7, "百万": 10**6, "万": 10**4, "千": 10**3, "w": 10**4, "k": 10**3,
    "m": 10**6, "mn": 10**6, "mil": 10**6, "million": 10**6, "thousand": 10**3, "bn": 10**9, "billion": 10**9,
}
_CURRENCY_BEFORE = r"(?P<pre>[¥$€£]|rmb|cny|usd|us\$|hk\$)?"
_CURRENCY_AFTER = r"(?P<cur>元|块钱?|人民币|美元|美金|欧元|港币|刀|rmb|cny|usd|dollars?|bucks|yuan|eur|[¥$€£])?"
_AMOUNT = ascii_re(
    _CURRENCY_BEFORE + r"\s*(?<![\d.,])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,15}(?:\.\d+)?)(?![\d.])"
    r"\s*(?:(?P<mag>千万|百万|亿|万|千|million|thousand|billion|mil|mn|bn|k|m|w)(?![a-z])"
    r"(?P<tail>\d(?![\d.,]))?(?P<tailmag>千|百)?)?\s*" + _CURRENCY_AFTER
)
_CN_AMOUNT = ascii_re(
    r"(?<![几数多上近])(?P<num>[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*)\s*" + _CURRENCY_AFTER
)
# After the number: a count, a percentage, a date or time unit, a discount: not money.
_NOT_MONEY_AFTER = ascii_re(
    r"\s*(?:台|个|件|套|只|支|部|人|位|名|家|次|箱|张|本|条|辆|间|份|盒|瓶|包|批|吨|公斤|斤|米|平|层|年|月|日|号|天|周|"
    r"小时|分钟|点|时|%|折|倍|成|units?\b|pcs\b|pieces?\b|seats?\b|licen[cs]es?\b|users?\b|sets?\b|boxes\b|"
    r"people\b|persons?\b|employees\b|items?\b|days?\b|weeks?\b|months?\b|years?\b|hours?\b|percent\b|x\b)"
)
_MONEY_WORD = ascii_re(
    r"(预算|报价|价格|总价|单价|金额|合同额?|成交价?|费用|价钱|售价|价|付款|回款|budget|price|quote|deal|cost|costs"
    r"|worth|amount|total|pay|paid|invoice|for)\s*(?:is|of|:|是|为|约|大概|大约)?\s*$"
)


def _decimal(value: Decimal) -> Decimal | None:
    if value <= 0:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _number_amount(m: re.Match[str], text: str) -> tuple[int, Decimal] | None:
    """(strength, value) of a number match; strength 2 with a currency or money word, 1 with a magnitude."""
    pre, num, mag, cur = m.group("pre"), m.group("num"), m.group("mag"), m.group("cur")
    if not mag and not cur and _NOT_MONEY_AFTER.match(text, m.end()):
        return None
    if mag and not cur and _NOT_MONEY_AFTER.match(text, m.end()):
        return None
    money_word = _MONEY_WORD.search(text, max(0, m.start() - 12), m.start()) is not None
    if not (pre or cur or mag or "," in num or money_word):
        return None
    value = Decimal(num.replace(",", ""))
    if mag:
        unit = _MAGNITUDE[mag]
        value *= unit
        if m.group("tail"):
            sub = {"千": 1000, "百": 100}.get(m.group("tailmag") or "", unit // 10)
            value += int(m.group("tail")) * sub
    result = _decimal(value)
    return None if result is None else (2 if pre or cur or money_word else 1, result)


def _cn_amount(m: re.Match[str], text: str) -> tuple[int, Decimal] | None:
    num, cur = m.group("num"), m.group("cur")
    if _NOT_MONEY_AFTER.match(text, m.end()) and not cur:
        return None
    has_magnitude = any(c in num for c in "千万亿")
    if not has_magnitude and not (cur and cur != "块") and not (cur and "百" in num):
        return None
    value = cn_int(num)
    if value is None:
        return None
    money_word = _MONEY_WORD.search(text, max(0, m.start() - 12), m.start()) is not None
    result = _decimal(Decimal(value))
    return None if result is None else (2 if cur or money_word else 1, result)


def amount_in(text: str) -> Decimal | None:
    """The money amount in normalized text; the first one marked as money, else the first with a magnitude."""
    text = mask(text)
    found: list[tuple[int, int, Decimal]] = []
    for m in _AMOUNT.finditer(text):
        scored = _number_amount(m, text)
        if scored:
            found.append((scored[0], m.start(), scored[1]))
    for m in _CN_AMOUNT.finditer(text):
        scored = _cn_amount(m, text)
        if scored:
            found.append((scored[0], m.start(), scored[1]))
    if not found:
        return None
    return min(found, key=lambda f: (-f[0], f[1]))[2]


_ZHE = ascii_re(
    r"(?<![\d.])(?:打\s*个?\s*)?([1-9]\.[1-9]|[1-9]{1,2}|[一二三四五六七八九]{1,2}|[一二三四五六七八九]点[一二三四五六七八九])"
    r"\s*折(?!旧|叠|腾|合|算|返)|对折|半价"
)
_OFF_WORDS = (
    r"降价|降了|降|优惠了?|便宜了?|折扣|让利|减价|减了?|打折|(?<!至)少了?|折让|返利|"
    r"discount(?:ed)?(?:\s+(?:of|by))?|rebate(?:\s+of)?|reduced?(?:\s+by)?|cut(?:\s+by)?|markdown(?:\s+of)?|off"
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
_BARE_PERCENT = ascii_re(r"\s*-?\s*(\d{1,2}(?:\.\d+)?)\s*%\s*")


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
            return _decimal(value)
    return None
