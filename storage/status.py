"""What an operator asks of the database: backlog, due reminders, the clock's last sweep."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from storage.models import Counter, Outbox, Reminder

LAST_SWEEP = "clock.last_sweep"


def ping(*, session: Session) -> None:
    """A round trip to the database; raises when it cannot be reached."""
    session.execute(text("SELECT 1"))


def outbox_backlog(*, session: Session) -> int:
    """Messages waiting to be delivered."""
    q = select(func.count()).select_from(Outbox).where(col(Outbox.status).in_(("pending", "sending")))
    return int(session.execute(q).scalar_one())


def reminders_due(*, session: Session, now: datetime) -> int:
    """Reminders due and not yet claimed."""
    q = select(func.count()).select_from(Reminder).where(col(Reminder.status) == "pending",
                                                         col(Reminder.due_at) <= now)
    return int(session.execute(q).scalar_one())


def mark_sweep(*, session: Session, now: datetime) -> None:
    """Record that a clock sweep finished at `now`."""
    row = session.get(Counter, LAST_SWEEP)
    if row is None:
        session.add(Counter(name=LAST_SWEEP, value=int(now.timestamp())))
    else:
        row.value = int(now.timestamp())
        session.add(row)


def last_sweep(*, session: Session) -> datetime | None:
    """When a clock sweep last finished, in any process."""
    row = session.get(Counter, LAST_SWEEP)
    return datetime.fromtimestamp(row.value, UTC) if row is not None and row.value else None
