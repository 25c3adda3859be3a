"""Amounts and counts typed as a command's argument (/deal new, /quote lines, /paid, /target, /won).

In an argument a bare number is an amount ("500000"), unlike in a note where it needs a mark; otherwise the
conventions are find_money's: 12万8, 1.5亿, 1.2M USD, $10,000, 500000元. Nothing here raises.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation

from handlers.parsing.money import Money, money_in
from handlers.parsing.quantities import quantities_in
from handlers.parsing.text import ascii_re, clip, normalize_mapped, whole

_BARE = ascii_re(r"\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,15}(?:\.\d+)?)\s*")
_NEGATIVE = re.compile(r"\s*[-−]\s*\S")
_LEAST_BARE = 100  # a bare number ending a title counts as its amount from 100 up


def _moved(found: Money, origin: list[int]) -> Money:
    return dataclasses.replace(found, start=origin[found.start], end=origin[found.end])


def read_amount(text: str) -> Money | None:
    """The amount when the whole text is one (a bare number counts): 500000, 12万8, $10,000, 1.2M USD."""
    try:
        raw = clip(text)
        clean, origin = normalize_mapped(raw)
        bare = _BARE.fullmatch(clean)
        if bare:
            value = whole(Decimal(bare.group(1).replace(",", "")))
            return None if value is None else Money(value, None, origin[bare.start(1)], origin[bare.end(1)])
        found = money_in(clean)
    except (InvalidOperation, ValueError, IndexError):
        return None
    if found is None or clean[: found.start].strip() or clean[found.end :].strip():
        return None
    return _moved(found, origin)


def is_negative(text: str) -> bool:
    """Whether an argument is a number below zero (-5, −3万): refused as such, not as unreadable."""
    t = clip(text)
    return bool(_NEGATIVE.match(t)) and (read_amount(t.strip().lstrip("-−")) is not None)


def is_zero(text: str) -> bool:
    """Whether an argument is the number zero (0, 0.00, ¥0)."""
    t = clip(text).strip().lstrip("¥$€£").strip()
    try:
        return bool(re.fullmatch(r"[0.,]+", t)) and Decimal(t.replace(",", "") or "x") == 0
    except InvalidOperation:
        return False


def split_amount(text: str) -> tuple[str, Money | None]:
    """A title and its amount: "二期扩产 12万8" → ("二期扩产", 128,000); the amount may stand anywhere, marked
    (¥, 元, USD, a magnitude) or as the last of several words (a bare one from 100 up: "Phase 2" is a title); no
    amount: the text as it was."""
    try:
        raw = clip(text)
        clean, origin = normalize_mapped(raw)
        found = money_in(clean)
    except (IndexError, ValueError):
        return text.strip(), None
    if found is not None:
        money = _moved(found, origin)
        rest = raw[: money.start] + " " + raw[money.end :]
        return " ".join(rest.split()).strip(" ,，;；:："), money
    words = raw.split()
    if len(words) > 1:
        last = read_amount(words[-1])
        if last is not None and (last.currency or last.amount >= _LEAST_BARE):  # "Phase 2" is a title
            return " ".join(words[:-1]), dataclasses.replace(last, start=raw.rindex(words[-1]), end=len(raw.rstrip()))
    return " ".join(words), None


def read_count(text: str) -> Decimal | None:
    """A count when the whole text is one: 50, 2.5, 50台, 30 units, 三台, 1万."""
    try:
        raw = clip(text)
        clean, _ = normalize_mapped(raw)
        bare = _BARE.fullmatch(clean)
        if bare:
            return whole(Decimal(bare.group(1).replace(",", "")))
        found = quantities_in(clean.strip())
    except (InvalidOperation, ValueError, IndexError):
        return None
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(clean.strip()):
        return whole(Decimal(found[0].count))
    return None
