"""Quotes and the discount-approval tiers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from sales import audit
from sales.errors import RuleError
from storage import locks
from storage.models import Approval, Deal, Quote, QuoteLine, User
from storage.types import cents

MAX_LINES = 50


@dataclass(frozen=True)
class Line:
    """One priced line of a quote, before it is stored."""

    item: str
    qty: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class Created:
    """A new quote and, when its discount is above the requester's limit, the approval it waits for."""

    quote: Quote
    approval: Approval | None
    approvers: tuple[User, ...]


def _limit(user: User) -> Decimal:
    return Decimal("100") if user.role == "admin" else user.discount_limit


def manager_limit(session: Session, team_id: int | None) -> Decimal:
    """The highest discount a manager of this team may approve."""
    managers = session.exec(select(User).where(col(User.team_id) == team_id, col(User.role) == "manager",
                                               col(User.active))).all()
    return max((m.discount_limit for m in managers), default=Decimal("20"))


def approvers_for(session: Session, approval: Approval, requester: User) -> list[User]:
    """Who may decide this approval: the team's managers, or the admins."""
    q = select(User).where(col(User.active), col(User.id) != requester.id)
    if approval.approver_role == "manager":
        q = q.where(col(User.role) == "manager", col(User.team_id) == requester.team_id)
    else:
        q = q.where(col(User.role) == "admin")
    return list(session.exec(q.order_by(col(User.id))).all())


def create_quote(
    session: Session, *, deal: Deal, lines: list[Line], discount: Decimal, by: User, now: datetime,
    currency: str | None = None,
) -> Created:
    """A new quote version; a pending approval of an earlier one is cancelled."""
    if deal.stage in ("won", "lost"):
        raise RuleError("deal_closed", stage=deal.stage)
    if discount < 0 or discount >= 100:
        raise RuleError("bad_discount", value=str(discount))
    subtotal = sum((cents(ln.qty * ln.unit_price) for ln in lines), Decimal(0))
    if subtotal > Decimal("99999999999999"):
        raise RuleError("amount_too_large")
    total = cents(subtotal * (100 - discount) / 100)
    earlier = session.exec(select(Quote).where(col(Quote.deal_id) == deal.id)).all()
    for q in earlier:
        if q.status in ("pending", "draft"):
            q.status = "cancelled"
            session.add(q)
    for ap in session.exec(select(Approval).where(col(Approval.quote_id).in_([q.id for q in earlier]),
                                                   col(Approval.status) == "pending")).all():
        ap.status, ap.decided_at = "cancelled", now
        session.add(ap)
    version = max((q.version for q in earlier), default=0) + 1
    quote = Quote(deal_id=deal.id or 0, version=version, discount=discount, subtotal=subtotal, total=total,
                  currency=currency or deal.currency, status="approved", created_by=by.id or 0, created_at=now)
    session.add(quote)
    session.flush()
    for ln in lines:
        session.add(QuoteLine(quote_id=quote.id or 0, item=ln.item, qty=ln.qty, unit_price=ln.unit_price,
                              amount=cents(ln.qty * ln.unit_price)))
    approval = None
    approvers: list[User] = []
    if discount > _limit(by):
        quote.status = "pending"
        tier = "manager" if by.role == "rep" and discount <= manager_limit(session, by.team_id) else "admin"
        approval = Approval(quote_id=quote.id or 0, requested_by=by.id or 0, approver_role=tier, created_at=now)
        session.add(approval)
        session.flush()
        approvers = approvers_for(session, approval, by)
        if not approvers:
            raise RuleError("no_approver", role=tier)
    session.add(quote)
    audit.record(session, by=by.id, action="create", entity="quote", entity_id=quote.id, now=now,
                 after={"deal_id": deal.id, "version": version, "discount": discount, "total": total,
                        "currency": quote.currency, "status": quote.status})
    return Created(quote=quote, approval=approval, approvers=tuple(approvers))


def decide(session: Session, *, approval: Approval, by: User, approve: bool, now: datetime) -> Quote:
    """Approve or reject a pending discount; the requester never decides their own."""
    locks.for_update(session, approval)  # an approve and a reject at once: the second sees the first
    if approval.status != "pending":
        raise RuleError("already_decided", status=approval.status, by=approval.decided_by)
    quote = session.get(Quote, approval.quote_id)
    assert quote is not None
    if by.id == approval.requested_by:
        raise RuleError("own_request")
    requester = session.get(User, approval.requested_by)
    allowed = by.role == "admin" or (
        approval.approver_role == "manager" and by.role == "manager"
        and requester is not None and by.team_id == requester.team_id
    )
    if not allowed or (approve and quote.discount > _limit(by)):
        raise RuleError("not_approver")
    approval.status = "approved" if approve else "rejected"
    approval.decided_by, approval.decided_at = by.id, now
    quote.status = approval.status
    session.add(approval)
    session.add(quote)
    audit.record(session, by=by.id, action="approve" if approve else "reject", entity="quote",
                 entity_id=quote.id, now=now, after={"approval_id": approval.id, "discount": quote.discount})
    return quote


def pending_for(session: Session, *, user: User) -> list[Approval]:
    """Pending approvals `user` may decide."""
    q = select(Approval).where(col(Approval.status) == "pending", col(Approval.requested_by) != user.id)
    if user.role == "manager":
        team = select(User.id).where(col(User.team_id) == user.team_id)
        q = q.where(col(Approval.approver_role) == "manager", col(Approval.requested_by).in_(team))
    elif user.role != "admin":
        return []
    return list(session.exec(q.order_by(col(Approval.created_at))).all())


def lines_of(session: Session, quote_id: int) -> list[QuoteLine]:
    """A quote's lines in order."""
    return list(session.exec(select(QuoteLine).where(col(QuoteLine.quote_id) == quote_id)
                             .order_by(col(QuoteLine.id))).all())
