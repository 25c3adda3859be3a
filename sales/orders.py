"""Orders' payment plans and payments applied to the oldest open installments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from sales import audit
from sales.access import may_plan
from sales.errors import Amount, RuleError
from storage import locks
from storage.models import Installment, Payment, SalesOrder, User
from storage.types import cents


@dataclass(frozen=True)
class Part:
    """One installment of a plan, before it is stored."""

    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class Term:
    """One installment as the user put it: a percent of the total, an amount, or (neither) the rest."""

    due_on: date
    percent: Decimal | None = None
    amount: Decimal | None = None


def plan_parts(terms: list[Term], *, total: Decimal, today: date, currency: str = "CNY") -> list[Part]:
    """The installments' amounts over `total`: they must add up to it, or one of them is the rest."""
    whole = Amount(total, currency)
    if not terms:
        raise RuleError("plan_sum", total=whole)
    parts: list[tuple[str, Decimal | None, date]] = []
    for term in terms:
        if term.due_on < today:
            raise RuleError("date_in_past", date=term.due_on.isoformat())
        if term.percent is not None:
            if not 0 < term.percent <= 100:
                raise RuleError("plan_sum", total=whole)
            parts.append(("pct", cents(total * term.percent / 100), term.due_on))
        elif term.amount is not None:
            if term.amount <= 0:
                raise RuleError("amount_not_positive")
            parts.append(("abs", cents(term.amount), term.due_on))
        else:
            parts.append(("rest", None, term.due_on))
    fixed = sum((a for _, a, _ in parts if a is not None), Decimal(0))
    rests = [p for p in parts if p[0] == "rest"]
    if len(rests) > 1 or fixed > total:
        raise RuleError("plan_sum", total=whole)
    if not rests and parts[-1][0] == "pct" and abs(fixed - total) <= Decimal("0.05"):
        fixed_parts = [Part(d, a or Decimal(0)) for _, a, d in parts]
        fixed_parts[-1] = Part(fixed_parts[-1].due_on, fixed_parts[-1].amount + total - fixed)
        return sorted(fixed_parts, key=lambda p: p.due_on)
    if not rests and fixed != total:
        raise RuleError("plan_sum", total=whole)
    result = [Part(d, a if a is not None else total - fixed) for _, a, d in parts]
    if any(p.amount <= 0 for p in result):
        raise RuleError("plan_sum", total=whole)
    return sorted(result, key=lambda p: p.due_on)


def set_plan(session: Session, *, order: SalesOrder, parts: list[Part], by: User, now: datetime) -> list[Installment]:
    """Replace an order's unpaid plan with these installments (its owner, their manager or an admin)."""
    if not may_plan(by, order, session.get(User, order.owner_id)):
        raise RuleError("plan_owner_only")
    locks.for_update(session, order)
    if order.paid > 0:
        raise RuleError("plan_after_payment")
    for old in session.exec(select(Installment).where(col(Installment.order_id) == order.id)).all():
        session.delete(old)
    session.flush()
    rows = [Installment(order_id=order.id or 0, seq=i + 1, due_on=p.due_on, amount=p.amount)
            for i, p in enumerate(parts)]
    session.add_all(rows)
    session.flush()
    audit.record(session, by=by.id, action="plan", entity="order", entity_id=order.id, now=now,
                 after={"installments": [[p.due_on, p.amount] for p in parts]})
    return rows


def installments(session: Session, order_id: int) -> list[Installment]:
    """An order's installments, earliest first."""
    return list(session.exec(select(Installment).where(col(Installment.order_id) == order_id)
                             .order_by(col(Installment.due_on), col(Installment.seq))).all())


def record_payment(
    session: Session, *, order: SalesOrder, amount: Decimal, paid_on: date, by: User, now: datetime,
    currency: str | None = None,
) -> list[Installment]:
    """Record money received and apply it to the oldest open installments; returns those it touched."""
    if by.role not in ("finance", "admin"):
        raise RuleError("finance_only")
    if amount <= 0:
        raise RuleError("amount_not_positive")
    if currency is not None and currency != order.currency:
        raise RuleError("currency_mismatch", given=currency, expected=order.currency)
    locks.for_update(session, order)  # concurrent payments of one order take turns, each seeing the last
    outstanding = order.amount - order.paid
    if amount > outstanding:
        raise RuleError("overpaid", outstanding=Amount(outstanding, order.currency))
    session.add(Payment(order_id=order.id or 0, amount=amount, currency=order.currency, paid_on=paid_on,
                        recorded_by=by.id or 0, created_at=now))
    order.paid += amount
    session.add(order)
    touched = []
    left = amount
    for inst in installments(session, order.id or 0):
        if left <= 0:
            break
        open_ = inst.amount - inst.paid
        if open_ <= 0:
            continue
        take = min(open_, left)
        inst.paid += take
        left -= take
        session.add(inst)
        touched.append(inst)
    audit.record(session, by=by.id, action="payment", entity="order", entity_id=order.id, now=now,
                 after={"amount": amount, "currency": order.currency, "paid_on": paid_on})
    return touched


