"""Personal information (PIPL): masking for group chats, finding a person, legal basis and retention."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlmodel import Session, col, select

from sales import audit
from sales.errors import RuleError
from storage.models import Contact, Lead, User

DEFAULT_RETENTION = timedelta(days=3 * 365)  # a record without its own retention date is kept this long
BASES = ("consent", "contract")
ERASED = "[erased]"

# What a phone looks like inside free text, digits grouped by spaces or dashes, an area code maybe in parentheses:
# international (+8613812345678, +86 138 0013 8000, +1 (415) 555-0101), a CN mobile (138-1234-5678), a landline
# with its area code (021-12345678, (021) 6234 5678), a North American number (415-555-0101). Amounts (120,000),
# dates (2026-11-22), percentages and references (#12) are none of these. Only digits (and # +) bind to a number:
# 电话13812345678 and _13812345678_ (italics) are phones too.
_NO_DATE = r"(?!\d{4}-\d\d?-\d\d?(?!\d))"  # where a group of an international number starts: never a date
_PHONE = re.compile(
    r"(?<![\d#+])(?:"
    r"\+" + _NO_DATE + r"\d{1,3}(?:[ -]?\(\d{1,4}\))?(?:[ -]?" + _NO_DATE + r"\d++){1,6}"  # whole groups: no backtracking
    r"|\(0?\d{2,4}\)[ -]?\d{3,4}[ -]?\d{4}"
    r"|1[3-9]\d[ -]?\d{4}[ -]?\d{4}"
    r"|0\d{2,3}[ -]\d{3,4}[ -]?\d{4}"
    r"|[2-9]\d{2}-\d{3}-\d{4}"
    r")(?!\d)"
)
_EMAIL = re.compile(r"([\w.+-])(?:\\?[\w.+-])*@([\w-]+(?:\.[\w-]+)+)")  # the local part may carry markup escapes


def mask_phone(phone: str, star: str = "*") -> str:
    """138****1234: the first three digits of the number and its last four."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return phone
    head = "+" if phone.startswith("+") else ""
    # +86 138****1234 keeps the country code; a run longer than any phone keeps no more than 3 digits in front.
    keep = 3 + (len(digits) - 11 if head and 11 < len(digits) <= 15 else 0)
    return f"{head}{digits[:keep]}{star * 4}{digits[-4:]}"


def mask_text(text: str, star: str = "*") -> str:
    """`text` with every phone number and email address masked (z***@example.com); `star` is `\\*` in markup."""
    text = _PHONE.sub(lambda m: mask_phone(m.group(0), star), text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}{star * 3}@{m.group(2)}", text)


def has_phone(text: str) -> bool:
    """Whether `text` shows a phone number that mask_text would mask."""
    return any(sum(ch.isdigit() for ch in m.group(0)) >= 7 for m in _PHONE.finditer(text))


@dataclass(frozen=True)
class Person:
    """Someone whose personal information is stored: as a contact or as a lead."""

    kind: Literal["contact", "lead"]
    id: int
    name: str | None
    phone: str | None
    email: str | None
    label: str  # how to show it: name · company


def _person_of_contact(c: Contact) -> Person:
    return Person("contact", c.id or 0, c.name or None, c.phone, c.email, c.name)


def _person_of_lead(lead: Lead) -> Person:
    return Person("lead", lead.id or 0, lead.person, lead.phone, lead.email, f"{lead.person or ''} · {lead.company}")


def get_person(session: Session, kind: str, num: int) -> Person | None:
    """The contact (kind "c") or lead (kind "l") with this number."""
    if kind == "c":
        c = session.get(Contact, num)
        return _person_of_contact(c) if c else None
    lead = session.get(Lead, num)
    return _person_of_lead(lead) if lead else None


def find_people(session: Session, query: str, *, region: str = "CN", limit: int = 8) -> list[Person]:
    """Contacts and leads a query names: `c:12`, `l:7`, a phone, an email, or a name (exact, any case)."""
    q = query.strip()
    ref = re.fullmatch(r"([cl]):?#?(\d{1,9})", q, flags=re.I)
    if ref:
        one = get_person(session, ref.group(1).lower(), int(ref.group(2)))
        return [one] if one else []
    if "@" in q:
        c_cond, l_cond = func.lower(col(Contact.email)) == q.lower(), func.lower(col(Lead.email)) == q.lower()
    elif sum(ch.isdigit() for ch in q) >= 7:
        forms = phone_forms(q, region)
        c_cond, l_cond = col(Contact.phone).in_(forms), col(Lead.phone).in_(forms)
    else:
        c_cond, l_cond = func.lower(col(Contact.name)) == q.lower(), func.lower(col(Lead.person)) == q.lower()
    found = [_person_of_contact(c) for c in session.exec(select(Contact).where(c_cond).limit(limit)).all()]
    found += [_person_of_lead(x) for x in session.exec(select(Lead).where(l_cond).limit(limit)).all()]
    if found and ("@" in q or sum(ch.isdigit() for ch in q) >= 7):
        return found[:1]  # one phone or email is one person: their other rows come with them (same_person)
    return found[:limit]


