"""Money amounts with their currency: 30万, 12万8, ¥30,000, $45k, 1.2M USD, 20,000欧元."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from handlers.parsing.quantities import quantities_in
from handlers.parsing.text import ascii_re, cn_int, mask, whole


@dataclass(frozen=True, slots=True)
class Money:
    """An amount read from text: a positive Decimal, its currency code (None when unmarked) and its span."""

    amount: Decimal
    currency: str | None
    start: int
    end: int


_MAGNITUDE = {
    "万亿": 10**12, "亿": 10**8, "千万": 10**7, "百万": 10**6, "万": 10**4, "千": 10**3, "w": 10**4, "k": 10**3,
    "m": 10**6, "mn": 10**6, "mil": 10**6, "million": 10**6, "thousand": 10**3, "bn": 10**9, "billion": 10**9,
}
CURRENCIES = {
    "¥": "CNY", "元": "CNY", "块": "CNY", "块钱": "CNY", "人民币": "CNY", "rmb": "CNY", "cny": "CNY", "yuan": "CNY",
    "$": "USD", "us$": "USD", "usd": "USD", "美元": "USD", "美金": "USD", "刀": "USD", "dollar": "USD",
    "dollars": "USD", "bucks": "USD", "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "欧元": "EUR",
    "£": "GBP", "gbp": "GBP", "英镑": "GBP", "hk$": "HKD", "hkd": "HKD", "港币": "HKD", "港元": "HKD",
    "jpy": "JPY", "日元": "JPY",
}
_PRE = r"(?P<pre>us\$|hk\$|[¥$€£]|rmb|cny|usd|eur|gbp|hkd|jpy|人民币)?"
_POST = (
    r"(?P<cur>元|块钱?|人民币|美元|美金|欧元|英镑|港币|港元|日元|刀(?!片|具)|rmb\b|cny\b|usd\b|eur\b|gbp\b|hkd\b|jpy\b"
    r"|dollars?\b|bucks\b|yuan\b|euros?\b|[¥$€£])?"
)
_AMOUNT = ascii_re(
    _PRE + r"\s*(?<![\d.,])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,15}(?:\.\d+)?)(?!\d|\.\d)"
    r"\s*(?:(?P<mag>万亿|千万|百万|亿|万|千|million|thousand|billion|mil|mn|bn|k|m|w)(?![a-z])"
    r"(?P<tail>\d(?!\d|[.,]\d))?(?P<tailmag>千|百)?)?\s*" + _POST
)
_CN_AMOUNT = ascii_re(
    r"(?<![几数多上近十百千万亿零〇一二两三四五六七八九])(?P<num>[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*)"
    r"\s*" + _POST
)
# After the number: a count, a percentage, a date or time unit, a discount: not money.
NOT_MONEY_AFTER = ascii_re(
    r"\s*(?:台|个|件|套|只|支|部|人|位|名|家|次|箱|张|本|条|辆|间|份|盒|瓶|包|批|吨|公斤|千克|斤|米|平|层|年|月|日|号|天|周|"
    r"小时|分钟|点|时|%|折|倍|成|组|把|片|颗|根|桶|袋|卷|架|座|栋|副|双|对|枚|粒|托|柜|款|期|岁|级|楼|"
    r"units?\b|pcs\b|pieces?\b|seats?\b|licen[cs]es?\b|users?\b|sets?\b|boxes\b|machines?\b|devices?\b|"
    r"people\b|persons?\b|employees\b|items?\b|days?\b|weeks?\b|months?\b|years?\b|hours?\b|percent\b|x\b|kg\b|"
    r"tons?\b|meters?\b)"
)
_MONEY_WORD = ascii_re(
    r"(预算|报价|价格|总价|单价|金额|合同额?|成交价?|费用|价钱|售价|价|付款|回款|首付|尾款|定金|订金|货款|总额|"
    r"budget|price|priced|quote|quoted|deal|cost|costs|worth|amount|total|pay|paid|invoice|for)"
    r"\s*(?:每[台套个件箱吨米份本把只支部张条]|一[台套个件])?\s*(?:is|of|:|是|为|约|大概|大约|在|只有|有)?\s*$"
)


def _currency(*marks: str | None) -> str | None:
    for mark in marks:
        if mark:
            return CURRENCIES.get(mark.strip())
    return None


def _number_amount(m: re.Match[str], text: str, counts: set[int]) -> tuple[int, Decimal, str | None] | None:
    """(strength, value, currency) of a number; strength 2 with a currency or money word, 1 with a magnitude."""
    pre, num, mag, cur = m.group("pre"), m.group("num"), m.group("mag"), m.group("cur")
    if not cur and (NOT_MONEY_AFTER.match(text, m.end()) or m.start("num") in counts):
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
    result = whole(value)
    return None if result is None else (2 if pre or cur or money_word else 1, result, _currency(pre, cur))


def _cn_amount(m: re.Match[str], text: str, counts: set[int]) -> tuple[int, Decimal, str | None] | None:
    num, cur = m.group("num"), m.group("cur")
    if not cur and (NOT_MONEY_AFTER.match(text, m.end()) or m.start("num") in counts):
        return None
    has_magnitude = any(c in num for c in "千万亿")
    if not has_magnitude and not (cur and cur != "块") and not (cur and "百" in num):
        return None
    value = cn_int(num)
    if value is None:
        return None
    money_word = _MONEY_WORD.search(text, max(0, m.start() - 12), m.start()) is not None
    result = whole(Decimal(value))
    return None if result is None else (2 if cur or money_word else 1, result, _currency(cur))


def moneys_in(text: str) -> list[tuple[int, Money]]:
    """Every amount in normalized text with its strength (2 marked as money, 1 a bare magnitude), in text order."""
    text = mask(text)
    counts = {q.start for q in quantities_in(text)}  # a quantity is never an amount: 75 monitors
    found: list[tuple[int, Money]] = []
    for pattern, read in ((_AMOUNT, _number_amount), (_CN_AMOUNT, _cn_amount)):
        for m in pattern.finditer(text):
            scored = read(m, text, counts)
            if scored:
                start = m.start("pre") if m.groupdict().get("pre") else m.start("num")
                end = m.end() - (len(m.group()) - len(m.group().rstrip()))
                found.append((scored[0], Money(scored[1], scored[2], start, end)))
    return sorted(found, key=lambda f: f[1].start)


def money_in(text: str) -> Money | None:
    """The amount in normalized text: the first one marked as money, else the first with a magnitude."""
    found = moneys_in(text)
    return min(found, key=lambda f: (-f[0], f[1].start))[1] if found else None


def amount_in(text: str) -> Decimal | None:
    """The money amount in normalized text, without its currency."""
    found = money_in(text)
    return None if found is None else found.amount
