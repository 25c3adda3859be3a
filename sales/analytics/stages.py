"""How long deals sit in each stage: median and p90 days, from the stage history, in SQL.

A stay in a stage runs from the move into it to the deal's next move (LEAD over the deal's history);
a period holds the stays that ended in it. PostgreSQL takes the percentiles with percentile_cont;
SQLite has no such aggregate, so a window function ranks each stage's stays and only the one or two
rows percentile_cont would interpolate between come back to Python.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, cast, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from sales import pipeline
from sales.analytics import Scope, days_between, deals_in, of_deals_in, within
from sales.reminders.calendar import Calendar
from sales.reminders.stalls import day_of_stay
from storage.models import Deal, Stage, StageChange

QUANTILES = (0.5, 0.9)


@dataclass(frozen=True)
class StageTime:
    """Completed stays in a stage: how many, and the median and p90 of their days."""

    stage: Stage
    stays: int
    median: float
    p90: float


def stage_times(session: Session, scope: Scope, start: datetime, end: datetime) -> list[StageTime]:
    """Median and p90 days in each open stage over the stays that ended in [start, end)."""
    if session.get_bind().dialect.name == "postgresql":
        stays = _stays_by_lead(session, scope, start, end)
        q = (select(stays.c.stage, func.count(),
                    *[func.percentile_cont(p).within_group(stays.c.days) for p in QUANTILES])
             .group_by(stays.c.stage))
        found = {k: (int(n), float(m), float(p9)) for k, n, m, p9 in session.execute(q).all()}
    else:
        found = _sqlite_percentiles(session, _stays_by_previous(session, scope, start, end))
    return [StageTime(s, *found[s.key]) for s in pipeline.stages(session) if not s.closed and s.key in found]


def _stays_by_lead(session: Session, scope: Scope, start: datetime, end: datetime) -> Any:
    """(stage, days) of each stay ending in the period: every move paired with the deal's next by LEAD."""
    any_move = aliased(StageChange)
    moved = select(col(any_move.deal_id)).where(within(any_move.at, start, end))
    history = (select(col(StageChange.to_stage).label("stage"), col(StageChange.at).label("at"),
                      func.lead(col(StageChange.at)).over(partition_by=col(StageChange.deal_id),
                                                          order_by=(col(StageChange.at), col(StageChange.id)))
                      .label("left_at"))
               .where(of_deals_in(StageChange.deal_id, scope), col(StageChange.deal_id).in_(moved)).subquery())
    return (select(history.c.stage, days_between(session, history.c.left_at, history.c.at).label("days"))
            .where(within(history.c.left_at, start, end)).subquery())


def _stays_by_previous(session: Session, scope: Scope, start: datetime, end: datetime) -> Any:
    """The same stays, each move in the period paired with the deal's move before it (an index lookup).

    SQLite sorts the whole history for LEAD; this is the same pairing at about half the cost there.
    """
    left, before, entered = aliased(StageChange), aliased(StageChange), aliased(StageChange)
    previous = (select(col(before.id)).where(col(before.deal_id) == col(left.deal_id),
                                             or_(col(before.at) < col(left.at),
                                                 and_(col(before.at) == col(left.at), col(before.id) < col(left.id))))
                .order_by(col(before.at).desc(), col(before.id).desc()).limit(1).correlate(left).scalar_subquery())
    return (select(col(entered.to_stage).label("stage"), days_between(session, col(left.at), col(entered.at)).label("days"))
            .select_from(left).join(entered, col(entered.id) == previous)
            .where(within(left.at, start, end), of_deals_in(left.deal_id, scope)).subquery())


def _sqlite_percentiles(session: Session, stays: Any) -> dict[str, tuple[int, float, float]]:
    """percentile_cont over each stage's stays, from the ranked rows it interpolates between."""
    ranked = select(stays.c.stage, stays.c.days,
                    func.row_number().over(partition_by=stays.c.stage, order_by=stays.c.days).label("rn"),
                    func.count().over(partition_by=stays.c.stage).label("n")).subquery()
    # percentile_cont(p) lies between the rows ranked floor(p·(n−1))+1 and the one after it.
    wanted = [ranked.c.rn - 1 == cast((ranked.c.n - 1) * p, Integer) + k for p in QUANTILES for k in (0, 1)]
    rows = session.execute(select(ranked.c.stage, ranked.c.n, ranked.c.rn, ranked.c.days).where(or_(*wanted))).all()
    by_stage: dict[str, tuple[int, dict[int, float]]] = {}
    for stage, n, rn, days in rows:
        by_stage.setdefault(stage, (int(n), {}))[1][int(rn) - 1] = float(days)
    return {stage: (n, _interpolate(vals, n, QUANTILES[0]), _interpolate(vals, n, QUANTILES[1]))
            for stage, (n, vals) in by_stage.items()}


def _interpolate(values: dict[int, float], n: int, p: float) -> float:
    pos = p * (n - 1)
    lo = math.floor(pos)
    if lo + 1 >= n or pos == lo:
        return values[lo]
    return values[lo] + (pos - lo) * (values[lo + 1] - values[lo])


def working_medians(session: Session, scope: Scope, start: datetime, end: datetime,
                    cal_of: Callable[[int], Calendar]) -> dict[str, float]:
    """The median working days of the stays in each stage that ended in [start, end), counted as the stage's
    time target is (the day a deal left is its last day there), in each deal owner's calendar."""
    any_move = aliased(StageChange)
    moved = select(col(any_move.deal_id)).where(within(any_move.at, start, end))
    q = (select(col(StageChange.deal_id), col(Deal.owner_id), col(StageChange.to_stage), col(StageChange.at))
         .join(Deal, col(Deal.id) == col(StageChange.deal_id))
         .where(col(StageChange.deal_id).in_(moved), deals_in(scope))
         .order_by(col(StageChange.deal_id), col(StageChange.at), col(StageChange.id)))
    per_stage: dict[str, list[int]] = {}
    prev: tuple[int, str, datetime] | None = None
    for deal_id, owner, stage, at in session.execute(q).all():
        if prev is not None and prev[0] == deal_id and start <= at < end:
            per_stage.setdefault(prev[1], []).append(day_of_stay(cal_of(owner), prev[2], at))
        prev = (deal_id, stage, at)
    return {k: statistics.median(v) for k, v in per_stage.items()}