def phone_forms(phone: str, region: str = "CN") -> list[str]:
    """The ways a phone may be stored or typed: as given, E.164, national digits, 3-4-4 groups."""
    import phonenumbers  # a few hundredths of a second: at the first phone, not at every start

    forms = {phone.strip()}
    try:
        num = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return sorted(forms)
    national = phonenumbers.national_significant_number(num)
    forms |= {phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164), national}
    if len(national) == 11:
        forms |= {f"{national[:3]} {national[3:7]} {national[7:]}", f"{national[:3]}-{national[3:7]}-{national[7:]}"}
    return sorted(f for f in forms if f)


def same_person(session: Session, person: Person) -> tuple[list[Contact], list[Lead]]:
    """Every contact and lead row of this person: the one named, and those with the same phone or email."""
    phones = phone_forms(person.phone) if person.phone else []
    emails = [person.email.lower()] if person.email else []
    c_conds: list[ColumnElement[bool]] = [col(Contact.id) == person.id] if person.kind == "contact" else []
    l_conds: list[ColumnElement[bool]] = [col(Lead.id) == person.id] if person.kind == "lead" else []
    if phones:
        c_conds.append(col(Contact.phone).in_(phones))
        l_conds.append(col(Lead.phone).in_(phones))
    if emails:
        c_conds.append(func.lower(col(Contact.email)).in_(emails))
        l_conds.append(func.lower(col(Lead.email)).in_(emails))
    contacts = list(session.exec(select(Contact).where(or_(*c_conds))).all()) if c_conds else []
    leads = list(session.exec(select(Lead).where(or_(*l_conds))).all()) if l_conds else []
    return contacts, leads


def retention_of(created_at: datetime, retention_until: datetime | None) -> datetime:
    """The date a record's personal data is due for review: its own, or the default after its creation."""
    return retention_until or created_at + DEFAULT_RETENTION


def set_basis(
    session: Session, *, person: Person, basis: str, channel: str | None, until: datetime | None, by: User,
    now: datetime,
) -> None:
    """Record the legal basis (consent with its time and channel, or a contract) and the retention date."""
    if basis not in BASES:
        raise RuleError("bad_basis", basis=basis)
    if basis == "consent" and not channel:
        raise RuleError("consent_needs_channel")
    if until is not None and until <= now:
        raise RuleError("date_in_past", date=until.date().isoformat())
    row: Contact | Lead | None = (session.get(Contact, person.id) if person.kind == "contact"
                                  else session.get(Lead, person.id))
    if row is None:
        raise RuleError("not_found")
    before = {"basis": row.consent_basis, "channel": row.consent_channel, "consent_at": row.consent_at,
              "retention_until": row.retention_until}
    row.consent_basis, row.consent_channel = basis, (channel or None)
    row.consent_at = now if basis == "consent" else row.consent_at
    if until is not None:
        row.retention_until, row.retention_flagged_at = until, None
    session.add(row)
    audit.record(session, by=by.id, action="privacy.basis", entity=person.kind, entity_id=person.id, now=now,
                 before=before, after={"basis": basis, "channel": row.consent_channel, "consent_at": row.consent_at,
                                       "retention_until": row.retention_until})


def flag_past_retention(session: Session, now: datetime) -> int:
    """The daily job: mark contacts and leads whose retention date has passed (once each); how many."""
    cutoff = now - DEFAULT_RETENTION
    total = 0
    for table in (Contact, Lead):
        due = or_(col(table.retention_until) < now,
                  and_(col(table.retention_until).is_(None), col(table.created_at) < cutoff))
        result = session.execute(update(table).where(col(table.retention_flagged_at).is_(None), due)
                                 .values(retention_flagged_at=now))
        total += int(getattr(result, "rowcount", 0) or 0)
    if total:
        audit.record(session, by=None, action="privacy.flag", entity="retention", entity_id=None, now=now,
                     after={"records": total})
    return total


def flagged(session: Session, *, limit: int = 20) -> list[Person]:
    """Contacts and leads past retention, oldest flag first."""
    out = [_person_of_contact(c) for c in session.exec(
        select(Contact).where(col(Contact.retention_flagged_at).is_not(None))
        .order_by(col(Contact.retention_flagged_at)).limit(limit)).all()]
    out += [_person_of_lead(x) for x in session.exec(
        select(Lead).where(col(Lead.retention_flagged_at).is_not(None))
        .order_by(col(Lead.retention_flagged_at)).limit(limit)).all()]
    return out[:limit]


def needles(names: list[str | None], phones: list[str | None], emails: list[str | None]) -> list[str]:
    """The strings that identify a person in free text: names, every form of their phones, emails."""
    out: set[str] = set()
    for name in names:
        if name and len(name.strip()) >= 2:
            out.add(name.strip())
    for phone in phones:
        if phone:
            out |= {f for f in phone_forms(phone) if sum(ch.isdigit() for ch in f) >= 7}
    for email in emails:
        if email:
            out.add(email.strip().lower())
    escaped = {json.dumps(n)[1:-1] for n in out}  # as json.dumps with ensure_ascii writes them
    return sorted(out | escaped, key=len, reverse=True)


def needle_pattern(words: list[str]) -> re.Pattern[str]:
    """One case-insensitive pattern of all needles; a Latin word or a number only as a whole word."""
    parts = []
    for w in words:
        p = re.escape(w)
        if re.match(r"[A-Za-z0-9+]", w):
            p = r"(?<![A-Za-z0-9])" + p
        if re.search(r"[A-Za-z0-9]$", w):
            p += r"(?![A-Za-z0-9])"
        parts.append(p)
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)