def receivables(session: Session, *, scope: ColumnElement[bool], today: date, overdue_only: bool,
                limit: int | None = 100) -> list[tuple[int, date, Decimal]]:
    """Open installment balances (order id, due date, amount open), earliest first (the first `limit`; None: all)."""
    open_amount = col(Installment.amount) - col(Installment.paid)
    q = (select(col(Installment.order_id), col(Installment.due_on), open_amount)
         .join(SalesOrder, col(SalesOrder.id) == col(Installment.order_id))
         .where(open_amount > 0, scope)
         .order_by(col(Installment.due_on), col(Installment.order_id), col(Installment.seq)).limit(limit))
    if overdue_only:
        q = q.where(col(Installment.due_on) < today)
    return [(int(o), d, cents(str(a))) for o, d, a in session.exec(q).all()]


def unplanned(session: Session, *, scope: ColumnElement[bool]) -> list[tuple[int, Decimal]]:
    """Orders with something open and no payment plan yet (order id, amount open), oldest first."""
    planned = select(col(Installment.order_id))
    q = (select(col(SalesOrder.id), col(SalesOrder.amount) - col(SalesOrder.paid))
         .where(scope, col(SalesOrder.amount) > col(SalesOrder.paid), col(SalesOrder.id).not_in(planned))
         .order_by(col(SalesOrder.id)))
    return [(o, cents(str(a))) for o, a in session.exec(q).all() if o is not None]


def open_totals(session: Session, *, customer_id: int) -> dict[str, Decimal]:
    """What a customer still owes on its orders, per currency (only those with something open)."""
    q = select(col(SalesOrder.currency), func.sum(col(SalesOrder.amount) - col(SalesOrder.paid))).where(
        col(SalesOrder.customer_id) == customer_id).group_by(col(SalesOrder.currency))
    sums = {str(k): cents(str(v or 0)) for k, v in session.exec(q).all()}
    return {k: v for k, v in sums.items() if v > 0}


BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")  # days overdue; current: not yet due


def bucket_of(due_on: date, today: date) -> str:
    """The aging bucket of an installment due on `due_on`."""
    late = (today - due_on).days
    if late <= 0:
        return "current"
    return "1-30" if late <= 30 else "31-60" if late <= 60 else "61-90" if late <= 90 else "90+"


def aging(session: Session, *, scope: ColumnElement[bool], today: date) -> dict[str, dict[str, Decimal]]:
    """Open installment balances of the orders in scope, per currency and aging bucket (every bucket present),
    plus "unplanned": what is open on orders without a plan."""
    open_amount = col(Installment.amount) - col(Installment.paid)
    q = (select(col(SalesOrder.currency), col(Installment.due_on), func.sum(open_amount))
         .join(SalesOrder, col(SalesOrder.id) == col(Installment.order_id))
         .where(open_amount > 0, scope).group_by(col(SalesOrder.currency), col(Installment.due_on)))
    out: dict[str, dict[str, Decimal]] = {}

    def add(cur: str, key: str, v: Decimal) -> None:
        row = out.setdefault(cur, {b: Decimal(0) for b in (*BUCKETS, "unplanned")})
        row[key] = cents(row[key] + v)

    for cur, due, amount in session.exec(q).all():
        add(str(cur), bucket_of(due, today), Decimal(str(amount)))
    planned = select(col(Installment.order_id))
    uq = (select(col(SalesOrder.currency), func.sum(col(SalesOrder.amount) - col(SalesOrder.paid)))
          .where(scope, col(SalesOrder.amount) > col(SalesOrder.paid), col(SalesOrder.id).not_in(planned))
          .group_by(col(SalesOrder.currency)))
    for cur, amount in session.exec(uq).all():
        add(str(cur), "unplanned", Decimal(str(amount)))
    return out
