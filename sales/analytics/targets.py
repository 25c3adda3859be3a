"""Sales targets per rep or team and period, and how far the won revenue has come towards them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, true
from sqlmodel import Session, col, select

from sales import audit
from sales.analytics import Scope, deals_in, dec, owned, within
from sales.errors import RuleError
from storage.models import Deal, Target, Team, User


def may_set(by: User, *, user: User | None = None, team_id: int | None = None) -> bool:
    """Managers set targets in their own team, admins anywhere."""
    if by.role == "admin":
        return True
    team = user.team_id if user is not None else team_id
    return by.role == "manager" and team is not None and team == by.team_id


def set_target(
    session: Session, *, by: User, period_key: str, amount: Decimal, now: datetime,
    user: User | None = None, team_id: int | None = None, currency: str = "CNY",
) -> Target:
    """Set (or replace) the target of a rep, or of a team when no rep is given, for a period."""
    if not may_set(by, user=user, team_id=team_id):
        raise RuleError("not_allowed")
    if amount <= 0:
        raise RuleError("amount_not_positive")
    whose = (col(Target.user_id) == user.id) if user is not None else \
        and_(col(Target.user_id).is_(None), col(Target.team_id) == team_id)
    target = session.exec(select(Target).where(whose, col(Target.period) == period_key)).first()
    before = {"amount": target.amount} if target is not None else None
    if target is None:
        target = Target(user_id=user.id if user else None, team_id=user.team_id if user else team_id,
                        period=period_key, amount=amount, currency=currency)
    target.amount, target.currency = amount, currency
    session.add(target)
    session.flush()
    audit.record(session, by=by.id, action="update" if before else "create", entity="target", entity_id=target.id,
                 now=now, before=before, after={"user_id": target.user_id, "team_id": target.team_id,
                                                "period": period_key, "amount": amount,
                                                "currency": currency})
    return target


def _targets_in(scope: Scope) -> ColumnElement[bool]:
    """A WHERE on Target: rep targets of the scope's people, and team targets of its team (all: every team)."""
    of_people = owned(Target.user_id, scope)
    if scope.kind == "user":
        return of_people
    teams = col(Target.team_id) == scope.team_id if scope.kind == "team" else true()
    return or_(of_people, and_(col(Target.user_id).is_(None), teams))


@dataclass(frozen=True)
class TargetRow:
    """A target against the revenue won towards it."""

    name: str
    team: bool
    target: Decimal
    actual: Decimal

    @property
    def gap(self) -> Decimal:
        """What is still to win (never below zero)."""
        return max(self.target - self.actual, Decimal("0.00"))

    @property
    def share(self) -> float | None:
        """actual / target."""
        return float(self.actual / self.target) if self.target else None


def targets(session: Session, scope: Scope, period_key: str, start: datetime, end: datetime,
            value: Any = None) -> list[TargetRow]:
    """Every target of the period in the scope, teams first, with the revenue won in [start, end)."""
    rows = session.execute(select(col(Target.user_id), col(Target.team_id), col(Target.amount))
                           .where(_targets_in(scope), col(Target.period) == period_key)).all()
    won = and_(deals_in(scope), col(Deal.stage) == "won", within(Deal.closed_at, start, end))
    per_user = dict(session.execute(select(col(Deal.owner_id), func.sum(col(Deal.amount) if value is None else value))
                                    .where(won).group_by(col(Deal.owner_id))).all())
    teams = dict(session.execute(select(col(User.id), col(User.team_id)).where(col(User.id).in_(per_user))).all())
    per_team: dict[int | None, Decimal] = {}
    for owner, amount in per_user.items():  # a handful of sums, one per person
        per_team[teams.get(owner)] = per_team.get(teams.get(owner), Decimal(0)) + dec(amount)
    user_names = dict(session.execute(select(col(User.id), col(User.name)).where(
        col(User.id).in_({u for u, _, _ in rows if u is not None}))).all())
    team_names = dict(session.execute(select(col(Team.id), col(Team.name)).where(
        col(Team.id).in_({t for u, t, _ in rows if u is None}))).all())
    out = [TargetRow(team_names.get(t, "?"), True, dec(a), dec(per_team.get(t))) for u, t, a in rows if u is None]
    out.sort(key=lambda r: r.name)
    mine = [TargetRow(user_names.get(u, "?"), False, dec(a), dec(per_user.get(u))) for u, _, a in rows
            if u is not None]
    return out + sorted(mine, key=lambda r: (-(r.share or 0), r.name))


def target_total(session: Session, scope: Scope, period_key: str) -> Decimal | None:
    """The scope's target for a period: the rep's, the team's (else its reps' sum), or all teams' together."""
    rows = session.execute(select(col(Target.user_id), col(Target.amount))
                           .where(_targets_in(scope), col(Target.period) == period_key)).all()
    teams = [dec(a) for u, a in rows if u is None]
    people = [dec(a) for u, a in rows if u is not None]
    picked = teams or people
    return sum(picked, Decimal("0.00")) if picked else None

