"""Corrections to deals, customers and contacts: each checked like creation and recorded before → after."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, delete, select, update

from sales import audit
from sales.access import MANAGERS, SELLERS, may_hand_to
from sales.customers import GRADES, DuplicateFound, check_name, normalize_phone, valid_email
from sales.errors import RuleError
from sales.names import initials_key, name_key, pinyin_key
from sales.names.directory import bump_names, find_any_customer
from storage import locks
from storage.models import (
    CardScan,
    Contact,
    Customer,
    Deal,
    Installment,
    SalesOrder,
    Stage,
    StageChange,
    User,
)

DEAL_FIELDS = ("amount", "title", "close", "owner", "stage", "reopen")
CUSTOMER_FIELDS = ("name", "industry", "size", "source", "needs", "status", "grade", "tags")
CONTACT_FIELDS = ("name", "title", "phone", "email", "remove")
STATUSES = ("active", "dormant", "churned")
MAX_TEXT = 200
MAX_AMOUNT = Decimal(10) ** 12
CLEAR = frozenset({"-", "none", "无", "清空"})  # a value that empties an optional field


def _note(session: Session, by: User, entity: str, entity_id: int | None, now: datetime,
          before: dict[str, Any], after: dict[str, Any]) -> None:
    audit.record(session, by=by.id, action="edit", entity=entity, entity_id=entity_id, now=now,
                 before=before, after=after)


def _may_change_deal(by: User, deal: Deal) -> None:
    if by.role not in SELLERS or (by.role == "rep" and deal.owner_id != by.id):
        raise RuleError("not_allowed")


def _open(deal: Deal) -> None:
    if deal.stage in ("won", "lost"):
        raise RuleError("deal_closed", stage=deal.stage)


def _text(value: str, *, optional: bool = True) -> str | None:
    v = " ".join(value.split())
    if optional and v.casefold() in CLEAR:
        return None
    if not v:
        raise RuleError("empty_value")
    if len(v) > MAX_TEXT:
        raise RuleError("text_too_long", limit=MAX_TEXT)
    return v


def deal_amount(session: Session, *, by: User, deal: Deal, amount: Decimal, now: datetime,
                currency: str | None = None) -> None:
    """Correct an open deal's amount (more than 0, as when it is opened), and its currency when given."""
    _may_change_deal(by, deal)
    _open(deal)
    if amount <= 0:
        raise RuleError("amount_not_positive")
    if amount >= MAX_AMOUNT:
        raise RuleError("amount_too_large")
    before = {"amount": deal.amount, "currency": deal.currency}
    deal.amount, deal.currency, deal.updated_at = amount, currency or deal.currency, now
    session.add(deal)
    _note(session, by, "deal", deal.id, now, before, {"amount": amount, "currency": deal.currency})


def deal_title(session: Session, *, by: User, deal: Deal, title: str, now: datetime) -> None:
    """Rename a deal."""
    _may_change_deal(by, deal)
    clean = _text(title, optional=False) or ""
    before = deal.title
    deal.title, deal.updated_at = clean, now
    session.add(deal)
    _note(session, by, "deal", deal.id, now, {"title": before}, {"title": clean})


def deal_close(session: Session, *, by: User, deal: Deal, day: date | None, today: date, now: datetime) -> None:
    """Set or clear an open deal's expected close date (not in the past)."""
    _may_change_deal(by, deal)
    _open(deal)
    if day is not None and day < today:
        raise RuleError("date_in_past", date=day.isoformat())
    before = deal.expected_close
    deal.expected_close, deal.updated_at = day, now
    session.add(deal)
    _note(session, by, "deal", deal.id, now, {"expected_close": before}, {"expected_close": day})


def deal_owner(session: Session, *, by: User, deal: Deal, owner: User, now: datetime) -> None:
    """Hand a deal to another rep (managers and admins)."""
    if by.role not in MANAGERS:
        raise RuleError("managers_only")
    if not may_hand_to(by, owner):
        raise RuleError("bad_colleague", name=owner.name)
    before = deal.owner_id
    deal.owner_id, deal.updated_at = owner.id or 0, now
    session.add(deal)
    _note(session, by, "deal", deal.id, now, {"owner_id": before}, {"owner_id": deal.owner_id})


def _stages(session: Session) -> dict[str, Stage]:
    return {s.key: s for s in session.exec(select(Stage)).all()}


def deal_back(session: Session, *, by: User, deal: Deal, to: Stage, reason: str, now: datetime) -> None:
    """Move an open deal back to an earlier stage, with the reason."""
    _may_change_deal(by, deal)
    locks.for_update(session, deal)
    _open(deal)
    here = _stages(session).get(deal.stage)
    if to.closed or here is None or to.position >= here.position:
        raise RuleError("not_backwards", stage=to.key)
    why = " ".join(reason.split())[:500]
    if not why:
        raise RuleError("needs_reason")
    _move(session, by=by, deal=deal, to=to, reason=why, now=now)


