"""Customer satisfaction: the average score of answered surveys, by month and per rep, within a scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from sales.analytics import Scope, owned, within
from storage.models import Survey, User


@dataclass(frozen=True)
class MonthScore:
    """One month's answers: how many, their average (None when none), how many low."""

    start: date
    answers: int
    average: float | None
    low: int


@dataclass(frozen=True)
class RepScore:
    """One owner's answers in the period."""

    user_id: int
    name: str
    answers: int
    average: float
    low: int


@dataclass(frozen=True)
class Csat:
    """The period's figures."""

    answers: int
    average: float | None
    low: int
    months: list[MonthScore]
    reps: list[RepScore]
    offered: int  # links made in the period


def csat(session: Session, scope: Scope, start: datetime, end: datetime, tz: ZoneInfo, *, now: datetime,
         low: int = 2) -> Csat:
    """Answers given in [start, end): average, count, by local month (up to now's) and per owner; months without
    answers kept."""
    where = and_(owned(Survey.owner_id, scope), within(Survey.answered_at, start, end))
    rows = session.exec(select(col(Survey.answered_at), col(Survey.score), col(Survey.owner_id)).where(where)).all()
    offered = int(session.exec(select(func.count()).select_from(Survey).where(
        owned(Survey.owner_id, scope), within(Survey.created_at, start, end))).one())
    by_month: dict[date, list[int]] = {}
    by_rep: dict[int, list[int]] = {}
    for at, score, owner in rows:
        if at is None or score is None:
            continue
        local = at.astimezone(tz).date().replace(day=1)
        by_month.setdefault(local, []).append(score)
        by_rep.setdefault(owner, []).append(score)
    months = []
    first, last = start.astimezone(tz).date().replace(day=1), min(end, max(now, start)).astimezone(tz).date()
    m = first
    while m < last or m == first:
        scores = by_month.get(m, [])
        months.append(MonthScore(m, len(scores), sum(scores) / len(scores) if scores else None,
                                 sum(s <= low for s in scores)))
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    names = {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_(list(by_rep)))).all()}
    reps = sorted((RepScore(uid, names.get(uid, "?"), len(s), sum(s) / len(s), sum(x <= low for x in s))
                   for uid, s in by_rep.items()), key=lambda r: (-r.average, -r.answers, r.name))
    scores = [x for rep in by_rep.values() for x in rep]
    return Csat(len(scores), sum(scores) / len(scores) if scores else None, sum(s <= low for s in scores),
                months, reps, offered)
