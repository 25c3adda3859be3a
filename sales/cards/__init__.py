"""Business cards (名片) read offline from a photo into company, person, title, mobile, phone, email, address.

This import is light: the OCR runtime is imported when a card is first read (or at `warm_up`).
"""

from __future__ import annotations

from sales.cards.types import FIELD_NAMES, CardFields, CardReading, Line, NotACard


def read_card(image: bytes, region: str = "CN") -> CardReading | NotACard:
    """Read a business card from a photo's bytes (JPEG, PNG, WebP; any orientation); thread-safe."""
    from sales.cards.reading import read_card as read

    return read(image, region)


def warm_up() -> None:
    """Load the OCR model now (call it in a background thread at start, so no person's turn pays for it)."""
    from sales.cards.ocr import warm_up as warm

    warm()


__all__ = ["FIELD_NAMES", "CardFields", "CardReading", "Line", "NotACard", "read_card", "warm_up"]
