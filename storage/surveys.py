"""Satisfaction surveys: a link's token (stored hashed), what it rates, and the customer's answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Survey(SQLModel, table=True):
    """One survey link for one customer: single-use, expiring; its answer (score 1-5, comment) when given."""

    __table_args__ = (Index("ix_survey_customer_answered", "customer_id", "answered_at"),
                      Index("ix_survey_owner_answered", "owner_id", "answered_at"),
                      {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)  # SHA-256 of the link's token: the token itself is never stored
    customer_id: int = Field(foreign_key="customer.id")  # indexed by ix_survey_customer_answered
    subject_kind: str  # ticket | order | customer (the customer's service as a whole)
    subject_id: int | None = None  # the ticket's or order's id
    owner_id: int = Field(foreign_key="user.id")  # who is told of a low score; indexed by ix_survey_owner_answered
    created_by: int | None = Field(default=None, foreign_key="user.id")
    lang: str | None = None  # the page's language (zh, en): the customer's, as the rep last gave it
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    score: int | None = None  # 1-5
    comment: str | None = None
