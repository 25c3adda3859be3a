"""Who sees what and who may change what: every query of customers, contacts, leads, deals, quotes, orders,
invoices, activities, tickets and reports goes through these scopes (rep: own and shared; manager: team; finance:
orders and payments; admin: all)."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, bindparam, false, or_, select, true
from sqlmodel import Session, col

from storage.models import Activity, Customer, CustomerShare, Deal, Invoice, Lead, SalesOrder, Ticket, User

SELLERS = frozenset({"rep", "manager", "admin"})  # who sells: owns customers and deals
MANAGERS = frozenset({"manager", "admin"})
ADMINS = frozenset({"admin"})


def _team_members(user: User) -> ColumnElement[bool]:
    """A WHERE clause on User ids: the members of `user`'s team (nobody when they have none)."""
    if user.team_id is None:
        return false()
    return col(User.team_id) == user.team_id


ScopeKind = Literal["none", "all", "finance", "team", "mine"]


def scope_kind(user: User) -> ScopeKind:
    """Which customers `user` sees, as a kind: none (deactivated), all (admin), finance (customers with an order),
    team (a manager with a team: the team's, own and shared) or mine (own and shared)."""
    if not user.active:
        return "none"
    if user.role == "admin":
        return "all"
    if user.role == "finance":
        return "finance"
    if user.role == "manager" and user.team_id is not None:
        return "team"
    return "mine"


def _customer_scope(kind: ScopeKind, me: Any, team: Any) -> ColumnElement[bool]:
    """The customers of a scope kind, as a WHERE clause on Customer: `me` and `team` are the viewer's id and team,
    as values or as bound parameters."""
    if kind == "none":
        return false()
    if kind == "all":
        return true()
    if kind == "finance":
        return col(Customer.id).in_(select(col(SalesOrder.customer_id)))
    shared = col(Customer.id).in_(select(col(CustomerShare.customer_id)).where(col(CustomerShare.user_id) == me))
    mine = or_(col(Customer.owner_id) == me, shared)
    return or_(col(Customer.team_id) == team, mine) if kind == "team" else mine


def customer_scope(user: User) -> ColumnElement[bool]:
    """The customers `user` may see, as a WHERE clause on Customer."""
    return _customer_scope(scope_kind(user), user.id, user.team_id)


SCOPE_USER, SCOPE_TEAM = "scope_user", "scope_team"


def bound_customer_scope(kind: ScopeKind) -> ColumnElement[bool]:
    """customer_scope for every viewer of one kind, the viewer left as bound parameters (`scope_params` gives
    their values): a statement holding it is built once per kind, not once per call."""
    return _customer_scope(kind, bindparam(SCOPE_USER), bindparam(SCOPE_TEAM))


def scope_params(user: User) -> dict[str, Any]:
    """The values of bound_customer_scope's parameters for `user`."""
    return {SCOPE_USER: user.id, SCOPE_TEAM: user.team_id}


def deal_scope(user: User) -> ColumnElement[bool]:
    """The deals `user` may see, as a WHERE clause on Deal (quotes follow their deal)."""
    if not user.active or user.role == "finance":
        return false()
    if user.role == "admin":
        return true()
    visible = select(col(Customer.id)).where(customer_scope(user))
    owners = [col(Deal.owner_id) == user.id]
    if user.role == "manager":
        owners.append(col(Deal.owner_id).in_(select(col(User.id)).where(_team_members(user))))
    return or_(*owners, col(Deal.customer_id).in_(visible))


def order_scope(user: User) -> ColumnElement[bool]:
    """The orders `user` may see, as a WHERE clause on SalesOrder."""
    if not user.active:
        return false()
    if user.role in ("admin", "finance"):
        return true()
    visible = select(col(Customer.id)).where(customer_scope(user))
    owners = [col(SalesOrder.owner_id) == user.id]
    if user.role == "manager":
        owners.append(col(SalesOrder.owner_id).in_(select(col(User.id)).where(_team_members(user))))
    return or_(*owners, col(SalesOrder.customer_id).in_(visible))


def invoice_scope(user: User) -> ColumnElement[bool]:
    """The invoices `user` may see: those of the orders they see (finance and admins: all)."""
    if not user.active:
        return false()
    if user.role in ("admin", "finance"):
        return true()
    return col(Invoice.order_id).in_(select(col(SalesOrder.id)).where(order_scope(user)))


