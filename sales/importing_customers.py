"""Planning a customer sheet: rows read, duplicates merged, look-alikes listed, writes prepared."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from sales.customers import MAX_NAME
from sales.importing_match import (
    Groups,
    bulk_insert,
    bulk_update,
    chunks,
    customers_by_contact,
    customers_by_key,
    merge_key,
    reserve_ids,
    rows_by_id,
    suspects,
)
from sales.importing_plan import Job, Progress, RowReader, RowResult, Suspect, shown
from sales.importing_read import BadFile
from sales.importing_values import Issue

# _romanize gives pinyin and initials in one pass: pinyin_key + initials_key would romanize twice.
from sales.names import _romanize, name_key
from storage.models import Contact, Customer, User

CUSTOMER_FIELDS = ("industry", "size", "source", "grade", "tags", "needs", "status", "past_revenue")
CONTACT_FIELDS = ("contact", "title", "phone", "email")
MAX_OLD_FOR_SUSPECTS = 300_000


@dataclass(slots=True)
class Rec:
    """One accepted row of a customer sheet."""

    i: int
    row: int
    name: str
    key: str  # merge key
    nkey: str  # names.name_key, computed once (it is the costly part of a row)
    values: dict[str, Any]
    last: datetime | None
    owner: User | None
    contact: dict[str, Any] | None
    phone_ok: str | None = None
    email_ok: str | None = None


@dataclass
class Group:
    """Rows that are one customer, and the customer they become or merge into."""

    head: int
    members: list[int] = field(default_factory=list)
    db_id: int | None = None


def read_rows(job: Job) -> list[Rec]:
    """Read every row; rejected rows are recorded on the plan."""
    rr = RowReader(job)
    if not rr.has("name"):
        raise BadFile("no_name_column", headers="、".join(str(h) for h in job.table.headers if h not in (None, ""))[:300])
    plan, recs = job.plan, []
    first = job.table.first_row
    want_contact = any(rr.has(f) for f in CONTACT_FIELDS)
    has_owner = rr.has("owner")
    for i, row in enumerate(job.table.rows):
        job.tick(i + 1, "read")
        cells = rr.cells(i, row)
        if not cells:
            plan.blank_rows += 1
            continue
        rejects: list[Issue] = []
        flags: list[Issue] = []
        name = rr.read(cells, "name", rejects, flags)
        nkey = name_key(name) if name else ""
        key = merge_key(nkey)
        if not name or not key:
            rejects.insert(0, Issue("no_name"))
        elif len(name) > MAX_NAME:
            rejects.insert(0, Issue("name_too_long", value=name[:60]))
        vals = {f: rr.read(cells, f, rejects, flags) for f in CUSTOMER_FIELDS if f in cells}
        last = rr.read(cells, "last_contact", rejects, flags)
        contact = None
        if want_contact:
            c = {f: rr.read(cells, f, rejects, flags) for f in CONTACT_FIELDS if f in cells}
            if any(v is not None for v in c.values()):
                contact = c
        owner = None
        if has_owner and "owner" in cells:
            owner_name = rr.read(cells, "owner", rejects, flags)
            if owner_name:
                owner, problem = job.owners.match(owner_name)
                if problem:
                    flags.append(Issue(problem, rr.index["owner"].header, owner_name))
        if rejects:
            plan.results.append(RowResult(first + i, "rejected", reasons=rejects))
            continue
        plan.flagged += [(first + i, f) for f in flags]
        for f in flags:
            if f.code in ("unknown_owner", "ambiguous_owner"):
                plan.unknown_owners[f.value] += 1
        rec = Rec(i=i, row=first + i, name=" ".join(name.split()), key=key, nkey=nkey,
                  values={k: v for k, v in vals.items() if v is not None},
                  last=job.to_utc(last) if last is not None else None, owner=owner, contact=contact)
        if contact is not None:
            flagged = {f.code for f in flags}
            phone, mail = contact.get("phone"), contact.get("email")
            rec.phone_ok = phone if phone and not flagged & {"bad_phone", "email_in_phone"} else None
            rec.email_ok = mail if mail and "bad_email" not in flagged else None
            contact["flags"] = " ".join(sorted(
                {"phone" for f in flags if f.code in ("bad_phone", "email_in_phone")}
                | {"email" for f in flags if f.code == "bad_email"}))
        recs.append(rec)
    return recs


def group_rows(session: Session, recs: list[Rec]) -> tuple[Groups, dict[int, int]]:
    """Join rows with one key, phone or email; find the existing customer each group is (head → id)."""
    groups = Groups(len(recs))
    first: dict[tuple[str, str], int] = {}
    for idx, r in enumerate(recs):
        for sig in (("k", r.key), ("p", r.phone_ok), ("e", r.email_ok)):
            if sig[1]:
                j = first.setdefault((sig[0], sig[1]), idx)
                if j != idx:
                    groups.union(idx, j)
    by_key = customers_by_key(session, (r.key for r in recs))
    by_contact = customers_by_contact(session, (r.phone_ok for r in recs if r.phone_ok),
                                      (r.email_ok for r in recs if r.email_ok))
    found: dict[int, int] = {}
    for idx, r in enumerate(recs):
        head = groups.find(idx)
        hit = by_key.get(r.key)
        if hit is not None and (head not in found or found[head] not in by_key.values()):
            found[head] = hit
        elif head not in found:
            hit = by_contact.get(r.phone_ok or "") or by_contact.get(r.email_ok or "")
            if hit is not None:
                found[head] = hit
    return groups, found


def find_suspects(job: Job, recs: list[Rec], groups: Groups, found: dict[int, int],
                  pinyin: dict[int, tuple[str, str]]) -> None:
    """List look-alike names (not the same key) and merge those the user chose."""
    session, opts = job.session, job.options
    heads = sorted({groups.find(i) for i in range(len(recs))})
    new = [(h, recs[h].name, recs[h].key, pinyin[h][0]) for h in heads if h not in found]
    old: list[tuple[int, str, str, str]] = []
    total = session.execute(select(func.count()).select_from(Customer)).scalar_one()
    if new and 0 < total <= MAX_OLD_FOR_SUSPECTS:
        q = select(col(Customer.id), col(Customer.name), col(Customer.name_key), col(Customer.pinyin))
        old = [(int(i), n, merge_key(k), p) for i, n, k, p in session.execute(q).all()]
    old_names = {i: n for i, n, _, _ in old}
    for a, b, b_old in suspects(new, old):
        s = Suspect(number=len(job.plan.suspects) + 1, row=recs[a].row, name=recs[a].name,
                    other=old_names[b] if b_old else recs[b].name,
                    other_row=None if b_old else recs[b].row, other_id=b if b_old else None)
        s.merged = opts.merge_all or s.number in opts.merge
        job.plan.suspects.append(s)
        if not s.merged:
            continue
        ha = groups.find(a)
        if b_old:
            found.setdefault(ha, b)
        else:
            hb = groups.find(b)
            target = found.get(ha, found.get(hb))
            groups.union(ha, hb)
            if target is not None:
                found[groups.find(ha)] = target


def plan_customers(job: Job) -> None:
    """Plan a customer sheet: creates, merges and updates, without writing."""
    session, plan, by, now = job.session, job.plan, job.by, job.now
    recs = read_rows(job)
    groups, found = group_rows(session, recs)
    pinyin: dict[int, tuple[str, str]] = {}
    for idx in range(len(recs)):
        if groups.find(idx) == idx and idx not in found:
            pinyin[idx] = _romanize(recs[idx].nkey)
    find_suspects(job, recs, groups, found, pinyin)
    members: dict[int, list[int]] = {}
    for idx in range(len(recs)):
        members.setdefault(groups.find(idx), []).append(idx)
    for head in members:
        if head not in found and head not in pinyin:
            pinyin[head] = _romanize(recs[head].nkey)
    existing = rows_by_id(session, Customer, {found[h] for h in members if h in found})
    old_contacts = _contacts_of(session, list(existing))
    new_customers: list[dict[str, Any]] = []
    new_contacts: list[tuple[int | None, int, dict[str, Any]]] = []  # (db customer id, new index, contact)
    cust_updates: list[dict[str, Any]] = []
    contact_updates: list[dict[str, Any]] = []
    for head in sorted(members):
        ids = members[head]
        head_rec = recs[head]
        merged = _merge_values([recs[i] for i in ids])
        contacts = _merge_contacts([recs[i] for i in ids])
        db_id = found.get(head)
        if db_id is None:
            owner = merged["owner"] or by
            py, ini = pinyin[head]
            new_customers.append(dict(
                team_id=owner.team_id, name=head_rec.name, name_key=head_rec.nkey, pinyin=py,
                initials=ini, industry=merged.get("industry"), size=merged.get("size"), source=merged.get("source"),
                grade=merged.get("grade") or "B", tags=merged.get("tags") or "", owner_id=owner.id,
                needs=merged.get("needs"), status=merged.get("status") or "active", last_contact_at=merged["last"],
                past_revenue=merged.get("past_revenue"), created_at=now, updated_at=now))
            n = len(new_customers) - 1
            new_contacts += [(None, n, c) for c in contacts]
            plan.counts["customer.created"] += 1
            plan.counts["contact.created"] += len(contacts)
            plan.results.append(RowResult(head_rec.row, "created"))
            into = f"row {head_rec.row} {head_rec.name}"
            plan.results += [RowResult(recs[i].row, "merged", into=into) for i in ids if i != head]
            plan.counts["customer.merged"] += len(ids) - 1
            _sample(job, head_rec.row, new_customers[-1], contacts, owner)
            continue
        cust = existing[db_id]
        change = _customer_change(cust, merged, now)
        created, updated = _contact_changes(old_contacts.get(db_id, []), contacts)
        new_contacts += [(db_id, -1, c) for c in created]
        contact_updates += updated
        plan.counts["contact.created"] += len(created)
        plan.counts["contact.updated"] += len(updated)
        touched = bool(change or created or updated)
        if change:
            cust_updates.append(change)
            plan.counts["customer.updated"] += 1
        plan.counts["customer.merged" if touched else "customer.unchanged"] += len(ids)
        into = f"#{db_id} {cust.name}"
        plan.results += [RowResult(recs[i].row, "merged" if touched else "unchanged", into=into) for i in ids]
        if touched:
            _sample(job, head_rec.row, {**_customer_dict(cust), **(change or {})}, contacts,
                    merged["owner"] or session.get(User, cust.owner_id))
    plan.results.sort(key=lambda r: r.row)

    def write(session: Session, progress: Progress | None) -> None:
        ids = reserve_ids(session, "customer", len(new_customers))
        for cid, row in zip(ids, new_customers, strict=True):
            row["id"] = cid
        bulk_insert(session, Customer, new_customers, progress, "customers")
        rows = [dict(customer_id=db_id if db_id is not None else ids[n], name=c.get("contact") or "",
                     title=c.get("title"), phone=c.get("phone"), email=c.get("email"), flags=c.get("flags", ""),
                     consent_basis="contract", consent_at=now, created_at=now) for db_id, n, c in new_contacts]
        bulk_insert(session, Contact, rows, progress, "contacts")
        bulk_update(session, Customer, cust_updates)
        bulk_update(session, Contact, contact_updates)

    plan.writes = write


def _merge_values(rows: list[Rec]) -> dict[str, Any]:
    """A group's values: the first filled cell of each field wins; the latest contact date."""
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


def _merge_contacts(rows: list[Rec]) -> list[dict[str, Any]]:
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


def _contacts_of(session: Session, customer_ids: list[int]) -> dict[int, list[Contact]]:
    out: dict[int, list[Contact]] = {}
    for part in chunks(sorted(customer_ids)):
        q = select(Contact).where(col(Contact.customer_id).in_(part)).order_by(col(Contact.id))
        for c in session.scalars(q).all():
            out.setdefault(c.customer_id, []).append(c)
    return out


def _contact_changes(old: list[Contact], new: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
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


def _customer_change(cust: Customer, merged: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The columns a merge changes on an existing customer (the file's filled cells win), or None."""
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
    if owner is not None and owner.id != cust.owner_id:
        change["owner_id"], change["team_id"] = owner.id, owner.team_id
    if not change:
        return None
    change["updated_at"], change["id"] = now, cust.id
    return change


def _customer_dict(c: Customer) -> dict[str, Any]:
    return {k: getattr(c, k) for k in ("name", "grade", "industry", "source", "past_revenue", "last_contact_at")}


def _sample(job: Job, row: int, cust: dict[str, Any], contacts: list[dict[str, Any]], owner: User | None) -> None:
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
