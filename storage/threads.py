"""Tables of deal threads: where each deal's story is told, and which posted messages stand for what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class DealThread(SQLModel, table=True):
    """The thread of a deal in a team's deals channel; thread_ts is known once its card is posted."""

    __tablename__ = "dealthread"
    __table_args__ = (UniqueConstraint("deal_id", "platform", "workspace", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    platform: str
    workspace: str
    channel: str  # the deals channel as configured (an id, or a name the platform resolves)
    posted_channel: str | None = None  # the channel id the card went to
    thread_ts: str | None = None  # the card's message id: later events reply to it
    created_at: datetime = Field(sa_type=UTCDateTime)


class MessageLink(SQLModel, table=True):
    """A posted message that stands for something (e.g. "ap:12", an approval request), to edit it later."""

    __tablename__ = "messagelink"
    __table_args__ = (Index("ix_messagelink_key", "platform", "workspace", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    workspace: str
    key: str
    chat: str  # the chat the message was addressed to
    channel: str  # the channel it landed in
    ts: str  # the platform's message id
    created_at: datetime = Field(sa_type=UTCDateTime)
