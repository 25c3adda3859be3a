"""Pipeline rules: stages, entry rules, moves with their history, winning into an order."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from sales import audit
from sales.access import MANAGERS, deal_scope
from sales.errors import RuleError
from storage import locks
from storage.models import Customer, Deal, Quote, SalesOrder, Stage, StageChange, User

QUALIFY_FIELDS = ("budget", "decision_maker", "timeline")


def stages(session: Session) -> list[Stage]:
    """All stages in pipeline order."""
    return list(session.exec(select(Stage).order_by(col(Stage.position))).all())


def stage_by_name(session: Session, word: str) -> Stage | None:
    """The stage named by its key or its Chinese or English name."""
    w = word.strip().casefold()
    for s in stages(session):
        if w in (s.key, s.name_en.casefold(), s.name_zh):
            return s
    return None


def next_stages(session: Session, deal: Deal) -> list[Stage]:
    """The stages a deal may move to from where it is, forward first."""
    all_ = stages(session)
    here = next((s for s in all_ if s.key == deal.stage), None)
    if here is None or here.closed:
        return []
    return [s for s in all_ if s.position > here.position or s.closed]


def open_deals(session: Session, *, user: User, deal_id: int | None = None,
               customer_ids: list[int] | None = None, limit: int = 50) -> list[tuple[Deal, str]]:
    """Open deals `user` may see with their customer's name, latest change first: only `deal_id`, or only
    those of `customer_ids`, when given."""
    q = select(Deal, Customer.name).join(Customer, col(Customer.id) == col(Deal.customer_id)).where(
        deal_scope(user), col(Deal.stage).not_in(("won", "lost")))
    if deal_id is not None:
        q = q.where(col(Deal.id) == deal_id)
    if customer_ids is not None:
        q = q.where(col(Deal.customer_id).in_(customer_ids))
    return [(d, name) for d, name in session.exec(q.order_by(col(Deal.updated_at).desc()).limit(limit)).all()]


def open_deal(
    session: Session, *, by: User, customer_id: int, title: str, amount: Decimal | None, now: datetime,
    owner_id: int | None = None, currency: str = "CNY",
) -> Deal:
    """Open a deal at the first stage."""
    if amount is not None and amount <= 0:
        raise RuleError("amount_not_positive")
    title = " ".join(title.split())[:200]
    first = stages(session)[0]
    deal = Deal(customer_id=customer_id, title=title, amount=amount, currency=currency, stage=first.key,
                probability=first.probability, owner_id=owner_id or by.id or 0, created_at=now, updated_at=now)
    session.add(deal)
    session.flush()
    session.add(StageChange(deal_id=deal.id or 0, from_stage=None, to_stage=first.key, by_id=by.id or 0, at=now))
    audit.record(session, by=by.id, action="create", entity="deal", entity_id=deal.id, now=now,
                 after={"title": title, "amount": amount, "currency": currency, "customer_id": customer_id})
    return deal


def set_amount(session: Session, *, deal: Deal, amount: Decimal, by: User, now: datetime,
               currency: str | None = None) -> None:
    """Change an open deal's amount (and its currency when given)."""
    if deal.stage in ("won", "lost"):
        raise RuleError("deal_closed", stage=deal.stage)
    if amount <= 0:
        raise RuleError("amount_not_positive")
    before = {"amount": deal.amount, "currency": deal.currency}
    deal.amount, deal.currency, deal.updated_at = amount, currency or deal.currency, now
    session.add(deal)
    audit.record(session, by=by.id, action="update", entity="deal", entity_id=deal.id, now=now,
                 before=before, after={"amount": amount, "currency": deal.currency})


def set_title(session: Session, *, deal: Deal, title: str, by: User, now: datetime) -> None:
    """Rename a deal."""
    title = " ".join(title.split())[:200]
    if not title:
        raise RuleError("empty_title")
    before = {"title": deal.title}
    deal.title, deal.updated_at = title, now
    session.add(deal)
    audit.record(session, by=by.id, action="update", entity="deal", entity_id=deal.id, now=now,
                 before=before, after={"title": title})


def set_close(session: Session, *, deal: Deal, close: date, by: User, now: datetime) -> None:
    """Set the day a deal is expected to close."""
    if deal.stage in ("won", "lost"):
        raise RuleError("deal_closed", stage=deal.stage)
    before = {"expected_close": deal.expected_close}
    deal.expected_close, deal.updated_at = close, now
    session.add(deal)
    audit.record(session, by=by.id, action="update", entity="deal", entity_id=deal.id, now=now,
                 before=before, after={"expected_close": close})


def crossed(session: Session, deal: Deal, to: Stage) -> list[Stage]:
    """The open stages a move enters: every one it skips and `to` itself (none for a loss or a move back)."""
    all_ = stages(session)
    here = next((s for s in all_ if s.key == deal.stage), None)
    if here is None or to.key == "lost":
        return []
    return [s for s in all_ if here.position < s.position <= to.position and not s.closed]


