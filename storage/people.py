"""Tables of people: teams, users, their chat identities and invites."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import Money, UTCDateTime


class Team(SQLModel, table=True):
    """A sales team with its working hours and follow-up cadence."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    tz: str = "Asia/Shanghai"
    digest_time: str = "08:30"
    cadence_a_days: int = 7
    cadence_b_days: int = 14
    cadence_c_days: int = 30
    deals_channel: str | None = None  # the channel of deal threads, "threads:platform:workspace:chat"
    deals_room: str | None = None  # where stage moves are posted, "platform:workspace:chat[:thread]" (0007)
    # Working calendar and the team chat (migration 0002): ISO weekdays 1-7, HH:MM, space-separated dates.
    work_days: str = "12345"
    work_start: str = "09:00"
    work_end: str = "18:00"
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    holidays: str = ""
    extra_workdays: str = ""  # weekend days worked instead of a holiday (调休)
    chat_platform: str | None = None  # where the team digest goes; unset: to the team's managers
    chat_workspace: str | None = None
    chat_id: str | None = None
    currency: str = Field(default="CNY", max_length=3, sa_column_kwargs={"server_default": "CNY"})  # (0008)
    # What one unit of another currency is worth in the team's, set by an admin: "USD=7.10 EUR=7.75" (0008).
    fx_rates: str = Field(default="", sa_column_kwargs={"server_default": ""})
    # Care (migration 0009_care): each grade's touches beside the contact cadence above, "A:exec=30 B:product=91
    # C:news=30" ("" is the seed table), and the months without an order or activity after which a buyer churned.
    care_plan: str = Field(default="", sa_column_kwargs={"server_default": ""})
    churn_months: int = Field(default=12, sa_column_kwargs={"server_default": "12"})
    created_at: datetime = Field(sa_type=UTCDateTime)


class User(SQLModel, table=True):
    """A person of the company, with a role and a discount limit."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    name: str
    role: str = "rep"  # rep | manager | finance | admin
    lang: str | None = None
    tz: str | None = None
    discount_limit: Decimal = Field(default=Decimal("10"), sa_type=Money)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)


class ChatIdentity(SQLModel, table=True):
    """A chat account (Slack, Telegram, console) bound to a user."""

    __table_args__ = (UniqueConstraint("platform", "workspace", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    workspace: str
    external_id: str
    chat: str | None = None  # the private chat to reach this person in
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A one-time code that binds a chat account to a new user."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    role: str
    name: str | None = None
    team_id: int | None = Field(default=None, foreign_key="team.id")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by: int | None = Field(default=None, foreign_key="user.id")
    # A link code (migration 0008_links): it binds another platform's account to this existing person.
    user_id: int | None = Field(default=None, foreign_key="user.id")
