"""The durable inbox: every webhook update is a row before the platform gets its 200, handled once, in order
per chat.

A row is stored (`store`, `INSERT … ON CONFLICT DO NOTHING`: a platform's retry of a stored update is a no-op)
and committed before the web endpoint answers. Any process then claims it (`claim_inbox`): only the oldest
unfinished row of each chat is claimable, so one chat's updates are handled one at a time, in the order they
arrived, while chats go side by side. A claim is a lease (`claimed_by`, `lease_until`) that its holder extends
while it works (`extend_inbox`); a process that dies stops extending, and after the lease another process (or
the same one restarted) takes the row over. The core's `processedevent` row, written in the transaction of the
turn's effects, makes a second handling of the same update change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Executable, Index, Table, UniqueConstraint, and_, delete, func, or_, select, update
from sqlmodel import Field, Session, SQLModel

from storage.types import UTCDateTime

DEFAULT_LEASE = timedelta(seconds=60)
OPEN = ("pending", "working")


class InboxEntry(SQLModel, table=True):
    """One inbound update (a Telegram update, a Slack event), kept from its acknowledgement until handled."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("platform", "event_key", name="uq_inbox_event"),
                      Index("ix_inbox_status_chat", "status", "chat_key", "id"))
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    event_key: str  # the platform's id of the update: a retry of a stored one is not stored twice
    chat_key: str  # one chat's updates are handled in order, one at a time
    payload: str  # the body as received, JSON (ASCII)
    status: str = "pending"  # pending | working | done | failed
    claimed_by: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    received_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


_T: Table = getattr(InboxEntry, "__table__")  # noqa: B009  (Core statements: no ORM objects per row)


@dataclass(frozen=True, slots=True)
class Claimed:
    """An inbox row this process holds until its lease ends."""

    id: int
    platform: str
    chat_key: str
    payload: str
    attempts: int


def store(*, session: Session, platform: str, event_key: str, chat_key: str, payload: str, now: datetime) -> bool:
    """Keep one update; False when it was stored before (a platform's retry)."""
    values = {"platform": platform, "event_key": event_key[:200], "chat_key": chat_key[:200], "payload": payload,
              "status": "pending", "attempts": 0, "received_at": now}
    stmt: Executable
    if session.get_bind().dialect.name == "postgresql":  # each dialect's module loaded only where it runs
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(_T).values(**values).on_conflict_do_nothing(index_elements=["platform", "event_key"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(_T).values(**values).on_conflict_do_nothing(index_elements=["platform", "event_key"])
    return bool(getattr(session.execute(stmt), "rowcount", 0))


def claim_inbox(*, session: Session, now: datetime, worker: str, platforms: Sequence[str], limit: int = 20,
                lease: timedelta = DEFAULT_LEASE) -> list[Claimed]:
    """Take the oldest unfinished row of up to `limit` chats, when it is pending or its claimer's lease ended."""
    heads = (select(func.min(_T.c.id)).where(_T.c.status.in_(OPEN), _T.c.platform.in_(list(platforms)))
             .group_by(_T.c.platform, _T.c.chat_key))
    claimable = or_(_T.c.status == "pending", and_(_T.c.status == "working", _T.c.lease_until < now))
    due = select(_T.c.id).where(_T.c.id.in_(heads.scalar_subquery()), claimable).order_by(_T.c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # The claimable test is repeated on the row itself: PostgreSQL re-checks it on the newest version of a row
    # another claimer changed meanwhile, so two claimers never both take it.
    stmt = (update(_T).where(_T.c.id.in_(due.scalar_subquery()), claimable)
            .values(status="working", claimed_by=worker, lease_until=now + lease, attempts=_T.c.attempts + 1)
            .returning(_T.c.id, _T.c.platform, _T.c.chat_key, _T.c.payload, _T.c.attempts))
    rows = [Claimed(*r) for r in session.execute(stmt).all()]
    return sorted(rows, key=lambda r: r.id)


def extend_inbox(*, session: Session, ids: Sequence[int], worker: str, until: datetime) -> set[int]:
    """Extend our claims on `ids` (a long turn); the ids still ours."""
    if not ids:
        return set()
    stmt = (update(_T).where(_T.c.id.in_(list(ids)), _T.c.status == "working", _T.c.claimed_by == worker)
            .values(lease_until=until).returning(_T.c.id))
    return set(session.execute(stmt).scalars().all())


def finish_inbox(*, session: Session, entry_id: int, worker: str, now: datetime, failed: bool = False) -> bool:
    """Mark our claimed row handled (or failed for good); False when the claim was no longer ours."""
    stmt = (update(_T).where(_T.c.id == entry_id, _T.c.status == "working", _T.c.claimed_by == worker)
            .values(status="failed" if failed else "done", done_at=now, lease_until=None))
    return bool(getattr(session.execute(stmt), "rowcount", 0))


def release_inbox(*, session: Session, worker: str, ids: Sequence[int] | None = None) -> int:
    """Give back rows `worker` holds (a graceful stop, a database error): claimable again at once."""
    stmt = update(_T).where(_T.c.status == "working", _T.c.claimed_by == worker)
    if ids is not None:
        stmt = stmt.where(_T.c.id.in_(list(ids)))
    result = session.execute(stmt.values(status="pending", claimed_by=None, lease_until=None))
    return int(getattr(result, "rowcount", 0) or 0)


def prune_inbox(*, session: Session, before: datetime) -> int:
    """Forget handled rows finished before `before` (the core's processedevent still refuses their repeats)."""
    result = session.execute(delete(_T).where(_T.c.status.in_(("done", "failed")), _T.c.done_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def waiting(*, session: Session) -> int:
    """How many updates are stored and not yet handled."""
    return int(session.execute(select(func.count()).select_from(_T).where(_T.c.status.in_(OPEN))).scalar_one())
