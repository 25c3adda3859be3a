"""Tables of what follows a sale: the fulfilment steps of an order and the invoices asked for and issued."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import Money, UTCDateTime


class OrderStep(SQLModel, table=True):
    """One fulfilment step of an order (production, shipped, delivered, accepted): when and who, once each."""

    __tablename__ = "order_step"
    __table_args__ = (UniqueConstraint("order_id", "step"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    step: str  # production | shipped | delivered | accepted
    at: datetime = Field(sa_type=UTCDateTime)
    by: int = Field(foreign_key="user.id")
    carrier: str | None = None
    tracking: str | None = None


class InvoiceTitle(SQLModel, table=True):
    """A customer's invoice details, remembered from its first request: the buyer's title (抬头) and tax number."""

    __tablename__ = "invoice_title"
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    title: str
    tax_no: str
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Invoice(SQLModel, table=True):
    """An invoice a seller asked for (an order or one installment) and finance issued or rejected."""

    __table_args__ = (Index("ix_invoice_status_requested", "status", "requested_at"),
                      {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    installment_id: int | None = Field(default=None, foreign_key="installment.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="CNY", max_length=3)
    title: str  # the buyer's title (抬头)
    tax_no: str  # the buyer's tax number (税号)
    status: str = "requested"  # requested | issued | rejected
    requested_by: int = Field(foreign_key="user.id")
    requested_at: datetime = Field(sa_type=UTCDateTime)
    number: str | None = Field(default=None, unique=True, index=True)  # the invoice number finance gave it
    issued_on: date | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = None  # why it was rejected