def missing_for(session: Session, deal: Deal, to: Stage) -> list[str]:
    """What the deal lacks to enter `to` and each stage it skips: the qualification answers (qualified and beyond)
    and a quote (proposal and beyond)."""
    keys = {s.key for s in crossed(session, deal, to)}
    if not keys:
        return []
    positions = {s.key: s.position for s in stages(session)}
    missing = [f for f in QUALIFY_FIELDS if not getattr(deal, f)] if "qualified" in keys else []
    from_proposal = positions.get("proposal")
    if from_proposal is not None and any(positions[k] >= from_proposal for k in keys) and not has_quote(session, deal):
        missing.append("quote")
    return missing


def has_quote(session: Session, deal: Deal) -> bool:
    """Whether the deal has a quote that was not cancelled."""
    live = select(Quote.id).where(col(Quote.deal_id) == deal.id, col(Quote.status) != "cancelled")
    return session.exec(live).first() is not None


def advance(
    session: Session, *, deal: Deal, to: Stage, by: User, now: datetime, reason: str | None = None,
    override: str | None = None,
) -> SalesOrder | None:
    """Move a deal to `to`, enforcing the entry rules of `to` and of every stage it skips; a manager's `override`
    (its reason) lets the move past them, recorded in the audit log; a win returns its new order."""
    locks.for_update(session, deal)  # two moves at once: the second sees where the first left the deal
    if deal.stage == "won" and to.key == "won":
        raise RuleError("already_won", deal=deal.id)
    if deal.stage in ("won", "lost"):
        raise RuleError("deal_closed", stage=deal.stage)
    if to.key == deal.stage:
        raise RuleError("same_stage", stage=to.key)
    missing = missing_for(session, deal, to)
    override = " ".join((override or "").split())[:500] or None
    if override is not None and by.role not in MANAGERS:
        raise RuleError("managers_only")
    if missing and override is None:
        if "quote" in missing and not [m for m in missing if m != "quote"]:
            raise RuleError("proposal_needs_quote")
        raise RuleError("needs_info", fields=missing)
    if to.key == "lost":
        reason = " ".join((reason or "").split())
        if not reason:
            raise RuleError("lost_needs_reason")
        deal.lost_reason = reason[:500]
    order = _make_order(session, deal=deal, by=by, now=now) if to.key == "won" else None
    before = deal.stage
    deal.stage, deal.probability, deal.updated_at = to.key, to.probability, now
    if to.closed:
        deal.closed_at = now
    session.add(deal)
    session.add(StageChange(deal_id=deal.id or 0, from_stage=before, to_stage=to.key, by_id=by.id or 0, at=now))
    after: dict[str, object] = {"stage": to.key, "lost_reason": deal.lost_reason}
    if override is not None and missing:
        after.update(override=override, skipped_rules=missing)
    audit.record(session, by=by.id, action="stage", entity="deal", entity_id=deal.id, now=now,
                 before={"stage": before}, after=after)
    return order


def _make_order(session: Session, *, deal: Deal, by: User, now: datetime) -> SalesOrder:
    quotes = session.exec(
        select(Quote).where(col(Quote.deal_id) == deal.id).order_by(col(Quote.version).desc())
    ).all()
    if any(q.status == "pending" for q in quotes):
        raise RuleError("quote_pending")
    approved = next((q for q in quotes if q.status == "approved"), None)
    amount = approved.total if approved else deal.amount
    if amount is None or amount <= 0:
        raise RuleError("won_needs_amount")
    currency = approved.currency if approved else deal.currency
    if approved is not None:
        deal.amount, deal.currency = approved.total, approved.currency
    order = SalesOrder(deal_id=deal.id or 0, quote_id=approved.id if approved else None,
                       customer_id=deal.customer_id, owner_id=deal.owner_id, amount=amount, currency=currency,
                       created_at=now)
    session.add(order)
    session.flush()
    audit.record(session, by=by.id, action="create", entity="order", entity_id=order.id, now=now,
                 after={"deal_id": deal.id, "amount": amount, "currency": currency})
    return order


def set_qualification(session: Session, *, deal: Deal, by: User, now: datetime, **fields: str) -> None:
    """Record budget, decision maker and timeline on a deal."""
    before = {k: getattr(deal, k) for k in fields}
    for k, v in fields.items():
        if k not in QUALIFY_FIELDS:
            raise RuleError("unknown_field", field=k)
        setattr(deal, k, " ".join(v.split())[:200])
    deal.updated_at = now
    session.add(deal)
    audit.record(session, by=by.id, action="update", entity="deal", entity_id=deal.id, now=now,
                 before=before, after=fields)
