"""Who sees what: every customer, deal and order query goes through these scopes."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlmodel import Session, col

from storage.models import Customer, CustomerShare, Deal, SalesOrder, User


def customer_scope(user: User) -> ColumnElement[bool]:
    """The customers `user` may see, as a WHERE clause on Customer."""
    if user.role == "admin":
        return true()
    if user.role == "manager":
        return col(Customer.team_id) == user.team_id
    if user.role == "finance":
        return col(Customer.id).in_(select(col(SalesOrder.customer_id)))
    shared = select(col(CustomerShare.customer_id)).where(col(CustomerShare.user_id) == user.id)
    return or_(col(Customer.owner_id) == user.id, col(Customer.id).in_(shared))


def deal_scope(user: User) -> ColumnElement[bool]:
    """The deals `user` may see, as a WHERE clause on Deal."""
    if user.role == "admin":
        return true()
    if user.role == "finance":
        return false()
    visible = select(col(Customer.id)).where(customer_scope(user))
    return or_(col(Deal.owner_id) == user.id, col(Deal.customer_id).in_(visible))


def order_scope(user: User) -> ColumnElement[bool]:
    """The orders `user` may see, as a WHERE clause on SalesOrder."""
    if user.role in ("admin", "finance"):
        return true()
    visible = select(col(Customer.id)).where(customer_scope(user))
    return or_(col(SalesOrder.owner_id) == user.id, col(SalesOrder.customer_id).in_(visible))


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
