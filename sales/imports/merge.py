"""Merging the rows of one customer, and what a merge changes on a customer already stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from sales.imports.plan import Job, shown
from sales.imports.rows import CUSTOMER_FIELDS, Rec
from sales.names.dedupe import chunks
from storage.models import Contact, Customer, User


def merge_values(rows: list[Rec]) -> dict[str, Any]:
    """A group's values: the first filled cell of each field wins; the latest contact date."""
    if len(rows) == 1:
        r = rows[0]
        return {**r.values, "last": r.last, "owner": r.owner}
    out: dict[str, Any] = {}
    for r in rows:
        for k, v in r.values.items():
            if k == "tags" and "tags" in out:
                out["tags"] = " ".join(dict.fromkeys(out["tags"].split() + v.split()))
            else:
                out.setdefault(k, v)
    lasts = [r.last for r in rows if r.last is not None]
    out["last"] = max(lasts) if lasts else None
    out["owner"] = next((r.owner for r in rows if r.owner is not None), None)
    return out


def _same_contact(a: dict[str, Any], b: dict[str, Any]) -> bool:
    for f in ("phone", "email"):
        if a.get(f) and a.get(f) == b.get(f) and f not in (a.get("flags") or ""):
            return True
    name_a, name_b = (a.get("contact") or "").casefold(), (b.get("contact") or "").casefold()
    return bool(name_a) and name_a == name_b and not (a.get("phone") and b.get("phone") and a["phone"] != b["phone"])


def merge_contacts(rows: list[Rec]) -> list[dict[str, Any]]:
    """A group's contacts: one per person, phone or email; later rows fill what earlier ones left empty."""
    if len(rows) == 1:
        return [dict(rows[0].contact)] if rows[0].contact is not None else []
    out: list[dict[str, Any]] = []
    for r in rows:
        c = r.contact
        if c is None:
            continue
        same = next((o for o in out if _same_contact(o, c)), None)
        if same is None:
            out.append(dict(c))
        else:
            for k, v in c.items():
                if v and not same.get(k):
                    same[k] = v
    return out


def contacts_of(session: Session, customer_ids: list[int]) -> dict[int, list[Contact]]:
    """The contacts of these customers, by customer."""
    out: dict[int, list[Contact]] = {}
    for part in chunks(sorted(customer_ids)):
        q = select(Contact).where(col(Contact.customer_id).in_(part)).order_by(col(Contact.id))
        for c in session.scalars(q).all():
            out.setdefault(c.customer_id, []).append(c)
    return out


def contact_changes(old: list[Contact], new: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                                              list[dict[str, Any]]]:
    """(contacts to create, updates of existing ones) for a customer already in the database."""
    created, updated = [], []
    for c in new:
        match = next((o for o in old if _same_contact(
            {"contact": o.name, "phone": o.phone, "email": o.email, "flags": o.flags}, c)), None)
        if match is None:
            created.append(c)
            continue
        change: dict[str, Any] = {}
        for f, attr in (("contact", "name"), ("title", "title"), ("phone", "phone"), ("email", "email")):
            v = c.get(f)
            if v and v != getattr(match, attr):
                change[attr] = v
        if change:
            if "phone" in change or "email" in change:
                change["flags"] = c.get("flags", "")
            change["id"] = match.id
            updated.append(change)
    return created, updated


def customer_change(cust: Customer, merged: dict[str, Any], now: datetime,
                    move_owner: bool = False) -> dict[str, Any] | None:
    """The columns a merge changes on an existing customer (the file's filled cells win), or None; another owner
    named in the file moves the customer only with `move_owner`."""
    change: dict[str, Any] = {}
    for f in CUSTOMER_FIELDS:
        v = merged.get(f)
        if v is None:
            continue
        if f == "tags":
            v = " ".join(dict.fromkeys(cust.tags.split() + v.split()))
        if v != getattr(cust, f):
            change[f] = v
    last = merged.get("last")
    if last is not None and (cust.last_contact_at is None or last > cust.last_contact_at):
        change["last_contact_at"] = last
    owner = merged.get("owner")
    if move_owner and owner is not None and owner.id != cust.owner_id:
        change["owner_id"], change["team_id"] = owner.id, owner.team_id
    if not change:
        return None
    change["updated_at"], change["id"] = now, cust.id
    return change


def customer_dict(c: Customer) -> dict[str, Any]:
    """The fields of a stored customer that a sample shows."""
    return {k: getattr(c, k) for k in ("name", "grade", "industry", "source", "past_revenue", "last_contact_at")}


def sample(job: Job, row: int, cust: dict[str, Any], contacts: list[dict[str, Any]], owner: User | None) -> None:
    """Add a row to the preview's ten samples, as it will be stored."""
    if len(job.plan.samples) >= 10:
        return
    first = contacts[0] if contacts else {}
    last = cust.get("last_contact_at")
    job.plan.samples.append({
        "row": str(row), "name": cust["name"], "grade": cust.get("grade") or "", "industry": cust.get("industry") or "",
        "owner": owner.name if owner else "", "contact": first.get("contact") or "", "phone": first.get("phone") or "",
        "past_revenue": shown(cust.get("past_revenue")),
        "last_contact": last.astimezone(job.tz).date().isoformat() if isinstance(last, datetime) else "",
    })
