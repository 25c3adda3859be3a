"""A claimed reminder, checked again when it is sent: still true? to whom now? (bulk-loaded per batch)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlmodel import Session, col

from sales import fulfilment
from sales import leads as leads_rules
from sales.reminders import People, epoch
from sales.reminders.stalls import Stay, stay_of
from sales.reminders.tickets import KINDS as TICKET_KINDS
from sales.reminders.tickets import resolve_ticket
from storage.models import (
    Approval,
    Contact,
    Customer,
    Deal,
    FollowUp,
    Installment,
    KeyDate,
    Lead,
    Quote,
    SalesOrder,
    Team,
    User,
)
from storage.reminders_queue import Claim

log = logging.getLogger("salesbot.reminders")
# When a reminder may reach its reader: the rep's own follow-ups at any hour but the quiet ones; the bot's
# own chasing (payments, approvals, leads) in working hours on working days. Digests are timed when planned. A
# ticket's targets already count in working time.
WAITING = {"followup": "quiet", "installment": "work", "nudge": "work", "lead.untouched": "work",
           "order.late": "work", "ticket.warn": "quiet", "ticket.breach": "quiet",
           "keydate": "quiet", "stall": "work"}


@dataclass
class Due:
    """One claimed reminder with what it is about and who reads it; `drop` says why it is not sent."""

    reminder: Claim
    data: dict[str, Any]
    user: User | None = None
    team: Team | None = None
    drop: str | None = None
    followup: Any = None  # a FollowUp row (columns by name)
    customer: Any = None  # a Customer row
    installment: Installment | None = None
    order: SalesOrder | None = None
    approval: Approval | None = None
    quote: Quote | None = None
    deal: Deal | None = None
    requester: User | None = None
    lead: Lead | None = None
    ticket: Any = None  # a Ticket
    keydate: KeyDate | None = None
    contact: Contact | None = None
    stay: Stay | None = None
    defer: datetime | None = None  # not now: the reader's quiet hours, or outside their working hours

    @property
    def day(self) -> date | None:
        """The digest's date."""
        d = self.data.get("date")
        return date.fromisoformat(d) if isinstance(d, str) else None


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {r.id: r for r in session.execute(select(model).where(col(model.id).in_(sorted(ids)))).scalars()}


def _rows_by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    """Plain rows (columns by name) rather than ORM objects: batches of thousands load several times faster."""
    if not ids:
        return {}
    table: Table = getattr(model, "__table__")  # noqa: B009
    out: dict[int, Any] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), 1000):
        for r in session.execute(select(table).where(table.c.id.in_(ordered[i:i + 1000]))).all():
            out[r.id] = r
    return out


def _ids(dues: list[Due], kind: str, key: str) -> set[int]:
    return {int(d.data[key]) for d in dues if d.reminder.kind == kind and isinstance(d.data.get(key), int)}


def resolve(session: Session, reminders: list[Claim], people: People, now: datetime) -> list[Due]:
    """What each reminder is about now and who should read it; stale ones are marked to drop, never raised."""
    dues = []
    for r in reminders:
        try:
            data = json.loads(r.payload or "{}")
        except ValueError:
            data = {}
        dues.append(Due(reminder=r, data=data if isinstance(data, dict) else {}))
    fus = _rows_by_id(session, FollowUp, _ids(dues, "followup", "fu"))
    insts = _by_id(session, Installment, _ids(dues, "installment", "inst"))
    orders = _by_id(session, SalesOrder, {i.order_id for i in insts.values()} | _ids(dues, "order.late", "order"))
    aps = _by_id(session, Approval, _ids(dues, "nudge", "approval"))
    qs = _by_id(session, Quote, {a.quote_id for a in aps.values()})
    deals = _by_id(session, Deal, {q.deal_id for q in qs.values()})
    leads = {i: leads_rules.untouched(session, lead_id=i) for i in _ids(dues, "lead.untouched", "lead")}
    kds = _by_id(session, KeyDate, _ids(dues, "keydate", "kd"))
    contacts = _by_id(session, Contact, {k.contact_id for k in kds.values()})
    custs = _rows_by_id(session, Customer, {f.customer_id for f in fus.values()}
                        | {o.customer_id for o in orders.values()} | {d.customer_id for d in deals.values()}
                        | {c.customer_id for c in contacts.values()})
    for d in dues:
        kind = d.reminder.kind
        if kind == "followup":
            _followup(session, d, fus, custs, people)
        elif kind == "installment":
            _installment(d, insts, orders, custs, people)
        elif kind == "nudge":
            d.approval = aps.get(d.data.get("approval", 0))
            d.quote = qs.get(d.approval.quote_id) if d.approval else None
            d.deal = deals.get(d.quote.deal_id) if d.quote else None
            d.customer = custs.get(d.deal.customer_id) if d.deal else None
            d.requester = people.users.get(d.approval.requested_by) if d.approval else None
            if d.approval is None or d.approval.status != "pending":
                d.drop = "approval decided"
            else:
                d.user = people.active(d.reminder.user_id)
        elif kind == "lead.untouched":
            d.lead = leads.get(d.data.get("lead", 0))
            if d.lead is None:
                d.drop = "lead touched, converted or closed"
            else:
                d.user = people.active(d.lead.owner_id) or people.active(d.reminder.user_id)
        elif kind in TICKET_KINDS:
            resolve_ticket(session, d, people, now)
        elif kind == "order.late":
            _late(d, orders, custs, people)
        elif kind == "keydate":
            d.keydate = kds.get(d.data.get("kd", 0))
            d.contact = contacts.get(d.keydate.contact_id) if d.keydate else None
            d.customer = custs.get(d.contact.customer_id) if d.contact else None
            if d.keydate is None or d.contact is None or d.customer is None:
                d.drop = "key date or contact deleted"
            elif d.customer.status != "active":
                d.drop = "customer inactive"
            else:
                d.user = people.active(d.customer.owner_id)  # the customer's owner now
        elif kind == "stall":
            _stall(session, d, people, now)
        elif kind == "digest":
            d.user = people.active(d.reminder.user_id)
        elif kind == "team_digest":
            d.team = people.teams.get(d.data.get("team", 0))
            d.drop = None if d.team is not None else "team deleted"
        else:
            d.drop = f"unknown kind {kind}"
        if d.drop is None and d.user is None and d.team is None:
            d.drop = "nobody to tell"
        if d.drop is None and d.user is not None and kind in WAITING:
            cal = people.calendar(d.user.id)
            later = cal.working_moment(now) if WAITING[kind] == "work" else cal.after_quiet(now)
            if later > now:  # e.g. written by another module without a calendar, or its reader moved zone
                d.defer = later
        if d.drop is not None:
            log.info("reminder dropped: %s", d.drop, extra={"reminder_id": d.reminder.id, "kind": kind})
    return dues


