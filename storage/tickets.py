"""Service tickets: a customer's problem with its priority, assignee, status, targets and history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

STATUSES = ("new", "in_progress", "waiting", "resolved", "closed")
OPEN = ("new", "in_progress", "waiting")
PRIORITIES = ("P1", "P2", "P3")


class Ticket(SQLModel, table=True):
    """A customer's problem, from a rep in chat or from the web form (the API)."""

    __table_args__ = (Index("ix_ticket_status_assignee", "status", "assignee_id"),
                      {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)  # None: not matched
    company: str | None = None  # as the web form gave it (kept when it matched no customer)
    person: str | None = None  # who reported it (web form)
    phone: str | None = None
    email: str | None = None
    problem: str
    priority: str = "P3"  # P1 | P2 | P3
    status: str = "new"  # new | in_progress | waiting | resolved | closed
    assignee_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")  # None: the web form
    source: str = "chat"  # chat | api
    api_key: str | None = Field(default=None, unique=True)  # the web form's Idempotency-Key
    api_digest: str | None = None  # what was posted under that key (a hash): another body under it is refused
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # Targets in working time, fixed when the ticket is opened (or its priority changes).
    respond_by: datetime = Field(sa_type=UTCDateTime)
    resolve_by: datetime = Field(sa_type=UTCDateTime)
    respond_warn_at: datetime = Field(sa_type=UTCDateTime)  # the assignee is reminded from here
    resolve_warn_at: datetime = Field(sa_type=UTCDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the assignee's first act
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    waiting_since: datetime | None = Field(default=None, sa_type=UTCDateTime)  # waiting for the customer: clock stands
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TicketEvent(SQLModel, table=True):
    """One line of a ticket's history: opened, a status change, a comment, a new assignee."""

    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="user.id")  # None: the web form
    kind: str  # opened | status | comment | assign | priority
    before: str | None = None
    after: str | None = None
    text: str | None = None  # a comment


class TicketTarget(SQLModel, table=True):
    """A team's first-response and resolution targets for one priority ("2h", "1d": working hours or days)."""

    __table_args__ = (UniqueConstraint("team_id", "priority"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    priority: str
    respond: str
    resolve: str
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(sa_type=UTCDateTime)
