"""Tables of caring for customers after the sale: contacts' birthdays and key dates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class KeyDate(SQLModel, table=True):
    """A contact's birthday or other date to remember every year (签约纪念日), reminded to the customer's owner."""

    __table_args__ = (Index("ix_keydate_month_day", "month", "day"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE", index=True)  # goes with its contact
    kind: str = "birthday"  # birthday | date
    label: str = ""  # what the date is (a birthday has none)
    month: int
    day: int
    year: int | None = None  # when it was given (a birth year), else None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