def _followup(session: Session, d: Due, fus: dict[int, Any], custs: dict[int, Any], people: People) -> None:
    fu = fus.get(d.data.get("fu", 0))
    d.followup = fu
    if fu is None:
        d.drop = "follow-up deleted"
        return
    d.customer = custs.get(fu.customer_id)
    if fu.status != "open":
        d.drop = "follow-up closed"
    elif epoch(fu.due_at) != d.data.get("due"):
        d.drop = "follow-up moved"  # its new time has its own reminder
    elif d.customer is None:
        d.drop = "customer deleted"
    elif fu.reason == "cadence" and d.customer.last_contact_at and d.customer.last_contact_at > fu.created_at:
        # Contacted since the cadence follow-up was made: nothing left to do.
        session.execute(update(FollowUp).where(col(FollowUp.id) == fu.id, col(FollowUp.status) == "open")
                        .values(status="cancelled"))
        d.drop = "customer contacted since"
    else:
        owner = people.active(fu.owner_id)
        if owner is None or (owner.role == "rep" and owner.id != d.customer.owner_id):
            owner = people.active(d.customer.owner_id)  # reassigned: the customer's owner now
        d.user = owner


def _stall(session: Session, d: Due, people: People, now: datetime) -> None:
    deal = session.get(Deal, int(d.data.get("deal") or 0))
    stay = stay_of(session, deal, people.calendar(deal.owner_id), now) if deal is not None else None
    if stay is None or stay.stage.key != d.data.get("stage") or epoch(stay.since) != d.data.get("since"):
        d.drop = "deal moved on"
        return
    d.stay, d.deal = stay, deal
    d.customer = session.get(Customer, deal.customer_id) if deal is not None else None
    owner = people.active(deal.owner_id) if deal is not None else None
    d.user = owner if d.data.get("role") == "owner" else people.active(d.reminder.user_id)


def _installment(d: Due, insts: dict[int, Any], orders: dict[int, Any], custs: dict[int, Any],
                 people: People) -> None:
    inst: Installment | None = insts.get(d.data.get("inst", 0))
    d.installment = inst
    d.order = orders.get(inst.order_id) if inst else None
    if inst is None or d.order is None:
        d.drop = "installment deleted"
        return
    d.customer = custs.get(d.order.customer_id)
    if inst.paid >= inst.amount:
        d.drop = "installment paid"
    elif d.data.get("role") == "owner":
        d.user = people.active(d.order.owner_id)  # the order's owner now, if it changed hands
    else:
        d.user = people.active(d.reminder.user_id)


def _late(d: Due, orders: dict[int, Any], custs: dict[int, Any], people: People) -> None:
    order: SalesOrder | None = orders.get(d.data.get("order", 0))
    d.order = order
    if order is None:
        d.drop = "order deleted"
        return
    d.customer = custs.get(order.customer_id)
    if order.fulfilment not in fulfilment.OPEN:
        d.drop = "order delivered"
    elif order.promised_on is None or order.promised_on.isoformat() != d.data.get("promised"):
        d.drop = "promised date moved"  # the new date has its own reminders
    elif d.data.get("role") == "owner":
        d.user = people.active(order.owner_id)  # the order's owner now, if it changed hands
    else:
        d.user = people.active(d.reminder.user_id)
