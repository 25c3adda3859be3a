"""Customers and contacts: creation with the duplicate check, grades, tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from sales import audit
from sales.errors import RuleError
from sales.names import initials_key, name_key, pinyin_key
from sales.names.directory import customers_added, find_any_customer
from sales.names.index import Candidate
from sales.sources import canonical
from storage import locks
from storage.models import Contact, Customer, User

GRADES = ("A", "B", "C")
MAX_NAME = 200


@dataclass(eq=False)  # not frozen: contextlib sets __traceback__ on exceptions passing through
class DuplicateFound(Exception):
    """A customer or contact like the new one exists: the user must choose."""

    matches: tuple[Candidate, ...]


def check_name(name: str) -> str:
    """A customer name cleaned of outer space, or a refusal."""
    name = " ".join(name.split())
    if not name or not name_key(name):
        raise RuleError("empty_name")
    if len(name) > MAX_NAME:
        raise RuleError("name_too_long", limit=MAX_NAME)
    return name


def create_customer(
    session: Session, *, by: User, name: str, now: datetime, grade: str = "B", source: str | None = None,
    industry: str | None = None, tags: list[str] | None = None, owner: User | None = None, force: bool = False,
) -> Customer:
    """Create a customer, refusing a silent duplicate unless `force`."""
    name = check_name(name)
    grade = grade.upper()
    if grade not in GRADES:
        raise RuleError("bad_grade", grade=grade)
    locks.named(session, locks.DEDUPE)  # the check and the insert as one step among concurrent turns
    if not force:
        matches = find_any_customer(session, name=name)
        if matches:
            raise DuplicateFound(tuple(matches))
    owner = owner or by
    customer = Customer(
        team_id=owner.team_id, name=name, name_key=name_key(name), pinyin=pinyin_key(name),
        initials=initials_key(name), grade=grade, source=canonical(source), industry=industry,
        tags=" ".join(dict.fromkeys(t.lstrip("#") for t in tags or [] if t.lstrip("#"))),
        owner_id=owner.id or 0, created_at=now, updated_at=now,
    )
    session.add(customer)
    session.flush()
    customers_added(session)
    audit.record(session, by=by.id, action="create", entity="customer", entity_id=customer.id, now=now,
                 after={"name": name, "grade": grade, "source": source, "owner_id": customer.owner_id})
    return customer


def set_grade(session: Session, *, by: User, customer: Customer, grade: str, now: datetime) -> None:
    """Change a customer's grade (which sets its follow-up cadence)."""
    grade = grade.upper()
    if grade not in GRADES:
        raise RuleError("bad_grade", grade=grade)
    before = customer.grade
    customer.grade, customer.updated_at = grade, now
    session.add(customer)
    audit.record(session, by=by.id, action="update", entity="customer", entity_id=customer.id, now=now,
                 before={"grade": before}, after={"grade": grade})


def add_tags(session: Session, *, by: User, customer: Customer, tags: list[str], now: datetime) -> list[str]:
    """Add tags to a customer; returns all its tags."""
    clean = [t.lstrip("#").strip() for t in tags if t.lstrip("#").strip()]
    if not clean:
        raise RuleError("no_tags")
    before = customer.tags
    merged = list(dict.fromkeys(customer.tags.split() + clean))
    customer.tags, customer.updated_at = " ".join(merged), now
    session.add(customer)
    audit.record(session, by=by.id, action="update", entity="customer", entity_id=customer.id, now=now,
                 before={"tags": before}, after={"tags": customer.tags})
    return merged


def normalize_phone(raw: str, region: str = "CN") -> str | None:
    """The phone in E.164, or None when it is not a valid number."""
    import phonenumbers  # a few hundredths of a second: at the first phone, not at every start

    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$"
)


def valid_email(raw: str) -> str | None:
    """The email address in lower case, or None when it is not one (li.wei@acme.com; not li@acme, a@b..com)."""
    text = raw.strip()
    return text.lower() if len(text) <= 254 and _EMAIL.match(text) else None


def add_contact(
    session: Session, *, by: User, customer: Customer, name: str, title: str | None, phone: str | None,
    email: str | None, now: datetime, force: bool = False,
) -> Contact:
    """Add a contact to a customer, refusing a silent duplicate phone or email unless `force`."""
    name = " ".join(name.split())
    if not name:
        raise RuleError("empty_name")
    locks.named(session, locks.DEDUPE)
    if not force and (phone or email):
        conds = []
        if phone:
            conds.append(col(Contact.phone) == phone)
        if email:
            conds.append(col(Contact.email) == email)
        same = session.exec(select(Contact).where(or_(*conds)).limit(3)).all()
        if same:
            raise DuplicateFound(tuple(Candidate(id=c.id or 0, name=c.name, score=100.0, how="exact")
                                       for c in same))
    contact = Contact(customer_id=customer.id or 0, name=name, title=title, phone=phone, email=email,
                      consent_basis="contract", consent_at=now, created_at=now)
    session.add(contact)
    session.flush()
    audit.record(session, by=by.id, action="create", entity="contact", entity_id=contact.id, now=now,
                 after={"customer_id": customer.id})
    return contact
