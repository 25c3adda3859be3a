"""Retention: the repeat-purchase rate, churned buyers (no order and no activity for N months) and lifetime value
by grade and by source, each figure a GROUP BY in the database over the orders of the scope."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, null, select, true
from sqlalchemy.sql.expression import True_
from sqlmodel import Session, col

from sales.analytics import Scope, deals_in, dec, ratio
from sales.reorders import ordered_at
from sales.sources import canonical
from storage.models import Activity, Customer, Deal, SalesOrder, User
from storage.types import cents

PAGE = 10  # churned customers listed a page


def order_value(home: str = "CNY", rates: Mapping[str, Decimal] | None = None) -> Any:
    """An order's amount in the team's currency at the rates an admin set; NULL (left out of sums) without one."""
    whens: list[tuple[Any, Any]] = [(col(SalesOrder.currency) == home, col(SalesOrder.amount))]
    whens += [(col(SalesOrder.currency) == k, col(SalesOrder.amount) * float(v))
              for k, v in sorted((rates or {}).items()) if k != home]
    return case(*whens, else_=null())


@dataclass(frozen=True)
class Lifetime:
    """Lifetime value of one group of buyers (a grade or a source)."""

    key: str
    customers: int
    total: Decimal

    @property
    def average(self) -> Decimal:
        """The group's value per buyer."""
        return cents(self.total / self.customers) if self.customers else Decimal("0.00")


@dataclass(frozen=True)
class Churned:
    """A buyer gone quiet: its last order and last activity."""

    customer_id: int
    name: str
    grade: str
    owner: str
    last_order: datetime
    last_activity: datetime | None


@dataclass
class Retention:
    """The retention figures of a period and scope."""

    buyers: int = 0  # customers with an order in the period
    repeat: int = 0  # of them, those with two orders or more by the period's end
    customers: int = 0  # customers with an order by the period's end
    churned: int = 0
    as_of: datetime | None = None
    months: int = 12
    page: list[Churned] = field(default_factory=list)
    by_grade: list[Lifetime] = field(default_factory=list)
    by_source: list[Lifetime] = field(default_factory=list)

    @property
    def repeat_rate(self) -> float | None:
        """Repeat buyers among the period's buyers."""
        return ratio(self.repeat, self.buyers)

    @property
    def churn_rate(self) -> float | None:
        """Churned among all buyers."""
        return ratio(self.churned, self.customers)


def _orders_in(scope: Scope) -> Any:
    """A WHERE clause on SalesOrder: the orders of deals in the scope."""
    if scope.kind == "all" and isinstance(scope.visible, True_):
        return true()  # everyone's: no lookup of each order's deal
    return exists().where(col(Deal.id) == col(SalesOrder.deal_id), deals_in(scope))


def retention(session: Session, scope: Scope, start: datetime, end: datetime, *, now: datetime, months: int = 12,
              offset: int = 0, value: Any = None) -> Retention:
    """Repeat buyers of [start, end), buyers churned as of min(end, now) (`months` without an order or an
    activity; the page at `offset`), and lifetime value by grade and by source up to then."""
    as_of = min(end, now)
    cutoff = months_before(as_of, months)
    at = ordered_at()
    amount = value if value is not None else order_value()
    per = (select(col(SalesOrder.customer_id).label("cid"), func.count().label("n"),
                  func.sum(case((and_(at >= start, at < end), 1), else_=0)).label("in_period"),
                  func.max(at).label("last_at"), func.sum(amount).label("total"))
           .where(_orders_in(scope), at < end).group_by(col(SalesOrder.customer_id)).subquery())
    out = Retention(as_of=as_of, months=months)
    active = exists().where(col(Activity.customer_id) == per.c.cid, col(Activity.at) >= cutoff,
                            col(Activity.at) < as_of)
    gone = and_(per.c.last_at < cutoff, ~active)
    # One pass for every figure: a row per (grade, source), summed up each way below (a few dozen groups).
    src = func.coalesce(col(Customer.source), "")
    groups = session.execute(
        select(col(Customer.grade), src, func.count(), func.sum(per.c.total),
               func.sum(case((per.c.in_period > 0, 1), else_=0)),
               func.sum(case((and_(per.c.in_period > 0, per.c.n >= 2), 1), else_=0)),
               func.sum(case((gone, 1), else_=0)))
        .join(Customer, col(Customer.id) == per.c.cid).group_by(col(Customer.grade), src)).all()
    for *_, n, _t, buyers, repeat, churned in groups:
        out.customers, out.buyers = out.customers + int(n), out.buyers + int(buyers)
        out.repeat, out.churned = out.repeat + int(repeat), out.churned + int(churned)
    if out.churned > offset:
        last_act = (select(func.max(col(Activity.at))).where(col(Activity.customer_id) == col(Customer.id),
                                                              col(Activity.at) < as_of)
                    .correlate(Customer).scalar_subquery())
        q = (select(col(Customer.id), col(Customer.name), col(Customer.grade), col(User.name), per.c.last_at, last_act)
             .join(Customer, col(Customer.id) == per.c.cid).join(User, col(User.id) == col(Customer.owner_id))
             .where(gone).order_by(per.c.last_at.desc(), col(Customer.id)).offset(offset).limit(PAGE))
        out.page = [Churned(int(i), n, g, o, _aware(session, last), _aware(session, act) if act is not None else None)
                    for i, n, g, o, last, act in session.execute(q).all()]
    grades: dict[str, Lifetime] = {}
    merged: dict[str, Lifetime] = {}
    for g, s, n, t, *_ in groups:
        for table, key in ((grades, g), (merged, canonical(str(s)) or "")):  # 官网 and Website are one source
            was = table.get(key, Lifetime(key, 0, Decimal("0.00")))
            table[key] = Lifetime(key, was.customers + int(n), was.total + dec(t))
    out.by_grade = [grades[k] for k in sorted(grades)]
    out.by_source = sorted(merged.values(), key=lambda x: (-x.average, x.key))
    return out


def months_before(at: datetime, months: int) -> datetime:
    """The same day and time `months` months earlier (the month's last day when it is shorter)."""
    y, m = divmod(at.year * 12 + at.month - 1 - months, 12)
    return at.replace(year=y, month=m + 1, day=min(at.day, calendar.monthrange(y, m + 1)[1]))


def _aware(session: Session, at: Any) -> datetime:
    """A datetime an aggregate returned (SQLite: a string without its zone) as aware UTC."""
    from storage.types import UTCDateTime

    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    got = UTCDateTime().process_result_value(at, session.get_bind().dialect)
    assert got is not None
    return got
