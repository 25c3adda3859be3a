"""Invoices: a seller asks for one (an order, or one installment of its plan), finance issues it with its number
and date or rejects it with a reason; what is invoiced and not, per order and over receivables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from sales import audit
from sales.access import SELLERS, can_see_order, invoice_scope
from sales.errors import RuleError
from storage import locks
from storage.models import Installment, Invoice, InvoiceTitle, SalesOrder, User
from storage.types import cents

OPEN = ("requested", "issued")  # invoices that count against an order's amount
MAX_TITLE = 120
MAX_TAX_NO = 30
MAX_NUMBER = 40
MAX_REASON = 300


@dataclass(frozen=True)
class Totals:
    """An order's (or many orders') money by invoice state."""

    issued: Decimal
    requested: Decimal
    amount: Decimal

    @property
    def not_invoiced(self) -> Decimal:
        """What no invoice covers yet (neither issued nor asked for)."""
        return max(self.amount - self.issued - self.requested, Decimal(0))


def billing(session: Session, customer_id: int) -> InvoiceTitle | None:
    """The invoice title and tax number remembered for a customer."""
    return session.get(InvoiceTitle, customer_id)


def clean_tax_no(text: str) -> str:
    """A tax number as written on invoices: letters and digits, upper case (统一社会信用代码 or a foreign VAT id)."""
    tax = "".join(ch for ch in text.upper() if ch.isalnum())
    if not 6 <= len(tax) <= MAX_TAX_NO or not tax.isascii():
        raise RuleError("bad_tax_no", value=text.strip()[:40])
    return tax


def remember(session: Session, *, customer_id: int, title: str, tax_no: str, now: datetime) -> InvoiceTitle:
    """Keep the customer's invoice details for its next requests."""
    row = session.get(InvoiceTitle, customer_id)
    if row is None:
        row = InvoiceTitle(customer_id=customer_id, title=title, tax_no=tax_no, updated_at=now)
    else:
        row.title, row.tax_no, row.updated_at = title, tax_no, now
    session.add(row)
    return row


def totals(session: Session, order: SalesOrder) -> Totals:
    """An order's issued and requested invoice amounts."""
    q = (select(col(Invoice.status), func.sum(col(Invoice.amount))).where(col(Invoice.order_id) == order.id,
                                                                         col(Invoice.status).in_(OPEN))
         .group_by(col(Invoice.status)))
    sums = {str(s): cents(str(v or 0)) for s, v in session.exec(q).all()}
    return Totals(sums.get("issued", Decimal(0)), sums.get("requested", Decimal(0)), order.amount)


def request(
    session: Session, *, order: SalesOrder, by: User, now: datetime, title: str, tax_no: str,
    amount: Decimal | None = None, installment: int | None = None,
) -> Invoice:
    """Ask finance for an invoice of `amount` (default: the installment's amount, else what is not invoiced yet)."""
    if not by.active or by.role not in SELLERS or not can_see_order(session, by, order.id or 0):
        raise RuleError("not_allowed")
    title = " ".join(title.split())[:MAX_TITLE]
    if not title:
        raise RuleError("invoice_needs_title")
    tax = clean_tax_no(tax_no)
    locks.for_update(session, order)  # requests of one order take turns: together they never pass its amount
    inst: Installment | None = None
    if installment is not None:
        inst = session.exec(select(Installment).where(col(Installment.order_id) == order.id,
                                                      col(Installment.seq) == installment)).first()
        if inst is None:
            raise RuleError("no_installment", order=order.id, n=installment)
        taken = session.exec(select(Invoice).where(col(Invoice.installment_id) == inst.id,
                                                   col(Invoice.status).in_(OPEN))).first()
        if taken is not None:
            raise RuleError("installment_invoiced", n=installment, invoice=taken.id)
    if amount is None:
        amount = inst.amount if inst is not None else totals(session, order).not_invoiced
    if amount <= 0:
        raise RuleError("nothing_to_invoice", order=order.id)
    left = totals(session, order).not_invoiced
    if amount > left:
        raise RuleError("over_invoiced", left=str(left), currency=order.currency)
    row = Invoice(order_id=order.id or 0, installment_id=inst.id if inst else None, customer_id=order.customer_id,
                  amount=cents(amount), currency=order.currency, title=title, tax_no=tax,
                  requested_by=by.id or 0, requested_at=now)
    session.add(row)
    remember(session, customer_id=order.customer_id, title=title, tax_no=tax, now=now)
    session.flush()
    audit.record(session, by=by.id, action="invoice_request", entity="invoice", entity_id=row.id, now=now,
                 after={"order": order.id, "amount": row.amount, "currency": row.currency, "title": title,
                        "tax_no": tax, "installment": installment})
    return row


