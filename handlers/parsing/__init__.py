"""Free-text understanding: the follow-up time, money amount and discount in a chat message.

Conventions are those of PRODUCT.md, "Free-text understanding". Our own rules read Chinese and English;
dateparser is asked only about English month-name dates they leave unread. Nothing here raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from handlers.parsing.money import amount_in, discount_in
from handlers.parsing.text import normalize
from handlers.parsing.when import ambiguous_in, when_in

__all__ = ["Understood", "find_amount", "find_discount", "find_when", "is_ambiguous", "understand"]

# Longer messages are read only this far: no follow-up note needs more, and it bounds the work.
MAX_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Understood:
    """What a message says about when to follow up, how much money and what discount."""

    when: date | datetime | None = None
    amount: Decimal | None = None
    discount: Decimal | None = None
    ambiguous: bool = False  # a date was named that must be asked back ("next Friday")


def _clean(text: object) -> str:
    return normalize(text[:MAX_CHARS]) if isinstance(text, str) else ""


def find_when(text: str, now: datetime) -> date | datetime | None:
    """The follow-up date (or minute-precision datetime in now's zone) mentioned in the text, if any."""
    try:
        return when_in(_clean(text), now)
    except Exception:  # a message we cannot read must never break the chat; it just has no date
        return None


def find_amount(text: str) -> Decimal | None:
    """The money amount mentioned in the text, if any."""
    try:
        return amount_in(_clean(text))
    except Exception:  # same as find_when: unreadable means no amount
        return None


def find_discount(text: str) -> Decimal | None:
    """The discount in the text as percent off (八五折 → 15), if any."""
    try:
        return discount_in(_clean(text))
    except Exception:  # same as find_when: unreadable means no discount
        return None


def understand(text: str, now: datetime) -> Understood:
    """Everything the message says: follow-up time, amount and discount."""
    return Understood(find_when(text, now), find_amount(text), find_discount(text), is_ambiguous(text, now))


def is_ambiguous(text: str, now: datetime) -> bool:
    """Whether the text names a date the conventions say to ask back rather than guess."""
    try:
        return ambiguous_in(_clean(text), now)
    except Exception:  # unreadable means nothing to ask
        return False
