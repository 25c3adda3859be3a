"""Tables of the pipeline: stages, deals and their moves, activities, follow-ups."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.types import Money, UTCDateTime


class Stage(SQLModel, table=True):
    """A pipeline stage, configurable by an admin."""

    key: str = Field(primary_key=True)
    name_zh: str
    name_en: str
    probability: int
    position: int
    closed: bool = False
    # Working days a deal may stay here before its owner is told (won: days from signing to the first payment);
    # None: no target (0009).
    target_days: int | None = None


class Deal(SQLModel, table=True):
    """An opportunity with a customer, moving through the stages."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    title: str
    amount: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = Field(default="CNY", max_length=3, sa_column_kwargs={"server_default": "CNY"})  # ISO 4217 (0008)
    stage: str = Field(default="prospect", foreign_key="stage.key", index=True)
    probability: int = 10
    expected_close: date | None = None
    owner_id: int = Field(foreign_key="user.id", index=True)
    lost_reason: str | None = None
    budget: str | None = None
    decision_maker: str | None = None
    timeline: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StageChange(SQLModel, table=True):
    """One move of a deal, with who made it and when."""

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    from_stage: str | None = None
    to_stage: str
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(sa_type=UTCDateTime)


class Activity(SQLModel, table=True):
    """A logged visit, call, email, meeting or note."""

    __table_args__ = (Index("ix_activity_customer_at", "customer_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str  # visit | call | email | meeting | note
    at: datetime = Field(sa_type=UTCDateTime)
    duration_min: int | None = None
    summary: str
    feedback: str | None = None
    next_step: str | None = None
    amount: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = Field(default="CNY", max_length=3, sa_column_kwargs={"server_default": "CNY"})  # ISO 4217 (0008)
    lat: float | None = None
    lon: float | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)


class FollowUp(SQLModel, table=True):
    """Something a rep must do for a customer by a time."""

    __table_args__ = (Index("ix_followup_owner_status_due", "owner_id", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    owner_id: int = Field(foreign_key="user.id")
    due_at: datetime = Field(sa_type=UTCDateTime)
    has_time: bool = False
    what: str
    reason: str = "activity"  # activity | cadence | manual
    activity_id: int | None = Field(default=None, foreign_key="activity.id")
    status: str = "open"  # open | done | cancelled
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
