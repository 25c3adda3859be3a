"""What reading a business card gives: the text lines seen, and the card's fields or why it is not a card."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text as the OCR saw it: the box is (left, top, right, bottom) in the upright, deskewed card."""

    text: str
    box: tuple[float, float, float, float]
    score: float

    @property
    def height(self) -> float:
        """The box's height, the font size seen."""
        return self.box[3] - self.box[1]

    @property
    def middle(self) -> float:
        """The box's vertical middle."""
        return (self.box[1] + self.box[3]) / 2


@dataclass(frozen=True, slots=True)
class CardFields:
    """The fields of a card; None when the card does not show one. The mobile is in E.164; the phone as dialled
    in China (021-21535642, 400-820-8820), or E.164 when it is abroad; sales.customers.normalize_phone makes
    either E.164."""

    company: str | None = None
    person: str | None = None
    title: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The fields by name, for a form or JSON."""
        return {name: getattr(self, name) for name in FIELD_NAMES}


FIELD_NAMES = ("company", "person", "title", "mobile", "phone", "email", "address")


@dataclass(frozen=True, slots=True)
class CardReading:
    """A business card read: its fields, the lines they came from, and how sure the reading is (0 to 1)."""

    fields: CardFields
    lines: tuple[Line, ...]
    confidence: float


@dataclass(frozen=True, slots=True)
class NotACard:
    """A picture that is not a business card (or not readable as one), with a reason code."""

    reason: str  # not_an_image, no_text, too_much_text, receipt, prose, no_contact, no_name
