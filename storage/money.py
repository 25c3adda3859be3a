"""Tables of money: products, quotes and approvals, orders, installments, payments, targets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import Money, UTCDateTime


class Product(SQLModel, table=True):
    """An item of the price list."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    unit_price: Decimal = Field(sa_type=Money)


class Quote(SQLModel, table=True):
    """A priced offer for a deal; a new version replaces the last."""

    __table_args__ = (UniqueConstraint("deal_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    version: int = 1
    discount: Decimal = Field(default=Decimal("0"), sa_type=Money)
    subtotal: Decimal = Field(sa_type=Money)
    total: Decimal = Field(sa_type=Money)
    currency: str = Field(default="CNY", max_length=3, sa_column_kwargs={"server_default": "CNY"})  # ISO 4217 (0008)
    status: str = "draft"  # pending | approved | rejected | cancelled
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class QuoteLine(SQLModel, table=True):
    """One line of a quote."""

    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id", index=True)
    item: str
    qty: Decimal = Field(sa_type=Money)
    unit_price: Decimal = Field(sa_type=Money)
    amount: Decimal = Field(sa_type=Money)


class Approval(SQLModel, table=True):
    """A request to approve a quote's discount, and its decision."""

    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id", index=True)
    requested_by: int = Field(foreign_key="user.id")
    approver_role: str  # manager | admin
    status: str = "pending"  # pending | approved | rejected | cancelled
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    nudged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SalesOrder(SQLModel, table=True):
    """An order from a won deal and its quote."""

    __tablename__ = "sales_order"
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", unique=True)
    quote_id: int | None = Field(default=None, foreign_key="quote.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="CNY", max_length=3, sa_column_kwargs={"server_default": "CNY"})  # ISO 4217 (0008)
    paid: Decimal = Field(default=Decimal("0"), sa_type=Money)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Fulfilment (0009): where the order stands (confirmed | production | shipped | delivered | accepted), the
    # delivery date promised to the customer, and when it was accepted (验收; surveys and reorders start there).
    fulfilment: str = Field(default="confirmed", sa_column_kwargs={"server_default": "confirmed"})
    promised_on: date | None = None
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Installment(SQLModel, table=True):
    """One due part of an order's payment plan."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    seq: int
    due_on: date = Field(index=True)
    amount: Decimal = Field(sa_type=Money)
    paid: Decimal = Field(default=Decimal("0"), sa_type=Money)


class Payment(SQLModel, table=True):
    """Money received against an order."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="CNY", max_length=3, sa_column_kwargs={"server_default": "CNY"})  # ISO 4217 (0008)
    paid_on: date
    recorded_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Target(SQLModel, table=True):
    """A sales target for a rep or a team in a period."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    period: str  # 2026-Q4, 2026-11, 2026
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="CNY", max_length=3, sa_column_kwargs={"server_default": "CNY"})  # ISO 4217 (0008)

