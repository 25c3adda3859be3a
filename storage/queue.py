"""Claiming outbox rows atomically, so several processes never send one message twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from storage.models import Outbox


def claim_outbox(
    *, session: Session, now: datetime, platforms: tuple[str, ...], limit: int = 50, lease: timedelta = timedelta(minutes=2)
) -> list[Outbox]:
    """Take up to `limit` due messages (or ones whose sender died) and lease them to the caller."""
    due = (select(col(Outbox.id))
           .where(col(Outbox.platform).in_(platforms),
                  ((col(Outbox.status) == "pending") & (col(Outbox.next_attempt_at) <= now))
                  | ((col(Outbox.status) == "sending") & (col(Outbox.lease_until) < now)))
           .order_by(col(Outbox.id)).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (update(Outbox).where(col(Outbox.id).in_(due.scalar_subquery()))
            .values(status="sending", lease_until=now + lease, attempts=col(Outbox.attempts) + 1)
            .returning(Outbox))
    rows = list(session.execute(stmt, execution_options={"synchronize_session": False}).scalars().all())
    return sorted(rows, key=lambda r: r.id or 0)


def mark_retry(*, session: Session, outbox_id: int, at: datetime, error: str, give_up: bool) -> None:
    """A message failed: try again at `at`, or give up."""
    session.execute(update(Outbox).where(col(Outbox.id) == outbox_id).values(
        status="failed" if give_up else "pending", next_attempt_at=at, error=error[:500], lease_until=None))
