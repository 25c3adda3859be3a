"""An order's way to the customer: confirmed → in production/picking → shipped → delivered → accepted (验收),
each step recorded once with its date and who; the promised delivery date; acceptance in one place (`accept`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from sales import audit
from sales.access import SELLERS, can_see_order
from sales.errors import RuleError
from storage import locks
from storage.models import OrderStep, SalesOrder, User

STATES = ("confirmed", "production", "shipped", "delivered", "accepted")
STEPS = STATES[1:]  # what can be recorded; "confirmed" is where a won deal's order starts
OPEN = STATES[:3]  # not yet delivered: a passed promised date makes the order late
MAX_TEXT = 100  # carrier and tracking number


@dataclass(frozen=True)
class Stand:
    """Where an order stands: its state, the steps recorded, and whether its promised date has passed."""

    state: str
    steps: dict[str, OrderStep]
    late_days: int  # days past the promised date while not delivered (0: on time, or no date)


def steps(session: Session, order_id: int) -> dict[str, OrderStep]:
    """An order's recorded steps by name."""
    return {s.step: s for s in session.exec(select(OrderStep).where(col(OrderStep.order_id) == order_id))}


def stand(session: Session, order: SalesOrder, today: date) -> Stand:
    """Where `order` stands on `today` (the reader's local date)."""
    late = 0
    if order.promised_on is not None and order.fulfilment in OPEN and today > order.promised_on:
        late = (today - order.promised_on).days
    return Stand(order.fulfilment, steps(session, order.id or 0), late)


def is_late(order: SalesOrder, today: date) -> bool:
    """Whether the promised delivery date has passed and the order is not delivered."""
    return order.promised_on is not None and order.fulfilment in OPEN and today > order.promised_on


def _may(session: Session, order: SalesOrder, by: User) -> None:
    if not by.active or by.role not in SELLERS or not can_see_order(session, by, order.id or 0):
        raise RuleError("not_allowed")


def _record(session: Session, *, order: SalesOrder, step: str, by: User, now: datetime,
            carrier: str | None = None, tracking: str | None = None) -> OrderStep:
    """Record `step` once, only forward (a step may be skipped, never undone)."""
    if step not in STEPS:
        raise RuleError("bad_step", step=step)
    _may(session, order, by)
    locks.for_update(session, order)  # two recordings of one step at once: the second sees the first
    if STATES.index(order.fulfilment) >= STATES.index(step):
        raise RuleError("step_done", order=order.id, state=order.fulfilment)
    before = order.fulfilment
    row = OrderStep(order_id=order.id or 0, step=step, at=now, by=by.id or 0,
                    carrier=(carrier or "").strip()[:MAX_TEXT] or None,
                    tracking=(tracking or "").strip()[:MAX_TEXT] or None)
    try:
        with session.begin_nested():  # the unique (order, step) is the last word when the lock was not enough
            session.add(row)
            session.flush()
    except IntegrityError:
        raise RuleError("step_done", order=order.id, state=step) from None
    order.fulfilment = step
    session.add(order)
    after: dict[str, object] = {"fulfilment": step}
    if row.carrier:
        after["carrier"] = row.carrier
    if row.tracking:
        after["tracking"] = row.tracking
    audit.record(session, by=by.id, action="fulfil", entity="order", entity_id=order.id, now=now,
                 before={"fulfilment": before}, after=after)
    return row


def start(session: Session, *, order: SalesOrder, by: User, now: datetime) -> OrderStep:
    """In production or picking."""
    return _record(session, order=order, step="production", by=by, now=now)


def ship(session: Session, *, order: SalesOrder, by: User, now: datetime, carrier: str | None = None,
         tracking: str | None = None) -> OrderStep:
    """Shipped, with the carrier and tracking number when known."""
    return _record(session, order=order, step="shipped", by=by, now=now, carrier=carrier, tracking=tracking)


def deliver(session: Session, *, order: SalesOrder, by: User, now: datetime) -> OrderStep:
    """Delivered to the customer."""
    return _record(session, order=order, step="delivered", by=by, now=now)


def accept(session: Session, *, order: SalesOrder, by: User, now: datetime) -> OrderStep:
    """The customer accepted the order (验收): the one place acceptance happens; `SalesOrder.accepted_at` is set
    here, and what follows an acceptance (a survey, a 回访, reorder intervals) starts from it."""
    row = _record(session, order=order, step="accepted", by=by, now=now)
    order.accepted_at = now
    session.add(order)
    return row


def promise(session: Session, *, order: SalesOrder, on: date, by: User, now: datetime) -> None:
    """Set the delivery date promised to the customer (a new date replaces the old; lateness counts from it)."""
    _may(session, order, by)
    locks.for_update(session, order)
    if order.fulfilment not in OPEN:
        raise RuleError("step_done", order=order.id, state=order.fulfilment)
    before = order.promised_on
    order.promised_on = on
    session.add(order)
    audit.record(session, by=by.id, action="update", entity="order", entity_id=order.id, now=now,
                 before={"promised_on": before}, after={"promised_on": on})


RUN = {"production": start, "delivered": deliver, "accepted": accept}
