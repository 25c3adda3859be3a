"""Business cards scanned in chat: what the OCR read and the photo, until the rep saves or dismisses it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

UNDECIDED, SAVED, DISMISSED = "undecided", "saved", "dismissed"


class CardScan(SQLModel, table=True):
    """One photo of a business card read in chat. The image is personal data: kept with the contact once saved
    (`contact_id`), dropped when dismissed, and the whole row forgotten when left undecided (the clock)."""

    __table_args__ = (Index("ix_cardscan_state_created", "state", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)  # who scanned it
    platform: str
    workspace: str
    chat: str
    reading: str = "{}"  # JSON: the fields as read, then as edited (sales.cards.FIELD_NAMES), and the confidence
    image: bytes | None = Field(default=None, sa_type=LargeBinary)
    mime: str = "image/jpeg"
    state: str = UNDECIDED  # undecided | saved | dismissed
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
