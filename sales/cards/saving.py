"""A business card read in chat, kept as a CardScan until the rep decides: saved as a customer's contact (the
photo kept with it), dismissed (the photo dropped), or left undecided and forgotten after `KEEP_UNDECIDED`."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from sales import audit, customers
from sales.cards.types import FIELD_NAMES, CardReading
from sales.errors import RuleError
from sales.names.directory import find_any_customer
from sales.names.index import Candidate
from storage.cards import DISMISSED, SAVED, UNDECIDED, CardScan
from storage.models import Contact, Customer, User

KEEP_UNDECIDED = timedelta(days=2)
MAX_FIELD = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ContactExists(customers.DuplicateFound):
    """A contact with the card's phone or email exists: the rep must choose to add it anyway."""


@dataclass(frozen=True)
class Saved:
    """What saving a card did."""

    customer: Customer
    contact: Contact
    new_customer: bool


def new_scan(session: Session, *, by: User, platform: str, workspace: str, chat: str, reading: CardReading,
             image: bytes, mime: str, now: datetime) -> CardScan:
    """Keep a card just read, undecided, with its photo."""
    doc = {"fields": reading.fields.as_dict(), "confidence": round(reading.confidence, 3)}
    scan = CardScan(user_id=by.id or 0, platform=platform, workspace=workspace, chat=chat,
                    reading=json.dumps(doc, ensure_ascii=False), image=image, mime=mime or "image/jpeg",
                    state=UNDECIDED, created_at=now)
    session.add(scan)
    session.flush()
    return scan


def fields_of(scan: CardScan) -> dict[str, str | None]:
    """The card's fields as read, then as edited, by name (FIELD_NAMES)."""
    try:
        doc: Any = json.loads(scan.reading)
    except ValueError:
        doc = {}
    got = doc.get("fields", {}) if isinstance(doc, dict) else {}
    return {name: (got.get(name) or None) if isinstance(got, dict) else None for name in FIELD_NAMES}


def open_scan(session: Session, *, scan_id: int, by: User) -> CardScan:
    """The speaker's own undecided scan, else a refusal (another person's, decided, or forgotten)."""
    scan = session.get(CardScan, scan_id)
    if scan is None or scan.user_id != by.id or scan.state != UNDECIDED:
        raise RuleError("card_gone")
    return scan


def clean_value(field: str, value: str, region: str = "CN") -> str | None:
    """A field's new value as stored ("-" or nothing clears it), or a refusal of a bad phone or email."""
    value = " ".join(value.split())
    if value in ("", "-", "—"):
        return None
    if len(value) > MAX_FIELD:
        raise RuleError("text_too_long", limit=MAX_FIELD)
    if field == "mobile":
        phone = customers.normalize_phone(value, region)
        if phone is None:
            raise RuleError("bad_phone", phone=value)
        return phone
    if field == "phone":
        if sum(ch.isdigit() for ch in value) < 5:
            raise RuleError("bad_phone", phone=value)
        return value
    if field == "email":
        if not _EMAIL.match(value):
            raise RuleError("bad_email", email=value)
        return value.lower()
    return value


def set_field(session: Session, *, scan: CardScan, field: str, value: str, region: str = "CN") -> str | None:
    """Change one field of an undecided scan; returns the value kept."""
    if field not in FIELD_NAMES:
        raise RuleError("unknown_field", field=field)
    kept = clean_value(field, value, region)
    try:
        doc: Any = json.loads(scan.reading)
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    fields = {**fields_of(scan), field: kept}
    doc["fields"] = fields
    doc["edited"] = sorted({*doc.get("edited", []), field})
    scan.reading = json.dumps(doc, ensure_ascii=False)
    session.add(scan)
    return kept


def customer_matches(session: Session, *, scan: CardScan) -> list[Candidate]:
    """Customers (anyone's) the card's company looks like: the duplicate check of /customer add."""
    company = fields_of(scan)["company"]
    return find_any_customer(session, name=company) if company else []


def save(session: Session, *, by: User, scan: CardScan, now: datetime, region: str = "CN",
         customer: Customer | None = None, new_customer: bool = False, force_contact: bool = False) -> Saved:
    """Save the card: the contact is added to `customer`, or to a new customer named after the card's company
    (refused with DuplicateFound when one like it exists, unless `new_customer`). The photo stays with the scan,
    which now points at the contact."""
    f = fields_of(scan)
    if not f["person"]:
        raise RuleError("card_needs", field="person")
    created = customer is None
    if customer is None:
        if not f["company"]:
            raise RuleError("card_needs", field="company")
        customer = customers.create_customer(session, by=by, name=f["company"], source="card", now=now,
                                             force=new_customer)
    mobile = customers.normalize_phone(f["mobile"], region) if f["mobile"] else None
    landline = (customers.normalize_phone(f["phone"], region) or f["phone"]) if f["phone"] else None
    phone = mobile or (landline if landline and landline.startswith("+") else None)
    try:
        contact = customers.add_contact(session, by=by, customer=customer, name=f["person"], title=f["title"],
                                        phone=phone, email=f["email"], now=now, force=force_contact)
    except customers.DuplicateFound as dup:
        raise ContactExists(dup.matches) from None
    contact.landline = landline if landline != phone else None
    contact.address = f["address"]
    session.add(contact)
    scan.state, scan.customer_id, scan.contact_id, scan.decided_at = SAVED, customer.id, contact.id, now
    session.add(scan)
    session.flush()
    audit.record(session, by=by.id, action="card.save", entity="contact", entity_id=contact.id, now=now,
                 after={"customer_id": customer.id, "card": scan.id, "new_customer": created})
    return Saved(customer=customer, contact=contact, new_customer=created)


def dismiss(session: Session, *, scan: CardScan, now: datetime) -> None:
    """Not a card, or not wanted: the photo and what it read are dropped at once."""
    scan.state, scan.image, scan.reading, scan.decided_at = DISMISSED, None, "{}", now
    session.add(scan)


def forget_undecided(session: Session, now: datetime) -> int:
    """Delete the scans nobody decided on within KEEP_UNDECIDED (run by the clock); how many went."""
    result = session.execute(delete(CardScan).where(col(CardScan.state) == UNDECIDED,
                                                    col(CardScan.created_at) < now - KEEP_UNDECIDED))
    return int(getattr(result, "rowcount", 0) or 0)


def scans_of(session: Session, *, contact_ids: Sequence[int], scan_ids: Sequence[int] = ()) -> list[CardScan]:
    """The scans saved with these contacts, and these scans: what a privacy export lists and an erasure deletes."""
    conds = []
    if contact_ids:
        conds.append(col(CardScan.contact_id).in_(list(contact_ids)))
    if scan_ids:
        conds.append(col(CardScan.id).in_(list(scan_ids)))
    if not conds:
        return []
    return list(session.exec(select(CardScan).where(or_(*conds)).order_by(col(CardScan.id))).all())
