"""Service tickets: opened in chat or by the web form, assigned, moved through their statuses, commented, with
first-response and resolution targets in working time; `resolve` is the one place a ticket is resolved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from sales import audit
from sales.access import MANAGERS, SELLERS, may_hand_to
from sales.errors import RuleError
from sales.names.directory import find_any_customer
from sales.reminders.calendar import Calendar
from storage import locks
from storage.models import Contact, Customer, Team, Ticket, TicketEvent, TicketTarget, User
from storage.tickets import OPEN, PRIORITIES, STATUSES

__all__ = ["OPEN", "PRIORITIES", "STATUSES"]
DEFAULT_TARGETS = {"P1": ("2h", "1d"), "P2": ("8h", "3d"), "P3": ("1d", "7d")}  # first response, resolution
WARN_SHARE = 0.75  # the assignee is reminded when this share of a target's working time has passed
MAX_PROBLEM = 4000
MAX_COMMENT = 2000
NEXT = {"new": ("in_progress", "waiting", "resolved"), "in_progress": ("waiting", "resolved"),
        "waiting": ("in_progress", "resolved"), "resolved": ("closed", "in_progress"), "closed": ()}
_SPAN = re.compile(r"^(\d{1,3}(?:\.\d{1,2})?)\s*(h|hours?|小时|d|days?|天|工作日)$", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """A target: so many working hours, or working days (a day is the team's working hours of one day)."""

    amount: float
    days: bool

    def hours(self, cal: Calendar) -> float:
        """The target in working hours in this calendar."""
        if not self.days:
            return self.amount
        day = (datetime.combine(datetime.min.date(), cal.work_end) -
               datetime.combine(datetime.min.date(), cal.work_start)).total_seconds() / 3600
        return self.amount * (day if day > 0 else 9.0)

    @property
    def text(self) -> str:
        """How it is written: 2h, 1d, 1.5d."""
        n = f"{self.amount:g}"
        return f"{n}d" if self.days else f"{n}h"


def read_span(text: str) -> Span | None:
    """A target written 2h, 8 小时, 1d, 3天, 7 工作日 (more than 0, at most 999), or None."""
    m = _SPAN.match(text.strip())
    if m is None:
        return None
    amount = float(m.group(1))
    if not 0 < amount <= 999:
        return None
    return Span(amount, m.group(2).lower()[0] not in ("h", "小"))


def targets(session: Session, team_id: int | None) -> dict[str, tuple[Span, Span]]:
    """Each priority's first-response and resolution targets for a team (the defaults where unset)."""
    out = {p: (read_span(r) or Span(2, False), read_span(s) or Span(1, True)) for p, (r, s) in DEFAULT_TARGETS.items()}
    if team_id is None:
        return out
    for row in session.exec(select(TicketTarget).where(col(TicketTarget.team_id) == team_id)).all():
        r, s = read_span(row.respond), read_span(row.resolve)
        if row.priority in out and r is not None and s is not None:
            out[row.priority] = (r, s)
    return out


def set_targets(session: Session, *, by: User, team_id: int, priority: str, respond: str, resolve: str,
                now: datetime) -> dict[str, tuple[Span, Span]]:
    """An admin sets one priority's targets for a team; new tickets follow them."""
    if by.role != "admin" or not by.active:
        raise RuleError("ticket_targets_admin")
    priority = priority.upper()
    r, s = read_span(respond), read_span(resolve)
    if priority not in PRIORITIES or r is None or s is None:
        raise RuleError("ticket_bad_target")
    row = session.exec(select(TicketTarget).where(col(TicketTarget.team_id) == team_id,
                                                  col(TicketTarget.priority) == priority)).first()
    before = {"respond": row.respond, "resolve": row.resolve} if row else None
    row = row or TicketTarget(team_id=team_id, priority=priority, respond="", resolve="", updated_at=now)
    row.respond, row.resolve, row.updated_by, row.updated_at = r.text, s.text, by.id, now
    session.add(row)
    session.flush()
    audit.record(session, by=by.id, action="update", entity="tickettarget", entity_id=row.id, now=now,
                 before=before, after={"priority": priority, "respond": r.text, "resolve": s.text})
    return targets(session, team_id)


def calendar(session: Session, team_id: int | None, default_tz: str) -> Calendar:
    """The team's working calendar (its zone, working days and hours, holidays): targets count in it."""
    team = session.get(Team, team_id) if team_id is not None else None
    return Calendar.of(team, None, default_tz)


def _place(session: Session, ticket: Ticket, start: datetime, default_tz: str) -> None:
    """The ticket's deadlines and reminder moments from `start`, in its team's working time."""
    cal = calendar(session, ticket.team_id, default_tz)
    respond, resolve = targets(session, ticket.team_id)[ticket.priority]
    rh, sh = respond.hours(cal), resolve.hours(cal)
    ticket.respond_by = cal.add_working_hours(start, rh)
    ticket.resolve_by = cal.add_working_hours(start, sh)
    ticket.respond_warn_at = cal.add_working_hours(start, rh * WARN_SHARE)
    ticket.resolve_warn_at = cal.add_working_hours(start, sh * WARN_SHARE)


def _event(session: Session, ticket: Ticket, by: User | None, kind: str, now: datetime, *,
           before: str | None = None, after: str | None = None, text: str | None = None) -> None:
    session.add(TicketEvent(ticket_id=ticket.id or 0, at=now, user_id=by.id if by else None, kind=kind,
                            before=before, after=after, text=text))


def _check_text(text: str, limit: int, code: str) -> str:
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    if not text:
        raise RuleError(code)
    if len(text) > limit:
        raise RuleError("ticket_too_long", limit=limit)
    return text


def open_ticket(
    session: Session, *, by: User | None, customer: Customer | None, problem: str, priority: str, now: datetime,
    default_tz: str = "Asia/Shanghai", team_id: int | None = None, company: str | None = None,
    person: str | None = None, phone: str | None = None, email: str | None = None, source: str = "chat",
    api_key: str | None = None, api_digest: str | None = None,
) -> Ticket:
    """Open a ticket; the customer's owner is its assignee (none for a web-form ticket that matched no customer)."""
    priority = priority.upper()
    if priority not in PRIORITIES:
        raise RuleError("ticket_bad_priority")
    if by is not None and by.role not in SELLERS:
        raise RuleError("ticket_sellers")
    problem = _check_text(problem, MAX_PROBLEM, "ticket_no_problem")
    owner = session.get(User, customer.owner_id) if customer is not None else None
    assignee = owner if owner is not None and owner.active else None
    team = customer.team_id if customer is not None and customer.team_id is not None else team_id
    if team is None and by is not None:
        team = by.team_id
    t = Ticket(team_id=team, customer_id=customer.id if customer else None, company=company, person=person,
               phone=phone, email=email, problem=problem, priority=priority, status="new",
               assignee_id=assignee.id if assignee else None, created_by=by.id if by else None, source=source,
               api_key=api_key, api_digest=api_digest, created_at=now, updated_at=now, respond_by=now,
               resolve_by=now, respond_warn_at=now, resolve_warn_at=now)
    _place(session, t, now, default_tz)
    session.add(t)
    session.flush()
    _event(session, t, by, "opened", now, after=priority)
    audit.record(session, by=by.id if by else None, action="create", entity="ticket", entity_id=t.id, now=now,
                 after={"customer_id": t.customer_id, "priority": priority, "assignee_id": t.assignee_id})
    return t


def _responded(ticket: Ticket, by: User, now: datetime) -> None:
    """The assignee's first status change or comment is the first response."""
    if ticket.first_response_at is None and by.id is not None and by.id == ticket.assignee_id:
        ticket.first_response_at = now


def _may_work(by: User) -> None:
    if not by.active or by.role not in SELLERS:
        raise RuleError("ticket_sellers")


def set_status(session: Session, *, ticket: Ticket, to: str, by: User, now: datetime) -> Ticket:
    """Move a ticket to one of its next statuses (resolving goes through `resolve`)."""
    _may_work(by)
    ticket = locks.for_update(session, ticket)
    if to not in STATUSES:
        raise RuleError("ticket_bad_status")
    if to not in NEXT.get(ticket.status, ()):
        raise RuleError("ticket_bad_move", status=ticket.status, to=to)
    if to == "resolved":
        return resolve(session, ticket=ticket, by=by, now=now)
    before = ticket.status
    _wait(session, ticket, to, now)
    ticket.status, ticket.updated_at = to, now
    if to == "closed":
        ticket.closed_at = now
    if before == "resolved" and to == "in_progress":  # reopened: its resolution no longer stands
        ticket.resolved_at = None
    _responded(ticket, by, now)
    session.add(ticket)
    _event(session, ticket, by, "status", now, before=before, after=to)
    audit.record(session, by=by.id, action="status", entity="ticket", entity_id=ticket.id, now=now,
                 before={"status": before}, after={"status": to})
    return ticket


def _wait(session: Session, ticket: Ticket, to: str, now: datetime, default_tz: str = "Asia/Shanghai") -> None:
    """Waiting for the customer stops the resolution clock: the working hours it waited move the target on."""
    if to == "waiting" and ticket.waiting_since is None:
        ticket.waiting_since = now
    elif to != "waiting" and ticket.waiting_since is not None:
        cal = calendar(session, ticket.team_id, default_tz)
        waited = cal.working_hours_between(ticket.waiting_since, now)
        if waited > 0:
            ticket.resolve_by = cal.add_working_hours(ticket.resolve_by, waited)
            ticket.resolve_warn_at = cal.add_working_hours(ticket.resolve_warn_at, waited)
        ticket.waiting_since = None


def resolve(session: Session, *, ticket: Ticket, by: User, now: datetime) -> Ticket:
    """Resolve a ticket: the one place it happens (its `resolved_at` is what a satisfaction survey hooks on)."""
    _may_work(by)
    ticket = locks.for_update(session, ticket)
    if ticket.status not in OPEN:
        raise RuleError("ticket_bad_move", status=ticket.status, to="resolved")
    before = ticket.status
    _wait(session, ticket, "resolved", now)
    ticket.status, ticket.resolved_at, ticket.updated_at = "resolved", now, now
    _responded(ticket, by, now)
    session.add(ticket)
    _event(session, ticket, by, "status", now, before=before, after="resolved")
    audit.record(session, by=by.id, action="resolve", entity="ticket", entity_id=ticket.id, now=now,
                 before={"status": before}, after={"status": "resolved"})
    return ticket


def comment(session: Session, *, ticket: Ticket, by: User, text: str, now: datetime) -> Ticket:
    """Add a comment to the ticket's history."""
    _may_work(by)
    text = _check_text(text, MAX_COMMENT, "ticket_no_comment")
    ticket = locks.for_update(session, ticket)
    ticket.updated_at = now
    _responded(ticket, by, now)
    session.add(ticket)
    _event(session, ticket, by, "comment", now, text=text)
    audit.record(session, by=by.id, action="comment", entity="ticket", entity_id=ticket.id, now=now)
    return ticket


def assign(session: Session, *, ticket: Ticket, to: User, by: User, now: datetime) -> Ticket:
    """Hand a ticket to a colleague (managers and admins)."""
    if by.role not in MANAGERS or not by.active:
        raise RuleError("ticket_assign_manager")
    if not may_hand_to(by, to):
        raise RuleError("bad_colleague", name=to.name)
    ticket = locks.for_update(session, ticket)
    if ticket.status == "closed":
        raise RuleError("ticket_closed")
    before = ticket.assignee_id
    ticket.assignee_id, ticket.updated_at = to.id, now
    session.add(ticket)
    _event(session, ticket, by, "assign", now, before=str(before) if before else None, after=str(to.id))
    audit.record(session, by=by.id, action="assign", entity="ticket", entity_id=ticket.id, now=now,
                 before={"assignee_id": before}, after={"assignee_id": to.id})
    return ticket


def set_priority(session: Session, *, ticket: Ticket, priority: str, by: User, now: datetime,
                 default_tz: str = "Asia/Shanghai") -> Ticket:
    """Change an open ticket's priority; its targets are placed again from when it was opened."""
    _may_work(by)
    priority = priority.strip().upper()
    if priority not in PRIORITIES:
        raise RuleError("ticket_bad_priority")
    ticket = locks.for_update(session, ticket)
    if ticket.status not in OPEN:
        raise RuleError("ticket_closed")
    before = ticket.priority
    if before == priority:
        return ticket
    ticket.priority, ticket.updated_at = priority, now
    _place(session, ticket, ticket.created_at, default_tz)
    session.add(ticket)
    _event(session, ticket, by, "priority", now, before=before, after=priority)
    audit.record(session, by=by.id, action="priority", entity="ticket", entity_id=ticket.id, now=now,
                 before={"priority": before}, after={"priority": priority})
    return ticket


def history(session: Session, *, ticket_id: int, limit: int = 30) -> list[TicketEvent]:
    """The ticket's last events, oldest first."""
    rows = session.exec(select(TicketEvent).where(col(TicketEvent.ticket_id) == ticket_id)
                        .order_by(col(TicketEvent.id).desc()).limit(limit)).all()
    return list(reversed(rows))


def overdue(ticket: Ticket, now: datetime) -> bool:
    """Whether a target of this open ticket has passed."""
    if ticket.status not in OPEN:
        return False
    resolve_late = ticket.status != "waiting" and ticket.resolve_by <= now  # its clock stands while it waits
    return resolve_late or (ticket.first_response_at is None and ticket.respond_by <= now)


def match_customer(session: Session, *, company: str, phone: str | None, email: str | None,
                   region: str = "CN") -> Customer | None:
    """The one customer a web-form ticket is about, by the duplicate rules (same phone or email of a contact, or a
    company name that is the same company); None when nothing or more than one matches."""
    from sales import imports  # its readers import phonenumbers and the spreadsheet libraries: only here

    found: set[int] = set()
    conds = []
    if phone:
        normal, flagged = imports.read_phone(phone, region)
        conds.append(col(Contact.phone) == (phone if flagged else normal))
    if email:
        normal, flagged = imports.read_email(email)
        conds.append(col(Contact.email) == (email if flagged else normal))
    if conds:
        found |= {int(c) for c in session.exec(select(Contact.customer_id).where(or_(*conds)).limit(5)).all()}
    if not found:
        found |= {c.id for c in find_any_customer(session, name=company)}
    if len(found) != 1:
        return None
    return session.get(Customer, found.pop())


def moments(ticket: Ticket) -> list[tuple[str, datetime, datetime]]:
    """(what, warn moment, deadline) of the targets still running: first response, resolution."""
    out = []
    if ticket.status in OPEN and ticket.first_response_at is None:
        out.append(("respond", ticket.respond_warn_at, ticket.respond_by))
    if ticket.status in OPEN and ticket.status != "waiting":
        out.append(("resolve", ticket.resolve_warn_at, ticket.resolve_by))
    return out


CATCH_UP = timedelta(days=7)  # a target missed longer ago than this is no longer reminded
