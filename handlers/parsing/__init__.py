"""Free-text understanding: times, money with its currency, discounts, quantities, plans and whole notes.

Conventions are those of PRODUCT.md, "Free-text understanding". Our own rules read Chinese and English;
dateparser is asked only about English month-name dates they leave unread. Nothing here raises.
Spans (`Money.start`, `Quantity.end`...) index the text the caller gave.

Several times in one message: the follow-up is the one a follow-up word goes with (再跟进, call back), else the last
one named. With prefer="past" (a payment received, 昨天拜访) find_when reads the first date named as the latest such
day up to today when the text names no year ("12月1日" on 8 December is 1 December); a future date is returned as
read, for the caller to refuse.

The readers of times, notes, plans and discounts (a few hundred regular expressions, a tenth of a second of CPU)
are imported at their first use: every process imports this package at its start (the amounts of a command's
arguments come from `amounts.py`), and a serving process imports them in its warm-up (`handlers/warm.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import import_module
from typing import TYPE_CHECKING, TypeVar

from handlers.parsing.money import Money, money_in
from handlers.parsing.quantities import Quantity, quantity_in
from handlers.parsing.text import clip, normalize, normalize_mapped

if TYPE_CHECKING:
    from handlers.parsing.notes import NoteReading, read_note
    from handlers.parsing.plans import Installment, PlanReading, read_plan
    from handlers.parsing.when import Prefer

__all__ = [
    "Installment",
    "Money",
    "NoteReading",
    "PlanReading",
    "Quantity",
    "Understood",
    "find_amount",
    "find_date",
    "find_discount",
    "find_money",
    "find_quantity",
    "find_when",
    "is_ambiguous",
    "read_note",
    "read_plan",
    "understand",
]


_Found = TypeVar("_Found", Money, Quantity)
_LATER = {"NoteReading": "notes", "read_note": "notes", "Installment": "plans", "PlanReading": "plans",
          "read_plan": "plans"}


def __getattr__(name: str) -> object:
    """`read_note`, `read_plan` and their types, from their modules at the first use (module __getattr__)."""
    if name not in _LATER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_LATER[name]}"), name)
    globals()[name] = value
    return value


@dataclass(frozen=True, slots=True)
class Understood:
    """What a message says about when to follow up, how much money and what discount."""

    when: date | datetime | None = None
    amount: Decimal | None = None
    discount: Decimal | None = None
    ambiguous: bool = False  # a date was named that must be asked back ("next Friday")
    currency: str | None = None  # of the amount; None when unmarked (the team's currency applies)


def find_when(text: str, now: datetime, prefer: Prefer = "future") -> date | datetime | None:
    """The follow-up date (or minute-precision datetime in now's zone) in the text; prefer="past": the date named."""
    from handlers.parsing.when import when_in

    try:
        return when_in(normalize(clip(text)), now, prefer)
    except Exception:  # a message we cannot read must never break the chat; it just has no date
        return None


def find_date(text: str, now: datetime, prefer: Prefer = "future") -> date | None:
    """The day `find_when` reads, without its time of day."""
    found = find_when(text, now, prefer)
    return found.date() if isinstance(found, datetime) else found


def _spanned(read: Callable[[str], _Found | None], text: str) -> _Found | None:
    """What `read` finds in the normalized text, its span moved back onto `text`."""
    try:
        clean, origin = normalize_mapped(clip(text))
        found = read(clean)
    except Exception:  # same as find_when: unreadable means nothing found
        return None
    return None if found is None else dataclasses.replace(found, start=origin[found.start], end=origin[found.end])


def find_money(text: str) -> Money | None:
    """The money amount in the text with its currency (None when unmarked) and its span in `text`."""
    return _spanned(money_in, text)


def find_amount(text: str) -> Decimal | None:
    """The money amount mentioned in the text, if any."""
    found = find_money(text)
    return None if found is None else found.amount


def find_discount(text: str) -> Decimal | None:
    """The discount in the text as percent off (八五折 → 15), if any."""
    from handlers.parsing.discounts import discount_in

    try:
        return discount_in(normalize(clip(text)))
    except Exception:  # same as find_when: unreadable means no discount
        return None


def find_quantity(text: str) -> Quantity | None:
    """The count of goods in the text (50台, 30 units) with its span in `text`."""
    return _spanned(quantity_in, text)


def understand(text: str, now: datetime) -> Understood:
    """Everything the message says: follow-up time, amount and its currency, discount."""
    money = find_money(text)
    return Understood(
        find_when(text, now),
        None if money is None else money.amount,
        find_discount(text),
        is_ambiguous(text, now),
        None if money is None else money.currency,
    )


def is_ambiguous(text: str, now: datetime) -> bool:
    """Whether the text names a date the conventions say to ask back rather than guess."""
    from handlers.parsing.when import ambiguous_in

    try:
        return ambiguous_in(normalize(clip(text)), now)
    except Exception:  # unreadable means nothing to ask
        return False
