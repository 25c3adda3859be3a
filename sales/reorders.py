"""The next purchase: each customer's usual reorder interval (the median gap between its orders), who is due
to reorder, and cross-sell hints from what customers of the same industry bought; all in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, true
from sqlmodel import Session, col

from sales.analytics import days_between
from sales.reminders.care import REORDER
from storage.models import Customer, Deal, FollowUp, QuoteLine, SalesOrder
from storage.types import UTCDateTime

AHEAD_DAYS = 7  # a customer is due from this many days before its usual interval has passed
OVERDUE_SPAN = 2.0  # past this many intervals without an order it is no longer "due" but lapsing (see retention)
CROSS_SELL = 3  # hints on a customer card


def ordered_at() -> Any:
    """When an order counts as bought: its acceptance (验收) when recorded, else its creation (the deal's win)."""
    accepted = getattr(SalesOrder, "accepted_at", None)  # fulfilment's column, where it exists
    return col(SalesOrder.created_at) if accepted is None else func.coalesce(accepted, col(SalesOrder.created_at))


def intervals(session: Session, where: ColumnElement[bool] | None = None) -> Any:
    """A subquery per customer with two orders or more: cid, orders, last_at, interval (median days between
    consecutive orders), over the orders matching `where`."""
    at = ordered_at()
    cond = true() if where is None else where
    o = (select(col(SalesOrder.customer_id).label("cid"), at.label("at"),
                func.lag(at).over(partition_by=col(SalesOrder.customer_id), order_by=(at, col(SalesOrder.id)))
                .label("prev"))
         .where(cond).subquery())
    gaps = select(o.c.cid, days_between(session, o.c.at, o.c.prev).label("gap")).where(o.c.prev.is_not(None)).subquery()
    ranked = select(gaps.c.cid, gaps.c.gap,
                    func.row_number().over(partition_by=gaps.c.cid, order_by=gaps.c.gap).label("rn"),
                    func.count().over(partition_by=gaps.c.cid).label("n")).subquery()
    # The median: the middle gap, or the mean of the two middle ones.
    med = (select(ranked.c.cid, func.avg(ranked.c.gap).label("interval"), func.max(ranked.c.n).label("gaps"))
           .where(or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2))
           .group_by(ranked.c.cid).subquery())
    last = select(o.c.cid, func.max(o.c.at).label("last_at")).group_by(o.c.cid).subquery()
    return (select(med.c.cid, (med.c.gaps + 1).label("orders"), last.c.last_at, med.c.interval)
            .join(last, last.c.cid == med.c.cid).subquery())


@dataclass(frozen=True)
class Reorder:
    """A customer due (or overdue) to order again."""

    customer: Customer
    orders: int
    interval: float  # days
    last_at: datetime
    age: float  # days since the last order

    @property
    def due_in(self) -> float:
        """Days until the usual interval has passed (negative: overdue)."""
        return self.interval - self.age


def interval_of(session: Session, *, customer_id: int) -> tuple[int, float, datetime] | None:
    """A customer's orders, usual reorder interval in days and last order; None under two orders."""
    iv = intervals(session, col(SalesOrder.customer_id) == customer_id)
    row = session.execute(select(iv.c.orders, iv.c.interval, iv.c.last_at)).first()
    if row is None or row[1] is None:
        return None
    last = row[2]
    if isinstance(last, str):  # SQLite: an expression's type is not the column's
        last = datetime.fromisoformat(last)
    return int(row[0]), float(row[1]), UTCDateTime().process_result_value(last, session.get_bind().dialect) or last


def due_to_reorder(session: Session, *, owners: list[int], now: datetime,
                   limit: int | None = None) -> tuple[list[Reorder], int]:
    """These owners' active customers whose usual interval has (nearly) passed with no new order, no open deal
    and no open reorder follow-up; the soonest due first (at most `limit`), and how many in all."""
    if not owners:
        return [], 0
    iv = intervals(session, col(SalesOrder.customer_id).in_(select(col(Customer.id)).where(
        col(Customer.owner_id).in_(owners))))
    age = days_between(session, literal(now, UTCDateTime()), iv.c.last_at)
    open_deal = exists().where(col(Deal.customer_id) == iv.c.cid, col(Deal.stage).not_in(("won", "lost")))
    asked = exists().where(col(FollowUp.customer_id) == iv.c.cid, col(FollowUp.reason) == REORDER,
                           col(FollowUp.status) == "open")
    cond = and_(col(Customer.status) == "active", col(Customer.owner_id).in_(owners), iv.c.interval >= 1,
                age >= iv.c.interval - AHEAD_DAYS, age <= iv.c.interval * OVERDUE_SPAN, ~open_deal, ~asked)
    total = int(session.execute(select(func.count()).select_from(iv).join(Customer, col(Customer.id) == iv.c.cid)
                                .where(cond)).scalar_one())
    q = (select(Customer, iv.c.orders, iv.c.interval, iv.c.last_at, age)
         .join(iv, iv.c.cid == col(Customer.id)).where(cond)
         .order_by(iv.c.interval - age, col(Customer.id)))
    if limit is not None:
        q = q.limit(limit)
    dialect = session.get_bind().dialect
    out = []
    for c, n, interval, last_at, days in session.execute(q).all():
        if isinstance(last_at, str):
            last_at = datetime.fromisoformat(last_at)
        last = UTCDateTime().process_result_value(last_at, dialect) or last_at
        out.append(Reorder(c, int(n), float(interval), last, float(days)))
    return out, total


def cross_sell(session: Session, *, customer: Customer, limit: int = CROSS_SELL) -> list[tuple[str, int]]:
    """What customers of the same industry bought (lines of their orders' quotes) that this one has not: each
    item with how many of those customers bought it, the most bought first."""
    if not customer.industry:
        return []
    item = func.lower(func.trim(col(QuoteLine.item)))
    bought = (select(item).join(SalesOrder, col(SalesOrder.quote_id) == col(QuoteLine.quote_id))
              .where(col(SalesOrder.customer_id) == customer.id))
    buyers = func.count(func.distinct(col(SalesOrder.customer_id)))
    q = (select(func.min(col(QuoteLine.item)), buyers)
         .join(SalesOrder, col(SalesOrder.quote_id) == col(QuoteLine.quote_id))
         .join(Customer, col(Customer.id) == col(SalesOrder.customer_id))
         .where(col(Customer.industry) == customer.industry, col(Customer.id) != customer.id, item.not_in(bought))
         .group_by(item).order_by(buyers.desc(), item).limit(limit))
    return [(str(name), int(n)) for name, n in session.execute(q).all()]
