"""Deal threads: where each deal's story is told and which posted messages stand for what (tables), and the
queries every chat adapter's sender uses on them (platform is a parameter)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Index, UniqueConstraint, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

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


# --- queries: a deal's thread root, claimed by one sender at a time, and the messages linked to a key -------

CLAIM = "claim:"  # thread_ts while a sender is posting the card; a claim older than CLAIM_TTL may be taken over
CLAIM_TTL = timedelta(minutes=2)


def deal_thread(*, session: Session, deal_id: int, platform: str, workspace: str, channel: str
                ) -> DealThread | None:
    """The deal's thread in a deals channel, if the core opened one."""
    return session.exec(select(DealThread).where(
        col(DealThread.deal_id) == deal_id, col(DealThread.platform) == platform,
        col(DealThread.workspace) == workspace, col(DealThread.channel) == channel)).first()


def root_of(thread: DealThread) -> tuple[str | None, str] | None:
    """Where the thread's first message was posted (channel, message id), once it is; None before."""
    if thread.thread_ts is None or thread.thread_ts.startswith(CLAIM):
        return None
    return thread.posted_channel, thread.thread_ts


def claim_root(*, session: Session, thread_id: int, now: datetime) -> bool:
    """Take the right to post the thread's first message: False while another sender holds a fresh claim (or the
    root is posted)."""
    mark, stale = (f"{CLAIM}{t:%Y-%m-%dT%H:%M:%S}" for t in (now, now - CLAIM_TTL))
    result = session.execute(update(DealThread).where(
        col(DealThread.id) == thread_id,
        or_(col(DealThread.thread_ts).is_(None),
            col(DealThread.thread_ts).startswith(CLAIM) & (col(DealThread.thread_ts) < stale)),
    ).values(thread_ts=mark))
    return getattr(result, "rowcount", 0) == 1


def set_root(*, session: Session, thread_id: int, channel: str | None, message_id: str | None) -> None:
    """Record the posted first message (or, with None, give the claim back after a failed post)."""
    session.execute(update(DealThread).where(col(DealThread.id) == thread_id).values(
        posted_channel=channel, thread_ts=message_id))


def linked(*, session: Session, platform: str, workspace: str, key: str) -> list[MessageLink]:
    """The posted messages that stand for `key`."""
    return list(session.exec(select(MessageLink).where(
        col(MessageLink.platform) == platform, col(MessageLink.workspace) == workspace,
        col(MessageLink.key) == key)).all())


def link(*, session: Session, platform: str, workspace: str, keys: Iterable[str], chat: str, channel: str,
         message_id: str, now: datetime) -> None:
    """Remember that a posted message stands for each of `keys`."""
    for key in sorted(set(keys)):
        session.add(MessageLink(platform=platform, workspace=workspace, key=key, chat=chat, channel=channel,
                                ts=message_id, created_at=now))
