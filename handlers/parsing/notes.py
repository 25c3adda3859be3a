"""A whole visit, call or note read at once: person, title, quantity, money, discount and the follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from handlers.parsing.calendar import AMBIGUOUS
from handlers.parsing.discounts import discount_in
from handlers.parsing.money import money_in
from handlers.parsing.people import people_in
from handlers.parsing.quantities import Quantity, quantity_in
from handlers.parsing.text import ascii_re, clip, normalize_mapped
from handlers.parsing.titles import title_for, titles_in
from handlers.parsing.when import follow_up, moments

_CLAUSE_END = ascii_re(r"[，,。;；!！?？\n]")


@dataclass(frozen=True, slots=True)
class NoteReading:
    """What a note says; a field the note does not state is None (nothing is guessed)."""

    person: str | None = None  # the customer-side person named first, as written: 张总, Linda Chen
    title: str | None = None  # that person's job title, or a title named alone
    quantity: Quantity | None = None  # a count of goods with its unit: 50 台, 30 units
    amount: Decimal | None = None  # the first money amount
    currency: str | None = None  # the amount's currency; the team's when the note marks none
    discount: Decimal | None = None  # percent off
    when: date | datetime | None = None  # the follow-up
    ambiguous: bool = False  # the follow-up is an English "next Friday", to be asked back


def read_note(text: str, now: datetime, currency: str = "CNY") -> NoteReading:
    """Read a note per PRODUCT.md "Reading a whole note"; `currency` is the team's, for unmarked amounts."""
    try:
        return reading(clip(text), now, currency)
    except Exception:  # a note we cannot read is logged all the same, with nothing understood
        return NoteReading()


def reading(text: str, now: datetime, currency: str = "CNY") -> NoteReading:
    """read_note without its safety net: what the property tests run, so no rule relies on it."""
    folded, origin = normalize_mapped(text)
    kept, kept_origin = normalize_mapped(text, fold_case=False)
    # 工程总监 is a title, not a 程总监
    inside = titles_in(kept, [])
    people = [p for p in people_in(kept) if not any(t.start <= p.start < t.end for t in inside)]
    person = people[0] if people else None
    clause = _CLAUSE_END.search(kept, person.end) if person else None
    title = title_for(kept, person, titles_in(kept, people), clause.start() if clause else len(kept), people)
    money = money_in(folded)
    picked = follow_up(folded, moments(folded, now))
    ambiguous = picked is not None and picked.status == AMBIGUOUS
    quantity = quantity_in(folded)
    return NoteReading(
        person=None if person is None else text[kept_origin[person.start] : kept_origin[person.end]].strip(),
        title=None if title is None else text[kept_origin[title.start] : kept_origin[title.end]].strip(),
        quantity=None if quantity is None else Quantity(
            quantity.count, quantity.unit, origin[quantity.start], origin[quantity.end]
        ),
        amount=None if money is None else money.amount,
        currency=None if money is None else money.currency or currency,
        discount=discount_in(folded),
        when=None if picked is None or ambiguous else picked.value,
        ambiguous=ambiguous,
    )