def deal_reopen(session: Session, *, by: User, deal: Deal, reason: str, now: datetime) -> Stage:
    """Reopen a lost or won deal at the stage it closed from (managers, with a reason); a won deal's order
    goes away with it, unless money was received on it."""
    if by.role not in MANAGERS:
        raise RuleError("managers_only")
    locks.for_update(session, deal)
    if deal.stage not in ("won", "lost"):
        raise RuleError("not_closed")
    why = " ".join(reason.split())[:500]
    if not why:
        raise RuleError("needs_reason")
    stages = _stages(session)
    last = session.exec(select(StageChange).where(col(StageChange.deal_id) == deal.id,
                                                  col(StageChange.to_stage) == deal.stage)
                        .order_by(col(StageChange.at).desc(), col(StageChange.id).desc())).first()
    back = stages.get(last.from_stage or "") if last is not None else None
    if back is None or back.closed:
        back = min((s for s in stages.values() if not s.closed), key=lambda s: s.position)
    if deal.stage == "won":
        order = session.exec(select(SalesOrder).where(col(SalesOrder.deal_id) == deal.id)).first()
        if order is not None:
            if order.paid > 0:
                raise RuleError("reopen_paid", order=order.id)
            session.exec(delete(Installment).where(col(Installment.order_id) == order.id))
            session.delete(order)
            session.flush()
    deal.lost_reason, deal.closed_at = None, None
    _move(session, by=by, deal=deal, to=back, reason=why, now=now)
    return back


def _move(session: Session, *, by: User, deal: Deal, to: Stage, reason: str, now: datetime) -> None:
    before = deal.stage
    deal.stage, deal.probability, deal.updated_at = to.key, to.probability, now
    session.add(deal)
    session.add(StageChange(deal_id=deal.id or 0, from_stage=before, to_stage=to.key, by_id=by.id or 0, at=now))
    _note(session, by, "deal", deal.id, now, {"stage": before}, {"stage": to.key, "reason": reason})


def _may_change_customer(by: User, customer: Customer) -> None:
    if by.role not in SELLERS or (by.role == "rep" and customer.owner_id != by.id):
        raise RuleError("not_allowed")


def customer_field(session: Session, *, by: User, customer: Customer, field: str, value: str, now: datetime,
                   force: bool = False) -> Any:
    """Correct one of a customer's fields; returns the new value."""
    _may_change_customer(by, customer)
    if field not in CUSTOMER_FIELDS:
        raise RuleError("unknown_field", field=field)
    before: Any = getattr(customer, field)
    new: Any
    if field == "name":
        new = check_name(value)
        locks.named(session, locks.DEDUPE)
        if not force:
            matches = [m for m in find_any_customer(session, name=new) if m.id != customer.id]
            if matches:
                raise DuplicateFound(tuple(matches))
        customer.name_key, customer.pinyin, customer.initials = name_key(new), pinyin_key(new), initials_key(new)
        bump_names(session)
    elif field == "grade":
        new = value.strip().upper()
        if new not in GRADES:
            raise RuleError("bad_grade", grade=value.strip())
    elif field == "status":
        new = STATUS_WORDS.get(value.strip().casefold())
        if new is None:
            raise RuleError("bad_status", status=value.strip())
    elif field == "tags":
        tags = [t.lstrip("#").strip() for t in value.replace("，", " ").replace(",", " ").split()]
        new = " ".join(dict.fromkeys(t for t in tags if t and t.casefold() not in CLEAR))
    else:
        new = _text(value)
    setattr(customer, field, new)
    customer.updated_at = now
    session.add(customer)
    _note(session, by, "customer", customer.id, now, {field: before}, {field: new})
    return new


STATUS_WORDS = {"active": "active", "活跃": "active", "dormant": "dormant", "休眠": "dormant",
                "churned": "churned", "流失": "churned"}


def contact_field(session: Session, *, by: User, customer: Customer, contact: Contact, field: str, value: str,
                  now: datetime, region: str = "CN") -> Any:
    """Correct one of a contact's fields (phone and email checked as when added); returns the new value."""
    _may_change_customer(by, customer)
    before: Any = getattr(contact, field) if field in CONTACT_FIELDS[:4] else None
    new: str | None
    if field == "name":
        new = _text(value, optional=False)
    elif field == "title":
        new = _text(value)
    elif field == "phone":
        raw = value.strip()
        new = None if raw.casefold() in CLEAR else normalize_phone(raw, region)
        if new is None and raw.casefold() not in CLEAR:
            raise RuleError("bad_phone", phone=raw)
    elif field == "email":
        raw = value.strip()
        if raw.casefold() in CLEAR:
            new = None
        elif (checked := valid_email(raw)) is not None:
            new = checked
        else:
            raise RuleError("bad_email", email=raw)
    else:
        raise RuleError("unknown_field", field=field)
    setattr(contact, field, new)
    session.add(contact)
    _note(session, by, "contact", contact.id, now, {field: before}, {field: new})
    return new


def remove_contact(session: Session, *, by: User, customer: Customer, contact: Contact, now: datetime) -> None:
    """Remove a contact; the audit entry keeps what it held."""
    _may_change_customer(by, customer)
    before = {"customer_id": contact.customer_id, "name": contact.name, "title": contact.title}
    _note(session, by, "contact", contact.id, now, before, {"removed": True})
    session.exec(update(CardScan).where(col(CardScan.contact_id) == contact.id).values(contact_id=None))
    session.delete(contact)
    session.flush()
