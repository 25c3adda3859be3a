"""Tables of the people and companies sold to: customers, contacts, leads."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.types import Money, UTCDateTime


class Customer(SQLModel, table=True):
    """A company the team sells to."""

    __table_args__ = (Index("ix_customer_owner_name", "owner_id", "name_key"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    name: str
    name_key: str = Field(index=True)
    pinyin: str = ""
    initials: str = ""
    industry: str | None = None
    size: str | None = None
    source: str | None = None
    grade: str = "B"
    tags: str = ""  # space-separated, each without '#'
    owner_id: int = Field(foreign_key="user.id")  # indexed by ix_customer_owner_name
    needs: str | None = None
    status: str = "active"
    last_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    past_revenue: Decimal | None = Field(default=None, sa_type=Money)  # 历史合作金额, from imports
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CustomerShare(SQLModel, table=True):
    """A customer shared with a rep who does not own it."""

    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)


class Contact(SQLModel, table=True):
    """A person at a customer."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    name: str
    title: str | None = None
    phone: str | None = Field(default=None, index=True)  # E.164 when valid, else as typed
    email: str | None = Field(default=None, index=True)
    consent_basis: str = "contract"
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retention_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    flags: str = ""  # space-separated fields kept as typed that failed validation (phone, email)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # PIPL (migration 0005): how consent was given, and when the daily job found it past retention.
    consent_channel: str | None = None
    retention_flagged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Business cards (migration 0008): the desk phone beside `phone` (the mobile when known), and the address.
    landline: str | None = None
    address: str | None = None


class Lead(SQLModel, table=True):
    """A raw inbound interest, before it becomes a customer."""

    __table_args__ = (Index("ix_lead_status_score", "status", "score"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    company: str
    company_key: str = Field(default="", index=True)
    person: str | None = None
    phone: str | None = Field(default=None, index=True)
    email: str | None = Field(default=None, index=True)
    source: str | None = None
    budget: str | None = None
    score: int = 0
    status: str = "new"  # new | MQL | SQL | converted | disqualified
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    consent_basis: str = "consent"
    size: str | None = None
    engagement: int = 0  # inbound touches: form posts, replies, repeat enquiries
    flags: str = ""
    note: str | None = None  # the disqualification reason, or what the enquiry said
    customer_id: int | None = Field(default=None, foreign_key="customer.id")  # after qualify
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    touched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the owner's last action on it
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # PIPL (migration 0005): the legal basis's time and channel, the retention date, the daily job's flag.
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consent_channel: str | None = None
    retention_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retention_flagged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    added_by: int | None = Field(default=None, index=True)  # the user who added it (migration 0009_lists19)
