"""Sharing a customer, handing a departing rep's book to a colleague, and deactivating a user; all audited."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from sales import access, audit
from sales.errors import RuleError
from storage.models import (
    ChatIdentity,
    Conversation,
    Customer,
    CustomerShare,
    Deal,
    FollowUp,
    Invite,
    Lead,
    SalesOrder,
    Ticket,
    TicketEvent,
    User,
)


def share(session: Session, *, customer: Customer, with_user: User, by: User, now: datetime) -> bool:
    """Let `with_user` see and work on `customer`; False when they already could."""
    if not access.may_share(by, customer):
        raise RuleError("not_allowed")
    if not access.may_hand_to(by, with_user):
        raise RuleError("bad_colleague", name=with_user.name)
    if customer.owner_id == with_user.id or session.get(CustomerShare, (customer.id, with_user.id)) is not None:
        return False
    session.add(CustomerShare(customer_id=customer.id or 0, user_id=with_user.id or 0))
    audit.record(session, by=by.id, action="share", entity="customer", entity_id=customer.id, now=now,
                 after={"shared_with": with_user.id})
    return True


def unshare(session: Session, *, customer: Customer, with_user: User, by: User, now: datetime) -> bool:
    """Stop sharing `customer` with `with_user`; False when it was not shared."""
    if not access.may_share(by, customer):
        raise RuleError("not_allowed")
    row = session.get(CustomerShare, (customer.id, with_user.id))
    if row is None:
        return False
    session.delete(row)
    audit.record(session, by=by.id, action="unshare", entity="customer", entity_id=customer.id, now=now,
                 before={"shared_with": with_user.id})
    return True


def reassign(session: Session, *, source: User, target: User, by: User, now: datetime) -> Counter[str]:
    """Give `target` everything open of `source`: customers, open deals, orders with money due, open
    follow-ups, open leads, open tickets, and the shares `source` held. One audit entry per record moved."""
    if not access.may_reassign(by, source, target):
        raise RuleError("not_allowed")
    if not target.active or target.role not in access.SELLERS:
        raise RuleError("bad_colleague", name=target.name)
    moved: Counter[str] = Counter()

    def note(entity: str, entity_id: int | None, before: dict[str, object], after: dict[str, object]) -> None:
        moved[entity] += 1
        audit.record(session, by=by.id, action="reassign", entity=entity, entity_id=entity_id, now=now,
                     before=before, after=after)

    for c in session.exec(select(Customer).where(col(Customer.owner_id) == source.id)).all():
        note("customer", c.id, {"owner_id": c.owner_id, "team_id": c.team_id},
             {"owner_id": target.id, "team_id": target.team_id})
        c.owner_id, c.team_id, c.updated_at = target.id or 0, target.team_id, now
        session.add(c)
    for d in session.exec(select(Deal).where(col(Deal.owner_id) == source.id,
                                             col(Deal.stage).not_in(("won", "lost")))).all():
        note("deal", d.id, {"owner_id": d.owner_id}, {"owner_id": target.id})
        d.owner_id, d.updated_at = target.id or 0, now
        session.add(d)
    for o in session.exec(select(SalesOrder).where(col(SalesOrder.owner_id) == source.id,
                                                   col(SalesOrder.paid) < col(SalesOrder.amount))).all():
        note("order", o.id, {"owner_id": o.owner_id}, {"owner_id": target.id})
        o.owner_id = target.id or 0
        session.add(o)
    for lead in session.exec(select(Lead).where(col(Lead.owner_id) == source.id,
                                                col(Lead.status).not_in(("converted", "disqualified")))).all():
        note("lead", lead.id, {"owner_id": lead.owner_id, "team_id": lead.team_id},
             {"owner_id": target.id, "team_id": target.team_id})
        lead.owner_id, lead.team_id, lead.updated_at = target.id, target.team_id, now
        session.add(lead)
    for t in session.exec(select(Ticket).where(col(Ticket.assignee_id) == source.id,
                                               col(Ticket.status).not_in(("resolved", "closed")))).all():
        note("ticket", t.id, {"assignee_id": t.assignee_id, "team_id": t.team_id},
             {"assignee_id": target.id, "team_id": target.team_id})
        session.add(TicketEvent(ticket_id=t.id or 0, at=now, user_id=by.id, kind="assign",
                                before=str(t.assignee_id), after=str(target.id)))  # the ticket's own history
        t.assignee_id, t.team_id, t.updated_at = target.id, target.team_id, now
        session.add(t)
    result = session.execute(update(FollowUp).where(col(FollowUp.owner_id) == source.id,
                                                    col(FollowUp.status) == "open").values(owner_id=target.id))
    moved["followup"] = int(getattr(result, "rowcount", 0) or 0)
    for s in session.exec(select(CustomerShare).where(col(CustomerShare.user_id) == source.id)).all():
        if session.get(CustomerShare, (s.customer_id, target.id)) is None:
            session.add(CustomerShare(customer_id=s.customer_id, user_id=target.id or 0))
        session.delete(s)
        moved["share"] += 1
    session.flush()
    audit.record(session, by=by.id, action="reassign", entity="user", entity_id=source.id, now=now,
                 after={"to": target.id, **dict(moved)})
    return moved


def open_records(session: Session, user: User) -> int:
    """How many open customers, deals, leads and tickets `user` still owns (what /reassign would move)."""
    n = len(session.exec(select(Customer.id).where(col(Customer.owner_id) == user.id)).all())
    n += len(session.exec(select(Deal.id).where(col(Deal.owner_id) == user.id,
                                                col(Deal.stage).not_in(("won", "lost")))).all())
    n += len(session.exec(select(Lead.id).where(col(Lead.owner_id) == user.id,
                                                col(Lead.status).not_in(("converted", "disqualified")))).all())
    n += len(session.exec(select(Ticket.id).where(col(Ticket.assignee_id) == user.id,
                                                  col(Ticket.status).not_in(("resolved", "closed")))).all())
    return n


def deactivate(session: Session, *, user: User, by: User, now: datetime) -> None:
    """Stop `user` at once: their chat accounts answer nothing more, their open dialogues end, their unused
    invites lapse. Their records stay theirs until reassigned."""
    if not access.may_administer(by):
        raise RuleError("not_allowed")
    if user.id == by.id:
        raise RuleError("not_yourself")
    if not user.active:
        raise RuleError("already_inactive", name=user.name)
    user.active = False
    session.add(user)
    idents = session.exec(select(ChatIdentity).where(col(ChatIdentity.user_id) == user.id)).all()
    for ident in idents:
        session.execute(delete(Conversation).where(
            col(Conversation.platform) == ident.platform, col(Conversation.workspace) == ident.workspace,
            col(Conversation.user) == ident.external_id))
    session.execute(update(Invite).where(col(Invite.created_by) == user.id, col(Invite.used_at).is_(None))
                    .values(expires_at=now - timedelta(seconds=1)))
    audit.record(session, by=by.id, action="deactivate", entity="user", entity_id=user.id, now=now,
                 before={"active": True}, after={"active": False, "chat_accounts": len(idents)})


def reactivate(session: Session, *, user: User, by: User, now: datetime) -> None:
    """Let a deactivated user in again."""
    if not access.may_administer(by):
        raise RuleError("not_allowed")
    if user.active:
        return
    user.active = True
    session.add(user)
    audit.record(session, by=by.id, action="reactivate", entity="user", entity_id=user.id, now=now,
                 before={"active": False}, after={"active": True})
