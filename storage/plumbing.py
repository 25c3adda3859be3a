"""Tables that keep the machinery's state: dialogues, events, outbox, reminders, audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Conversation(SQLModel, table=True):
    """A dialogue in progress for one person in one chat."""

    __table_args__ = (UniqueConstraint("platform", "workspace", "chat", "user"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    workspace: str
    chat: str
    user: str
    flow: str
    step: str = ""
    data: str = "{}"  # JSON
    version: int = 0
    expires_at: datetime = Field(sa_type=UTCDateTime)


class ProcessedEvent(SQLModel, table=True):
    """An inbound event already handled: its repeat changes nothing."""

    key: str = Field(primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)


class Outbox(SQLModel, table=True):
    """A message to deliver to someone other than the current sender."""

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    workspace: str
    chat: str
    thread: str | None = None
    user_id: int | None = Field(default=None, foreign_key="user.id")
    payload: str  # JSON of a Reply
    status: str = "pending"  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = None  # the delivering process while status is sending
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = None


class Reminder(SQLModel, table=True):
    """A reminder due at a time, created once however often it is computed."""

    __table_args__ = (Index("ix_reminder_status_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    dedupe_key: str = Field(unique=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    payload: str = "{}"
    status: str = "pending"  # pending | claimed | done | cancelled
    claimed_by: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class AuditLog(SQLModel, table=True):
    """An append-only record of a change: who, when, what, before and after."""

    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    action: str
    entity: str
    entity_id: int | None = None
    before: str | None = None  # JSON
    after: str | None = None  # JSON


class ActionToken(SQLModel, table=True):
    """A button payload too long for Telegram's 64 bytes, kept under an unguessable key, for the person it was
    shown to, until it expires."""

    __table_args__ = (Index("ix_actiontoken_key", "key", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    key: str | None = None  # secrets.token_urlsafe: the button carries "tok:KEY"
    user_id: int | None = Field(default=None, foreign_key="user.id")  # who may press it (None: whoever may)
    payload: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Counter(SQLModel, table=True):
    """A named counter other processes can watch, e.g. the customer-name version."""

    name: str = Field(primary_key=True)
    value: int = 0
