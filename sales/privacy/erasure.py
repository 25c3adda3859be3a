"""A person's data on request (PIPL arts. 45 and 47): everything stored about them, or its erasure everywhere.

Both walk every text column of every table (but the company's own people and settings), so a table added
later is covered without being named here.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, String, Table, delete, insert, or_, select, update
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as select_rows

from sales import audit
from sales.cards.saving import scans_of
from sales.names import initials_key, name_key, pinyin_key
from sales.names.dedupe import company_key
from sales.names.directory import bump_names
from sales.privacy import ERASED, Person, needle_pattern, needles, retention_of, same_person
from storage.models import AuditUnlock, CardScan, Contact, Customer, ImportBatch, Lead, User

# The company's own people, settings and machinery keys: not data about the people sold to.
SKIP_TABLES = frozenset({"user", "team", "invite", "stage", "chatidentity", "counter", "ratewindow", "processedevent",
                         "auditunlock", "leadscoring", "tickettarget", "alembic_version"})
# Identity columns of other contacts and leads: a namesake keeps their own name.
_OWN_ROWS_ONLY = {("contact", "name"), ("contact", "phone"), ("contact", "email"), ("lead", "person"),
                  ("lead", "phone"), ("lead", "email")}


@dataclass
class Found:
    """Where a person appears: their contact and lead rows, and every other mention."""

    needles: list[str]
    contacts: list[Contact]
    leads: list[Lead]
    mentions: list[tuple[str, dict[str, Any], str, str]] = field(default_factory=list)  # table, key, column, value

    def counts(self) -> Counter[str]:
        """Rows per table that hold something of the person."""
        out: Counter[str] = Counter({"contact": len(self.contacts), "lead": len(self.leads)})
        seen = {(t, tuple(sorted(k.items()))) for t, k, _, _ in self.mentions}
        for t, _ in seen:
            out[t] += 1
        return +out


def _is_text(kind: Any) -> bool:
    """A column type that holds text (SQLModel's AutoString is a decorator around String)."""
    return isinstance(kind, String) or (isinstance(kind, TypeDecorator) and isinstance(kind.impl_instance, String))


def text_columns() -> list[tuple[Table, list[Any]]]:
    """Every table we store people's data in, with its text columns (keys excluded)."""
    out = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in SKIP_TABLES:
            continue
        cols = [c for c in table.columns if _is_text(c.type) and not c.primary_key]
        if cols:
            out.append((table, cols))
    return out


def find(session: Session, person: Person) -> Found:
    """Every place this person is stored or mentioned."""
    contacts, leads = same_person(session, person)
    words = needles([person.name, *(c.name for c in contacts), *(x.person for x in leads)],
                    [person.phone, *(c.phone for c in contacts), *(x.phone for x in leads)],
                    [person.email, *(c.email for c in contacts), *(x.email for x in leads)])
    found = Found(needles=words, contacts=contacts, leads=leads)
    if not words:
        return found
    pattern = needle_pattern(words)
    own = {("contact", c.id) for c in contacts} | {("lead", x.id) for x in leads}
    for table, cols in text_columns():
        keys = list(table.primary_key.columns)
        hit: list[ColumnElement[bool]] = [c.icontains(w, autoescape=True) for c in cols for w in words]
        for row in session.execute(select(*keys, *cols).where(or_(*hit))).mappings():
            key = {k.name: row[k.name] for k in keys}
            for c in cols:
                value = row[c.name]
                if not isinstance(value, str) or not pattern.search(value):
                    continue
                if (table.name, c.name) in _OWN_ROWS_ONLY and (table.name, key.get("id")) not in own:
                    continue
                found.mentions.append((table.name, key, c.name, value))
    return found


def _card_scans(session: Session, found: Found) -> list[CardScan]:
    """The business card photos of the person: saved with their contacts, or still undecided and naming them."""
    return scans_of(session, contact_ids=[c.id for c in found.contacts if c.id is not None],
                    scan_ids=[int(k["id"]) for t, k, _, _ in found.mentions if t == "cardscan"])


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _row(obj: SQLModel) -> dict[str, Any]:
    table: Table = getattr(obj, "__table__")  # noqa: B009
    return {c.name: _plain(getattr(obj, c.name)) for c in table.columns if not isinstance(c.type, LargeBinary)}


def export(session: Session, *, person: Person, by: User, now: datetime) -> bytes:
    """A JSON file of everything stored about the person, with each record's legal basis and retention date."""
    found = find(session, person)
    contacts = []
    for c in found.contacts:
        row = _row(c)
        row["retention_effective"] = retention_of(c.created_at, c.retention_until).isoformat()
        contacts.append(row)
    leads = []
    for x in found.leads:
        row = _row(x)
        row["retention_effective"] = retention_of(x.created_at, x.retention_until).isoformat()
        leads.append(row)
    mentions: dict[str, list[dict[str, Any]]] = {}
    for table, key, column, value in found.mentions:
        if table in ("contact", "lead"):
            continue  # already whole above
        mentions.setdefault(table, []).append({**{k: _plain(v) for k, v in key.items()}, "column": column,
                                               "value": value})
    cards = [{**_row(scan), "image_base64": base64.b64encode(scan.image).decode("ascii") if scan.image else None}
             for scan in _card_scans(session, found)]
    doc = {"subject": {"kind": person.kind, "id": person.id, "name": person.name, "phone": person.phone,
                       "email": person.email},
           "generated_at": now.isoformat(), "contacts": contacts, "leads": leads, "mentions": mentions,
           "business_cards": cards}
    audit.record(session, by=by.id, action="privacy.export", entity=person.kind, entity_id=person.id, now=now,
                 after={"records": sum(found.counts().values())})
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _file_mentions(data: bytes, words: list[str]) -> bool:
    """Whether a kept upload (csv, or the XML parts of an xlsx) holds one of the words."""
    texts = [data]
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                texts = [z.read(n) for n in z.namelist() if n.endswith(".xml")]
        except (zipfile.BadZipFile, OSError):
            return False
    lowered = [t.decode("utf-8", "ignore").lower() for t in texts]
    return any(w.lower() in t for w in words for t in lowered)


def erase(session: Session, *, person: Person, by: User, now: datetime) -> Counter[str]:
    """Remove the person everywhere: their contact rows go, their leads and every mention are anonymized,
    the audit log's values included; one audit entry says that an erasure happened, and nothing of them."""
    found = find(session, person)
    pattern = needle_pattern(found.needles)
    unlock: Table = getattr(AuditUnlock, "__table__")  # noqa: B009
    session.execute(insert(unlock).values(reason=f"privacy.erase {person.kind} {person.id}", at=now))
    touched: set[tuple[str, tuple[Any, ...]]] = set()
    contact_ids = [c.id for c in found.contacts]
    for table, key, column, value in found.mentions:
        if table == "contact" and key.get("id") in contact_ids:
            continue  # the row itself goes below
        tbl = SQLModel.metadata.tables[table]
        new = None if table == "lead" and column in ("person", "phone", "email") else pattern.sub(ERASED, value)
        session.execute(update(tbl).where(*[tbl.c[k] == v for k, v in key.items()]).values({column: new}))
        touched.add((table, tuple(sorted(key.items()))))
    scans = _card_scans(session, found)
    if scans:  # the photos go whole, before the contacts they were saved with
        session.execute(delete(CardScan).where(col(CardScan.id).in_([x.id for x in scans])))
        touched |= {("cardscan", (("id", x.id),)) for x in scans}
    if contact_ids:
        session.execute(delete(Contact).where(col(Contact.id).in_(contact_ids)))
        touched |= {("contact", (("id", i),)) for i in contact_ids}
    session.expire_all()
    for lead in found.leads:
        row = session.get(Lead, lead.id)
        if row is not None:
            row.person = row.phone = row.email = None
            row.flags = " ".join(sorted(set(row.flags.split()) | {"erased"}))
            row.company_key = company_key(row.company)
            row.updated_at = now
            session.add(row)
            touched.add(("lead", (("id", lead.id),)))
    renamed = {k["id"] for t, k, c, _ in found.mentions if t == "customer" and c == "name"}
    for cid in renamed:
        cust = session.get(Customer, cid)
        if cust is not None:
            cust.name_key, cust.pinyin, cust.initials = name_key(cust.name), pinyin_key(cust.name), initials_key(cust.name)
            session.add(cust)
    if renamed:
        bump_names(session)
    for batch in session.exec(select_rows(ImportBatch).where(col(ImportBatch.status) == "pending")).all():
        if batch.data is not None and _file_mentions(batch.data, found.needles):
            batch.status, batch.data = "cancelled", None
            session.add(batch)
            touched.add(("importbatch", (("id", batch.id),)))
    session.flush()
    session.execute(delete(unlock))
    changed = Counter(t for t, _ in touched)
    audit.record(session, by=by.id, action="privacy.erase", entity=person.kind, entity_id=person.id, now=now,
                 after={"rows": dict(changed)})
    return changed
