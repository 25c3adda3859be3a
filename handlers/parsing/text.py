"""Text normalization, Chinese numerals and masking shared by the free-text parsers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Span:
    """Where something was read: [start, end) of the text."""

    start: int
    end: int


def ascii_re(pattern: str) -> re.Pattern[str]:
    """Compile with ASCII \\b, \\d and \\s: a CJK character next to an English word is a boundary."""
    return re.compile(pattern, re.ASCII)


# Traditional forms of the characters the rules look for.
_TRADITIONAL = str.maketrans(
    {
        "後": "后", "週": "周", "號": "号", "點": "点", "兩": "两", "個": "个", "鐘": "钟",
        "萬": "万", "億": "亿", "禮": "礼", "時": "时", "圓": "元", "塊": "块", "臺": "台",
        "對": "对", "優": "优", "讓": "让", "價": "价", "預": "预", "滿": "满", "際": "际",
        "隻": "只", "張": "张", "條": "条", "輛": "辆", "間": "间", "麼": "么", "還": "还",
        "過": "过", "內": "内", "開": "开", "聯": "联", "繫": "系", "這": "这", "團": "团",
        "減": "减", "錢": "钱", "筆": "笔",
    }
)
# Longer messages are read only this far: no note needs more, and it bounds the work.
MAX_CHARS = 20_000


def clip(text: object) -> str:
    """The part of a message the readers look at; "" for anything that is not text."""
    return text[:MAX_CHARS] if isinstance(text, str) else ""


_CONTROL = ascii_re(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff\ud800-\udfff]+")
_SPACES = ascii_re(r"[ \t\u00a0\u3000]+")


def normalize(text: str) -> str:
    """Fold width, case, traditional characters and control characters into one plain form."""
    return normalize_mapped(text)[0]


def _fold(ch: str, case: bool) -> str:
    if _CONTROL.fullmatch(ch):
        return " "
    folded = unicodedata.normalize("NFKC", ch)
    folded = (folded.lower() if case else folded).translate(_TRADITIONAL)
    return " " if _SPACES.fullmatch(folded) else folded


def normalize_mapped(text: str, fold_case: bool = True) -> tuple[str, list[int]]:
    """The normalized text and, for each of its characters (and its end), the index it came from in `text`."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = (ch.lower() if fold_case else ch) if " " < ch < "\x7f" else _fold(ch, fold_case)
        for piece in folded:
            if piece == " " and out and out[-1] == " ":
                continue  # runs of spaces are one space
            out.append(piece)
            origin.append(i)
    origin.append(len(text))
    return "".join(out), origin


def whole(value: Decimal) -> Decimal | None:
    """A positive number without trailing zeros or exponent (30000, 1200.5); None when not positive."""
    if value <= 0:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


_DIGIT_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_SMALL_UNIT = {"十": 10, "百": 100, "千": 1000}
_TOKEN = re.compile(r"\d+|.", re.S | re.ASCII)


def cn_int(s: str) -> int | None:
    """Value of a Chinese (or mixed Arabic) integer numeral such as 两千五, 十二万八, 12万8."""
    if not s or len(s) > 20:
        return None
    if s.isascii():
        return int(s) if s.isdigit() else None
    for big, mult in (("亿", 10**8), ("万", 10**4)):
        if big in s:
            left, right = s.split(big, 1)
            left_value = cn_int(left) if left else 1
            if left_value is None:
                return None
            if not right:
                return left_value * mult
            if right[0] in "零〇":
                right_value = cn_int(right.lstrip("零〇"))
            elif (len(right) == 1 and right in _DIGIT_VALUE) or (right.isascii() and len(right) == 1):
                # colloquial: 十二万八 is 128,000, 一亿五 is 150,000,000
                right_value = (cn_int(right) or 0) * mult // 10
            else:
                right_value = cn_int(right)
            return None if right_value is None else left_value * mult + right_value
    return _small_int(s)


def _small_int(s: str) -> int | None:
    if all(c in _DIGIT_VALUE for c in s):
        return int("".join(str(_DIGIT_VALUE[c]) for c in s))
    total, number, last, after_zero = 0, None, 0, False
    for token in _TOKEN.findall(s):
        if token.isdigit() and token.isascii():
            if number is not None:
                return None
            number = int(token)
        elif token in _DIGIT_VALUE:
            if _DIGIT_VALUE[token] == 0:
                after_zero = True
                continue
            if number is not None:
                return None
            number = _DIGIT_VALUE[token]
        elif token in _SMALL_UNIT:
            unit = _SMALL_UNIT[token]
            if last and unit >= last:
                return None
            total += (1 if number is None else number) * unit
            number, last, after_zero = None, unit, False
        else:
            return None
    if number is not None:
        # colloquial: 两千五 is 2,500, 三百五 is 350; 一百零五 is 105
        total += number * (last // 10) if last > 10 and not after_zero else number
    return total


def to_int(s: str) -> int | None:
    """Integer value of an Arabic or Chinese numeral; None when it is not one."""
    return int(s) if s.isascii() and s.isdigit() else cn_int(s)


# A run of digits with the separators phone numbers use; judged by _phone_like.
_PHONE_CANDIDATE = ascii_re(
    r"(?<![\da-z])(?<!\d[.,:/])\+?(?:\(\d{1,4}\)[ -]?)?\d+(?:[ -]\d+){0,5}(?!\d|[.,:/]\d)"
)
_DATE_SHAPE = ascii_re(r"\d{4}[ -]\d{1,2}[ -]\d{1,2}(?:[ -].*)?|\d{1,2}-\d{1,2}(?:-\d{2,4})?")
# Tokens that mix letters and digits; the suffixes listed are numbers with a unit, not model numbers.
_ALNUM = ascii_re(r"(?<![a-z0-9])[a-z0-9]+(?![a-z0-9])")
_NUMBER_WITH_SUFFIX = ascii_re(
    r"\d+(?:st|nd|rd|th|am|pm|k|m|w|bn|mn|mil|hrs?|h|d|days?|wks?|weeks?|mos?|months?|yrs?|years?"
    r"|mins?|minutes?|hours?|usd|rmb|cny|yuan|units?|pcs|pc|x|s|a|p|[a-z]{3,})"
)


# A currency code written against its number (RMB300k, USD500) is money, not a model number.
_CODE_AMOUNT = ascii_re(r"(?:rmb|cny|usd|eur|gbp|hkd|jpy)\d+(?:k|m|w|mn|bn)?")


def _phone_like(m: re.Match[str]) -> bool:
    s = m.group()
    digits = sum(c.isdigit() for c in s)
    if digits >= 13:
        return True
    if digits < 7 or _DATE_SHAPE.fullmatch(s):
        return False
    plain = s.isdigit()
    return not plain or s.startswith("+") or s[0] == "0" or (digits == 11 and s[0] == "1")


def _blank(s: str) -> str:
    # the same length, so spans found in masked text are spans of the text
    return " " + "#" * (len(s) - 2) + " " if len(s) > 2 else "#" * len(s)


def mask(text: str) -> str:
    """Blank out phone numbers and model numbers (X200) so no rule reads a date or amount in them."""
    text = _PHONE_CANDIDATE.sub(lambda m: _blank(m.group()) if _phone_like(m) else m.group(), text)

    def model(m: re.Match[str]) -> str:
        s = m.group()
        plain = s.isdigit() or s.isalpha() or _NUMBER_WITH_SUFFIX.fullmatch(s) or _CODE_AMOUNT.fullmatch(s)
        return s if plain else _blank(s)

    return _ALNUM.sub(model, text)