def _decide(session: Session, invoice: Invoice, by: User) -> None:
    if not by.active or by.role not in ("finance", "admin"):
        raise RuleError("finance_invoices")
    locks.for_update(session, invoice)  # issued once: a second click waits and finds it decided
    if invoice.status != "requested":
        raise RuleError("invoice_decided", invoice=invoice.id, status=invoice.status)


def issue(session: Session, *, invoice: Invoice, number: str, issued_on: date, by: User, now: datetime) -> Invoice:
    """Finance issued the invoice: its number (unique) and date."""
    number = "".join(number.split())[:MAX_NUMBER]
    if not number:
        raise RuleError("invoice_needs_number")
    _decide(session, invoice, by)
    if session.exec(select(Invoice.id).where(col(Invoice.number) == number)).first() is not None:
        raise RuleError("invoice_number_taken", number=number)
    invoice.status, invoice.number, invoice.issued_on = "issued", number, issued_on
    invoice.decided_by, invoice.decided_at = by.id, now
    session.add(invoice)
    session.flush()
    audit.record(session, by=by.id, action="invoice_issue", entity="invoice", entity_id=invoice.id, now=now,
                 after={"number": number, "issued_on": issued_on, "amount": invoice.amount,
                        "currency": invoice.currency})
    return invoice


def reject(session: Session, *, invoice: Invoice, reason: str, by: User, now: datetime) -> Invoice:
    """Finance refused the request, saying why (the seller asks again with what was wrong put right)."""
    reason = " ".join(reason.split())[:MAX_REASON]
    if not reason:
        raise RuleError("invoice_needs_reason")
    _decide(session, invoice, by)
    invoice.status, invoice.reason = "rejected", reason
    invoice.decided_by, invoice.decided_at = by.id, now
    session.add(invoice)
    audit.record(session, by=by.id, action="invoice_reject", entity="invoice", entity_id=invoice.id, now=now,
                 after={"reason": reason})
    return invoice


def find(session: Session, *, user: User, invoice_id: int) -> Invoice | None:
    """One invoice `user` may see."""
    return session.exec(select(Invoice).where(col(Invoice.id) == invoice_id, invoice_scope(user))).first()


def listing(session: Session, *, scope: ColumnElement[bool], status: str | None, limit: int = 50,
            offset: int = 0) -> tuple[list[Invoice], int]:
    """Invoices in scope (of one status, or all), oldest request first, and how many there are."""
    where = [scope] if status is None else [scope, col(Invoice.status) == status]
    total = session.exec(select(func.count()).select_from(Invoice).where(*where)).one()
    rows = session.exec(select(Invoice).where(*where).order_by(col(Invoice.requested_at), col(Invoice.id))
                        .offset(offset).limit(limit)).all()
    return list(rows), int(total)


def of_order(session: Session, order_id: int) -> list[Invoice]:
    """An order's invoices, oldest first."""
    return list(session.exec(select(Invoice).where(col(Invoice.order_id) == order_id).order_by(col(Invoice.id))))


def receivable_split(session: Session, *, scope: ColumnElement[bool]) -> dict[str, tuple[Decimal, Decimal]]:
    """Over the orders in scope with money still open, per currency: (invoiced, not invoiced) of what is open.

    What is open is invoiced as far as the issued invoices exceed what was paid: an order of 100 paid 30 with 50
    invoiced owes 70, of which 20 is invoiced and 50 not."""
    issued = (select(col(Invoice.order_id), func.sum(col(Invoice.amount)).label("inv"))
              .where(col(Invoice.status) == "issued").group_by(col(Invoice.order_id)).subquery())
    q = (select(col(SalesOrder.currency), col(SalesOrder.amount), col(SalesOrder.paid),
                func.coalesce(issued.c.inv, 0))
         .outerjoin(issued, issued.c.order_id == col(SalesOrder.id))
         .where(scope, col(SalesOrder.amount) > col(SalesOrder.paid)))
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for cur, amount, paid, inv in session.exec(q).all():
        owed = Decimal(str(amount)) - Decimal(str(paid))
        invoiced = min(max(Decimal(str(inv)) - Decimal(str(paid)), Decimal(0)), owed)
        a, b = out.get(str(cur), (Decimal(0), Decimal(0)))
        out[str(cur)] = (cents(a + invoiced), cents(b + owed - invoiced))
    return out
