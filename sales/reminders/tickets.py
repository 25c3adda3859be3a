"""Service tickets' targets: the assignee reminded before a breach, the team's managers told at it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from sales.reminders import People, _row, epoch
from storage.models import Customer, Ticket
from storage.tickets import OPEN

if TYPE_CHECKING:
    from sales.reminders.due import Due

KINDS = ("ticket.warn", "ticket.breach")
CATCH_UP_DAYS = 7  # a target missed longer ago than this is no longer told


def _readers(people: People, team_id: int | None, assignee: int | None, breach: bool) -> list[int]:
    """Who hears of it: before a breach the assignee, at it the team's managers (admins when it has none); a ticket
    with nobody to act on it goes to the managers before the breach too."""
    if not breach and people.active(assignee) is not None:
        return [assignee or 0]
    managers = [m.id or 0 for m in people.managers(team_id)]
    return managers or [u.id or 0 for u in people.users.values() if u.active and u.role == "admin"]


def ticket_rows(session: Session, people: People, now: datetime) -> list[dict[str, Any]]:
    """Open tickets whose warning moment or target has come: a reminder, or the breach, once each."""
    since = now - timedelta(days=CATCH_UP_DAYS)
    q = select(Ticket).where(col(Ticket.status).in_(OPEN), or_(
        and_(col(Ticket.first_response_at).is_(None), col(Ticket.respond_warn_at) <= now,
             col(Ticket.respond_by) > since),
        and_(col(Ticket.resolve_warn_at) <= now, col(Ticket.resolve_by) > since)))
    rows = []
    for t in session.execute(q).scalars():
        targets = [] if t.status == "waiting" else [("resolve", t.resolve_warn_at, t.resolve_by)]
        if t.first_response_at is None:
            targets.insert(0, ("respond", t.respond_warn_at, t.respond_by))
        for what, warn, by in targets:
            if since < by <= now:
                kind, at = "ticket.breach", by
            elif warn <= now < by:
                kind, at = "ticket.warn", warn
            else:
                continue
            readers = _readers(people, t.team_id, t.assignee_id, kind == "ticket.breach")
            to_assignee = kind == "ticket.warn" and readers == [t.assignee_id]
            stage = "breach" if kind == "ticket.breach" else "warn"
            for uid in readers:
                # The assignee's warning is one whoever holds the ticket when it is sent (a reassignment
                # passes it on); the managers' are one each.
                key = f"tk:{t.id}:{what}:{stage}:{'a' if to_assignee else uid}:{epoch(by)}"
                rows.append(_row(kind, key, people.calendar(uid).after_quiet(at), uid,
                                 {"ticket": t.id, "what": what, "by": epoch(by),
                                  "to": "assignee" if to_assignee else "manager"}, now))
    return rows


def resolve_ticket(session: Session, d: Due, people: People, now: datetime) -> None:
    """Whether a ticket reminder still holds (open, the target not met nor moved) and who reads it now."""
    t = session.get(Ticket, int(d.data.get("ticket", 0) or 0))
    d.ticket = t
    what = d.data.get("what")
    if t is None or t.status not in OPEN:
        d.drop = "ticket resolved or closed"
        return
    by = t.respond_by if what == "respond" else t.resolve_by
    if what == "respond" and t.first_response_at is not None:
        d.drop = "ticket answered"
    elif epoch(by) != d.data.get("by"):
        d.drop = "ticket target moved"
    elif what == "resolve" and t.status == "waiting":
        d.drop = "ticket waiting for the customer"
    elif d.reminder.kind == "ticket.warn" and by <= now:
        d.drop = "ticket target passed"  # the breach is told instead
    elif d.reminder.kind == "ticket.warn" and d.data.get("to") == "assignee":
        d.user = people.active(t.assignee_id) or people.active(d.reminder.user_id)
    else:
        d.user = people.active(d.reminder.user_id)
    d.customer = session.get(Customer, t.customer_id) if t.customer_id is not None else None
