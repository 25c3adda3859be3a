"""Retention: the repeat-purchase rate, churned buyers (no order and no activity for N months) and lifetime value
by grade and by source, each figure a GROUP BY in the database over the orders of the scope."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, cast, exists, func, literal, null, select, true, union_all
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
    # Each buyer once, with its grade, source and whether it churned: read twice below, computed once (a
    # common table expression used twice is materialized), so the orders, their deals and the customer table
    # are read a single time for the whole report.
    buyer = (select(per.c.cid, per.c.n, per.c.in_period, per.c.last_at, per.c.total, col(Customer.grade),
                    func.coalesce(col(Customer.source), "").label("src"), col(Customer.name), col(Customer.owner_id),
                    case((and_(per.c.last_at < cutoff, ~active), 1), else_=0).label("gone"))
             .join(Customer, col(Customer.id) == per.c.cid).cte("buyer"))
    # Part 0: a row per (grade, source), summed up each way below (a few dozen groups); part 1: the page of
    # churned buyers, latest order first. One statement, UNION ALL: the columns of the other part are typed NULLs.
    last_act = (select(func.max(col(Activity.at))).where(col(Activity.customer_id) == buyer.c.cid,
                                                          col(Activity.at) < as_of).scalar_subquery())
    sums = [func.count().label("n"), func.sum(buyer.c.total).label("total"),
            func.sum(case((buyer.c.in_period > 0, 1), else_=0)).label("buyers"),
            func.sum(case((and_(buyer.c.in_period > 0, buyer.c.n >= 2), 1), else_=0)).label("repeat"),
            func.sum(buyer.c.gone).label("churned")]
    listed = [buyer.c.cid, buyer.c.name, col(User.name).label("owner"), buyer.c.last_at, last_act.label("last_act")]
    groups = (select(literal(0).label("part"), buyer.c.grade, buyer.c.src, *sums, *_nulls(listed))
              .group_by(buyer.c.grade, buyer.c.src))
    page = (select(literal(1), buyer.c.grade, *_nulls([buyer.c.src, *sums]), *listed)
            .join(User, col(User.id) == buyer.c.owner_id).where(buyer.c.gone == 1)
            .order_by(buyer.c.last_at.desc(), buyer.c.cid).offset(offset).limit(PAGE).subquery())
    both = union_all(groups, select(*page.c)).subquery()
    rows = session.execute(select(*both.c).order_by(both.c.part, both.c.last_at.desc(), both.c.cid)).all()
    grades: dict[str, Lifetime] = {}
    merged: dict[str, Lifetime] = {}
    for r in rows:
        if r.part == 1:
            out.page.append(Churned(int(r.cid), r.name, r.grade, r.owner, _aware(session, r.last_at),
                                    _aware(session, r.last_act) if r.last_act is not None else None))
            continue
        out.customers, out.buyers = out.customers + int(r.n), out.buyers + int(r.buyers)
        out.repeat, out.churned = out.repeat + int(r.repeat), out.churned + int(r.churned)
        for table, key in ((grades, r.grade), (merged, canonical(str(r.src)) or "")):  # 官网 and Website: one source
            was = table.get(key, Lifetime(key, 0, Decimal("0.00")))
            table[key] = Lifetime(key, was.customers + int(r.n), was.total + dec(r.total))
    out.by_grade = [grades[k] for k in sorted(grades)]
    out.by_source = sorted(merged.values(), key=lambda x: (-x.average, x.key))
    return out


def _nulls(columns: list[Any]) -> list[Any]:
    """A typed NULL for each column (PostgreSQL types a bare NULL of a UNION's subquery as text)."""
    return [cast(null(), c.type).label(c.key) for c in columns]


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
