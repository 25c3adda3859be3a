"""Claiming outbox rows atomically, so several processes never send one message twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from storage.models import Outbox


def claim_outbox(
    *, session: Session, now: datetime, platforms: tuple[str, ...], limit: int = 50, lease: timedelta = timedelta(minutes=2),
    worker: str | None = None,
) -> list[Outbox]:
    """Take up to `limit` due messages (or ones whose sender died) and lease them to the caller (`worker`)."""
    due = (select(col(Outbox.id))
           .where(col(Outbox.platform).in_(platforms),
                  ((col(Outbox.status) == "pending") & (col(Outbox.next_attempt_at) <= now))
                  | ((col(Outbox.status) == "sending") & (col(Outbox.lease_until) < now)))
           .order_by(col(Outbox.id)).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (update(Outbox).where(col(Outbox.id).in_(due.scalar_subquery()))
            .values(status="sending", lease_until=now + lease, attempts=col(Outbox.attempts) + 1, claimed_by=worker)
            .returning(Outbox))
    rows = list(session.execute(stmt, execution_options={"synchronize_session": False}).scalars().all())
    return sorted(rows, key=lambda r: r.id or 0)


def mark_retry(*, session: Session, outbox_id: int, at: datetime, error: str, give_up: bool,
               worker: str | None = None) -> None:
    """A message failed: try again at `at`, or give up (only while `worker`'s claim holds, when given)."""
    stmt = update(Outbox).where(col(Outbox.id) == outbox_id)
    if worker is not None:
        stmt = stmt.where(col(Outbox.status) == "sending", col(Outbox.claimed_by) == worker)
    session.execute(stmt.values(status="failed" if give_up else "pending", next_attempt_at=at, error=error[:500],
                                lease_until=None))


def extend_outbox(*, session: Session, ids: list[int], worker: str, until: datetime) -> set[int]:
    """Extend `worker`'s claims on `ids` (a paced batch outlasting its lease); the ids still ours."""
    if not ids:
        return set()
    stmt = (update(Outbox).where(col(Outbox.id).in_(ids), col(Outbox.status) == "sending",
                                 col(Outbox.claimed_by) == worker)
            .values(lease_until=until).returning(col(Outbox.id)))
    return set(session.execute(stmt, execution_options={"synchronize_session": False}).scalars().all())


def release_outbox(*, session: Session, ids: list[int], worker: str) -> int:
    """Give back claimed rows not sent (a stopping worker): due again at once, the claim's attempt not counted."""
    if not ids:
        return 0
    stmt = (update(Outbox).where(col(Outbox.id).in_(ids), col(Outbox.status) == "sending",
                                 col(Outbox.claimed_by) == worker)
            .values(status="pending", lease_until=None, claimed_by=None, attempts=col(Outbox.attempts) - 1))
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)
