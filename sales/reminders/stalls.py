"""Stage time targets: which working day of its stage a deal is on, against the stage's target.

A stay begins when the deal entered its stage (a won deal's when it was signed, and lasts until its order's
first payment: 回款). Day 1 is the day it began, or the first working day after; only the team's working days
count (its holidays and make-up days too). A deal is over target from the working day after its target's last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select
from sqlmodel import Session, col

from sales.reminders.calendar import Calendar
from storage.models import Customer, Deal, SalesOrder, Stage, StageChange

CalendarOf = Callable[[int], Calendar]  # a deal owner's calendar


@dataclass(frozen=True)
class Stay:
    """A deal's time in its stage so far."""

    deal: Deal
    stage: Stage
    since: datetime
    day: int  # the working day of the stay today, from 1
    customer: str = ""

    @property
    def target(self) -> int | None:
        """The stage's target in working days, if any."""
        return self.stage.target_days

    @property
    def over(self) -> bool:
        """Past the stage's target."""
        return self.target is not None and self.day > self.target


def day_of_stay(cal: Calendar, since: datetime, now: datetime) -> int:
    """The working day of a stay begun at `since` that `now` falls on (1 on its first working day)."""
    # The days before the first working day count nothing: the working days from the stay's first calendar day.
    return max(cal.working_days(cal.local(since).date(), cal.local(now).date()), 1)


def deadline(cal: Calendar, since: datetime, days: int) -> datetime:
    """The moment a stay with a target of `days` working days is over it: the start of the next working day."""
    return cal.at(cal.nth_working_day(cal.local(since).date(), days + 1), cal.work_start)


def entered() -> Any:
    """An SQL expression: when each deal entered its current stage (a won deal: when it closed)."""
    return (select(func.max(col(StageChange.at))).where(col(StageChange.deal_id) == col(Deal.id),
                                                         col(StageChange.to_stage) == col(Deal.stage))
            .correlate(Deal).scalar_subquery())


def _tracked() -> Any:
    """A WHERE clause: an open deal, or a won one whose order has no payment yet (its 回款 stay)."""
    unpaid = select(col(SalesOrder.id)).where(col(SalesOrder.deal_id) == col(Deal.id), col(SalesOrder.paid) <= 0)
    return or_(col(Stage.closed).is_(False), and_(col(Deal.stage) == "won", unpaid.exists()))


def stays(session: Session, *, where: Any, cal_of: CalendarOf, now: datetime,
          entered_before: datetime | None = None, over_only: bool = False) -> list[Stay]:
    """The current stays of the deals `where` selects (open deals, and won ones not yet paid) with a target
    (`over_only`: only those that may be past it, told apart in SQL by calendar days, exactly here)."""
    since_at = func.coalesce(entered(), col(Deal.updated_at))
    q = (select(Deal, Stage, since_at, col(Customer.name)).join(Stage, col(Stage.key) == col(Deal.stage))
         .join(Customer, col(Customer.id) == col(Deal.customer_id))
         .where(where, _tracked(), col(Stage.target_days).is_not(None)))
    if entered_before is not None:
        q = q.where(since_at <= entered_before)
    if over_only:
        # A stay past N working days began at least N - 1 calendar days ago (a day's margin for the zones).
        began = case((and_(col(Deal.stage) == "won", col(Deal.closed_at).is_not(None)), col(Deal.closed_at)),
                     else_=since_at)
        targets = session.execute(select(col(Stage.key), col(Stage.target_days))
                                  .where(col(Stage.target_days).is_not(None))).all()
        q = q.where(or_(false(), *(and_(col(Deal.stage) == key, began <= now - timedelta(days=max(days - 2, 0)))
                                   for key, days in targets)))
    out = []
    for deal, stage, since, customer in session.execute(q).all():
        since = deal.closed_at if stage.key == "won" and deal.closed_at is not None else since
        out.append(Stay(deal, stage, since, day_of_stay(cal_of(deal.owner_id), since, now), customer))
    return out


def over_target(session: Session, *, owners: list[int], cal_of: CalendarOf, now: datetime,
                times: int = 1) -> list[Stay]:
    """The deals of `owners` past `times` their stage's target, longest over first."""
    if not owners:
        return []
    found = stays(session, where=col(Deal.owner_id).in_(owners), cal_of=cal_of, now=now, over_only=True)
    late = [s for s in found if s.target is not None and s.day > s.target * times]
    return sorted(late, key=lambda s: (-(s.day - (s.target or 0)), s.deal.id or 0))


def stay_of(session: Session, deal: Deal, cal: Calendar, now: datetime) -> Stay | None:
    """The deal's current stay, when its stage has a target (None for a lost deal or a paid one)."""
    found = stays(session, where=col(Deal.id) == deal.id, cal_of=lambda _owner: cal, now=now)
    return found[0] if found else None
