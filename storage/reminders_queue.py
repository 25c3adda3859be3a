"""Claiming due reminders atomically with a lease, finishing them, and releasing a stopping process's claims.

A claim is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING` on PostgreSQL (the same
without the lock clause on SQLite, where writers are serialized). A claim whose lease ended (its process
died) is due again and another process takes it over; finishing checks the claim is still ours, so a
process that lost its lease while it worked writes nothing for those reminders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, or_, select, update
from sqlmodel import Session, col

from storage.models import Reminder

DEFAULT_LEASE = timedelta(seconds=60)
_T: Table = getattr(Reminder, "__table__")  # noqa: B009  (Core statements: no ORM objects per claimed row)


@dataclass(frozen=True, slots=True)
class Claim:
    """A reminder this process holds until its lease ends."""

    id: int
    kind: str
    dedupe_key: str
    due_at: datetime
    user_id: int | None
    payload: str


def claim_reminders(
    *, session: Session, now: datetime, worker: str, limit: int = 500, lease: timedelta = DEFAULT_LEASE,
) -> list[Claim]:
    """Take up to `limit` due reminders (or ones whose claimer's lease ended) for `worker`, oldest first."""
    due = (select(_T.c.id)
           .where(or_((_T.c.status == "pending") & (_T.c.due_at <= now),
                      (_T.c.status == "claimed") & (_T.c.lease_until < now)))
           .order_by(_T.c.due_at, _T.c.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (update(_T).where(_T.c.id.in_(due.scalar_subquery()))
            .values(status="claimed", claimed_by=worker, lease_until=now + lease)
            .returning(_T.c.id, _T.c.kind, _T.c.dedupe_key, _T.c.due_at, _T.c.user_id, _T.c.payload))
    rows = [Claim(*r) for r in session.execute(stmt).all()]
    return sorted(rows, key=lambda r: (r.due_at, r.id))


def finish_reminders(*, session: Session, ids: Sequence[int], worker: str, status: str) -> set[int]:
    """Mark our claimed reminders `status` (done or cancelled); the ids that were still ours."""
    if not ids:
        return set()
    stmt = (update(Reminder)
            .where(col(Reminder.id).in_(list(ids)), col(Reminder.status) == "claimed",
                   col(Reminder.claimed_by) == worker)
            .values(status=status, lease_until=None)
            .returning(col(Reminder.id)))
    return set(session.execute(stmt, execution_options={"synchronize_session": False}).scalars().all())


def defer_reminder(*, session: Session, reminder_id: int, worker: str, until: datetime) -> bool:
    """Put one of our claimed reminders back, due at `until` (its reader may not be told now)."""
    stmt = (update(_T).where(_T.c.id == reminder_id, _T.c.status == "claimed", _T.c.claimed_by == worker)
            .values(status="pending", due_at=until, claimed_by=None, lease_until=None))
    return bool(getattr(session.execute(stmt), "rowcount", 0))


def release_reminders(*, session: Session, worker: str) -> int:
    """Give back every reminder `worker` still holds (a graceful stop): due again at once for others."""
    stmt = (update(Reminder).where(col(Reminder.status) == "claimed", col(Reminder.claimed_by) == worker)
            .values(status="pending", claimed_by=None, lease_until=None))
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)
