"""Service figures for a period: tickets opened and resolved, median first-response and resolution hours, breaches,
per assignee and in all, each summed or ranked in the database.

PostgreSQL takes the medians with percentile_cont; SQLite has no such aggregate, so a window function ranks each
group's values and only the one or two middle rows come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, literal, or_, select, true
from sqlmodel import Session, col

from sales.analytics import Scope, days_between, within
from storage.models import Ticket, User
from storage.tickets import OPEN

ALL = -1  # the group of the whole scope's figures
NOBODY = 0  # tickets without an assignee


@dataclass(frozen=True)
class ServiceRow:
    """One assignee's figures (or the scope's, `user_id` ALL)."""

    user_id: int
    name: str
    opened: int
    resolved: int
    respond_hours: float | None  # median, wall-clock hours from opening to the first response
    resolve_hours: float | None  # median, from opening to resolution
    breaches: int  # tickets opened in the period that missed a target (or have, still open, passed one)


def tickets_in(scope: Scope, visible: ColumnElement[bool]) -> ColumnElement[bool]:
    """A WHERE clause on Ticket: the scope's tickets (by assignee, or the team's), within what the asker sees."""
    if scope.kind == "user":
        return and_(visible, col(Ticket.assignee_id) == scope.user_id)
    if scope.kind == "team":
        return and_(visible, col(Ticket.team_id) == scope.team_id)
    return and_(visible, true())


def breached(now: datetime) -> ColumnElement[bool]:
    """A ticket that missed a target: answered or resolved late, or still open past one."""
    late_answer = or_(col(Ticket.first_response_at) > col(Ticket.respond_by),
                      and_(col(Ticket.first_response_at).is_(None), col(Ticket.status).in_(OPEN),
                           col(Ticket.respond_by) <= now))
    late_fix = or_(col(Ticket.resolved_at) > col(Ticket.resolve_by),
                   and_(col(Ticket.status).in_(OPEN), col(Ticket.resolve_by) <= now))
    return or_(late_answer, late_fix)


def _medians(session: Session, values: Any) -> dict[int, float]:
    """The median of `hours` per `grp` of a subquery (grp, hours)."""
    if session.get_bind().dialect.name == "postgresql":
        q = select(values.c.grp, func.percentile_cont(0.5).within_group(values.c.hours)).group_by(values.c.grp)
        return {int(g): float(m) for g, m in session.execute(q).all() if m is not None}
    ranked = select(values.c.grp, values.c.hours,
                    func.row_number().over(partition_by=values.c.grp, order_by=values.c.hours).label("rn"),
                    func.count().over(partition_by=values.c.grp).label("n")).subquery()
    middle = or_(ranked.c.rn - 1 == cast((ranked.c.n - 1) / 2, Integer),
                 ranked.c.rn - 1 == cast(ranked.c.n / 2, Integer))
    found: dict[int, list[float]] = {}
    for g, h in session.execute(select(ranked.c.grp, ranked.c.hours).where(middle)).all():
        found.setdefault(int(g), []).append(float(h))
    return {g: sum(v) / len(v) for g, v in found.items()}


def service(session: Session, scope: Scope, visible: ColumnElement[bool], start: datetime, end: datetime,
            now: datetime) -> tuple[ServiceRow, list[ServiceRow]]:
    """The scope's figures in [start, end) and each assignee's, busiest first."""
    mine = tickets_in(scope, visible)
    who = func.coalesce(col(Ticket.assignee_id), NOBODY)
    hours = days_between(session, col(Ticket.first_response_at), col(Ticket.created_at)) * 24
    fixed = days_between(session, col(Ticket.resolved_at), col(Ticket.created_at)) * 24
    opened_in = within(Ticket.created_at, start, end)
    resolved_in = and_(within(Ticket.resolved_at, start, end), col(Ticket.resolved_at).is_not(None))
    figures = (func.count().filter(opened_in), func.count().filter(resolved_in),
               func.count().filter(and_(opened_in, breached(now))))
    counts: dict[int, list[int]] = {}
    for g, o, r, b in session.execute(select(who, *figures).where(mine, or_(opened_in, resolved_in))
                                      .group_by(who)).all():
        counts[int(g)] = [int(o), int(r), int(b)]
    if counts:
        total = session.execute(select(*figures).where(mine, or_(opened_in, resolved_in))).one()
        counts[ALL] = [int(x) for x in total]
    answered: dict[int, float] = {}
    resolved: dict[int, float] = {}
    for grp in (who, literal(ALL)):
        answered |= _medians(session, select(grp.label("grp"), hours.label("hours")).where(
            mine, opened_in, col(Ticket.first_response_at).is_not(None)).subquery())
        resolved |= _medians(session, select(grp.label("grp"), fixed.label("hours")).where(
            mine, resolved_in).subquery())
    ids = [g for g in counts if g > 0]
    names = {int(i): str(n) for i, n in session.execute(select(col(User.id), col(User.name)).where(col(User.id).in_(ids)))}

    def row(g: int) -> ServiceRow:
        o, r, b = counts.get(g, [0, 0, 0])
        return ServiceRow(g, names.get(g, ""), o, r, answered.get(g), resolved.get(g), b)

    reps = sorted((row(g) for g in counts if g != ALL), key=lambda x: (-x.opened, -x.resolved, x.name))
    return row(ALL), reps