def activity_scope(user: User) -> ColumnElement[bool]:
    """The activities `user` may see: those of the customers they see; finance none (visit notes are sales work)."""
    if not sees_notes(user):
        return false()
    return col(Activity.customer_id).in_(select(col(Customer.id)).where(customer_scope(user)))


def sees_notes(user: User) -> bool:
    """Whether `user` may read visit, call and meeting notes and follow-ups: sellers, not finance."""
    return user.active and user.role in SELLERS


def lead_scope(user: User) -> ColumnElement[bool]:
    """The leads `user` may see: a rep those they own or added, a manager the team's, an admin all, finance none."""
    if not user.active or user.role == "finance":
        return false()
    if user.role == "admin":
        return true()
    mine = or_(col(Lead.owner_id) == user.id, col(Lead.added_by) == user.id)
    if user.role == "manager" and user.team_id is not None:
        return or_(col(Lead.team_id) == user.team_id, mine)
    return mine


def ticket_scope(user: User) -> ColumnElement[bool]:
    """The tickets `user` may see: those of the customers they see and those assigned to them; a manager the
    team's too (a web-form ticket that matched no customer among them); finance none."""
    if not user.active or user.role == "finance":
        return false()
    if user.role == "admin":
        return true()
    visible = col(Ticket.customer_id).in_(select(col(Customer.id)).where(customer_scope(user)))
    if user.role == "manager" and user.team_id is not None:
        return or_(col(Ticket.team_id) == user.team_id, col(Ticket.assignee_id) == user.id, visible)
    return or_(col(Ticket.assignee_id) == user.id, visible)


def can_see_customer(session: Session, user: User, customer_id: int) -> bool:
    """Whether `user` may see this customer."""
    q = select(col(Customer.id)).where(col(Customer.id) == customer_id, customer_scope(user))
    return session.execute(q).first() is not None


def can_see_deal(session: Session, user: User, deal_id: int) -> bool:
    """Whether `user` may see this deal."""
    q = select(col(Deal.id)).where(col(Deal.id) == deal_id, deal_scope(user))
    return session.execute(q).first() is not None


def can_see_order(session: Session, user: User, order_id: int) -> bool:
    """Whether `user` may see this order."""
    q = select(col(SalesOrder.id)).where(col(SalesOrder.id) == order_id, order_scope(user))
    return session.execute(q).first() is not None


def can_see_lead(session: Session, user: User, lead_id: int) -> bool:
    """Whether `user` may see this lead."""
    q = select(col(Lead.id)).where(col(Lead.id) == lead_id, lead_scope(user))
    return session.execute(q).first() is not None


def may_share(user: User, customer: Customer) -> bool:
    """Whether `user` may share this customer with a colleague: its owner, its team's manager, an admin."""
    if not user.active:
        return False
    if user.role == "admin" or customer.owner_id == user.id:
        return True
    return user.role == "manager" and user.team_id is not None and customer.team_id == user.team_id


def may_merge(user: User, keep: Customer, gone: Customer) -> bool:
    """Whether `user` may merge two customers: of one team, by an admin, its manager, or the owner of both."""
    if not user.active or keep.team_id != gone.team_id:
        return False
    if user.role == "admin" or (user.role in SELLERS and keep.owner_id == gone.owner_id == user.id):
        return True
    return user.role == "manager" and user.team_id is not None and keep.team_id == user.team_id


def may_reassign(user: User, source: User, target: User) -> bool:
    """Whether `user` may hand `source`'s records to `target`: an admin, or the manager of both."""
    if not user.active or source.id == target.id:
        return False
    if user.role == "admin":
        return True
    return (user.role == "manager" and user.team_id is not None
            and source.team_id == user.team_id and target.team_id == user.team_id)


def may_hand_to(user: User, target: User) -> bool:
    """Whether `user` may make `target` responsible for something (a lead, a share): same team, or an admin."""
    if not target.active or target.role not in SELLERS:
        return False
    return user.role == "admin" or (user.team_id is not None and target.team_id == user.team_id)


def may_plan(user: User, order: SalesOrder, owner: User | None) -> bool:
    """Whether `user` may set or change an order's payment plan: its owner, the owner's manager, an admin (finance
    records payments against the plan but does not change it)."""
    if not user.active:
        return False
    if user.role == "admin" or order.owner_id == user.id:
        return True
    return (user.role == "manager" and user.team_id is not None and owner is not None
            and owner.team_id == user.team_id)


def may_administer(user: User) -> bool:
    """Privacy requests, deactivating users: admins only."""
    return user.active and user.role == "admin"
