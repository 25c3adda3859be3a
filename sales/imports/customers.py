"""Planning a customer sheet: rows read, duplicates merged, look-alikes listed, writes prepared."""

from __future__ import annotations

from operator import attrgetter, itemgetter
from typing import Any, cast

from sqlalchemy import func, select
from sqlmodel import Session, col

from sales.imports.merge import (
    contact_changes,
    contacts_of,
    customer_change,
    customer_dict,
    merge_contacts,
    merge_values,
    sample,
)
from sales.imports.plan import Job, OwnerChange, Progress, RowResult, Suspect
from sales.imports.rows import Rec, read_rows
from sales.imports.write import big_cache, bulk_insert, bulk_update, reserve_ids
from sales.names.dedupe import (
    Groups,
    customers_by_contact,
    customers_by_key,
    merge_key,
    rows_by_id,
    suspects,
)
from storage.models import Contact, Customer, User

MAX_OLD_FOR_SUSPECTS = 300_000
BUILT_COLUMNS = ("team_id", "name", "name_key", "industry", "size", "source", "grade", "tags", "owner_id", "needs",
                 "status", "last_contact_at", "past_revenue", "created_at", "updated_at")  # + id, pinyin, initials
CONTACT_COLUMNS = ("customer_id", "name", "title", "phone", "email", "flags", "consent_basis", "consent_at",
                   "created_at")


def group_rows(session: Session, recs: list[Rec], scope: Any = None) -> tuple[Groups, dict[int, int]]:
    """Join rows with one key, phone or email; find the existing customer each group is (head → id)."""
    groups = Groups(len(recs))
    keys = _first_rows(groups, [r.key for r in recs])  # each key, phone and email: the first row that has it
    phones = _first_rows(groups, [r.phone_ok for r in recs])
    emails = _first_rows(groups, [r.email_ok for r in recs])
    by_key = customers_by_key(session, keys, scope)  # a customer the importer may not see is not found: new
    by_contact = customers_by_contact(session, phones, emails, scope)
    found: dict[int, int] = {}
    if not by_key and not by_contact:
        return groups, found
    key_hits = set(by_key.values())
    for idx, r in enumerate(recs):
        head = groups.find(idx)
        hit = by_key.get(r.key)
        if hit is not None and (head not in found or found[head] not in key_hits):
            found[head] = hit
        elif head not in found:
            hit = by_contact.get(r.phone_ok or "") or by_contact.get(r.email_ok or "")
            if hit is not None:
                found[head] = hit
    return groups, found


def _first_rows(groups: Groups, values: list[str | None]) -> dict[str, int]:
    """Each value and the first row that has it; rows that share a value are joined."""
    first: dict[str | None, int] = dict(zip(reversed(values), range(len(values) - 1, -1, -1), strict=True))
    first.pop(None, None)
    first.pop("", None)
    if len(first) < len(values) - values.count(None) - values.count(""):  # some value is on several rows
        for idx, value in enumerate(values):
            if value and (j := first[value]) != idx:
                groups.union(idx, j)
    return cast(dict[str, int], first)


Pairs = list[tuple[int, int, bool]]  # (new row index, other row index or customer id, other is a customer)


def look_alikes(job: Job, recs: list[Rec], heads: list[int], found: dict[int, int],
                spelled: dict[str, tuple[str, str]]) -> tuple[Pairs, dict[int, str]]:
    """The look-alike pairs of the groups that are new customers, and the names of the customers they may pair
    with."""
    session = job.session
    refs = [h for h, head in enumerate(heads) if head == h and h not in found]
    new = [recs[h] for h in refs]
    old: list[Any] = []
    total = session.execute(select(func.count()).select_from(Customer)).scalar_one() if new else 0
    if new and 0 < total <= MAX_OLD_FOR_SUSPECTS:
        q = select(col(Customer.id), col(Customer.name), col(Customer.name_key), col(Customer.pinyin))
        old = list(session.execute(q if job.scope is None else q.where(job.scope)).all())
    old_names = {int(r[0]): r[1] for r in old}
    fresh = [(h, r.name, r.key, spelled[r.nkey][0]) for h, r in zip(refs, new, strict=True)]
    others = [(int(r[0]), r[1], merge_key(r[2]), r[3]) for r in old]
    shown = {r.name: r.shown_key for r in new}
    return suspects(fresh, others, shown), old_names


def list_suspects(job: Job, recs: list[Rec], groups: Groups, found: dict[int, int], pairs: Pairs,
                  old_names: dict[int, str]) -> bool:
    """List look-alike pairs on the plan and merge those the user chose; whether any was merged."""
    opts = job.options
    any_merged = False
    listed = job.plan.suspects
    for number, (a, b, b_old) in enumerate(pairs, start=len(listed) + 1):
        merged = opts.merge_all or number in opts.merge
        rec = recs[a]
        if b_old:
            listed.append(Suspect(number, rec.row, rec.name, old_names[b], None, b, merged))
        else:
            listed.append(Suspect(number, rec.row, rec.name, recs[b].name, recs[b].row, None, merged))
        if not merged:
            continue
        any_merged = True
        ha = groups.find(a)
        if b_old:
            found.setdefault(ha, b)
        else:
            hb = groups.find(b)
            target = found.get(ha, found.get(hb))
            groups.union(ha, hb)
            if target is not None:
                found[groups.find(ha)] = target
    return any_merged


def plan_customers(job: Job) -> None:
    """Plan a customer sheet: creates, merges and updates, without writing."""
    session, plan, by, now = job.session, job.plan, job.by, job.now
    recs, romanized = read_rows(job)
    groups, found = group_rows(session, recs, job.scope)
    heads = groups.heads()
    chosen = bool(job.options.merge_all or job.options.merge)
    if chosen:  # look-alikes the user chose to merge change the groups: they are listed first
        pairs, old_names = look_alikes(job, recs, heads, found, romanized())
        if list_suspects(job, recs, groups, found, pairs, old_names):
            heads = groups.heads()
    members: dict[int, list[int]] = {}
    for idx, head in enumerate(heads):
        if head != idx:
            members.setdefault(head, [head]).append(idx)
    existing = rows_by_id(session, Customer, {found[h] for h in found if heads[h] == h})
    old_contacts = contacts_of(session, list(existing))
    new_customers: list[tuple[Any, ...]] = []
    new_contacts: list[tuple[int | None, int, dict[str, Any]]] = []  # (db customer id, new index, contact)
    cust_updates: list[dict[str, Any]] = []
    contact_updates: list[dict[str, Any]] = []
    results = plan.results
    who: dict[int, tuple[int | None, int | None]] = {}  # id(owner) → its team and id, read once (ORM reads are slow)
    for head, head_rec in enumerate(recs):
        if heads[head] != head:
            continue
        ids = members.get(head)
        db_id = found.get(head)
        if db_id is None:
            if not new_customers:  # the counts keep the order in which the original loop first touched them
                for k in ("customer.created", "contact.created", "customer.merged"):
                    plan.counts[k] += 0
            if ids is None:  # one row, the common case: its values as read
                get, last, owner = head_rec.values.get, head_rec.last, head_rec.owner
                contacts = [head_rec.contact] if head_rec.contact is not None else []
            else:
                merged = merge_values([recs[i] for i in ids])
                get, last, owner = merged.get, merged["last"], merged["owner"]
                contacts = merge_contacts([recs[i] for i in ids])
            owner = owner or by
            team_id, owner_id = who.get(id(owner)) or who.setdefault(id(owner), (owner.team_id, owner.id))
            new_customers.append((
                team_id, head_rec.name, head_rec.nkey, get("industry"), get("size"), get("source"),
                get("grade") or "B", get("tags") or "", owner_id, get("needs"), get("status") or "active", last,
                get("past_revenue"), now, now))
            new_contacts += [(None, len(new_customers) - 1, c) for c in contacts]
            results.append(RowResult(head_rec.row, "created"))
            if ids is not None:
                into = f"row {head_rec.row} {head_rec.name}"
                results += [RowResult(recs[i].row, "merged", into=into) for i in ids if i != head]
                plan.counts["customer.merged"] += len(ids) - 1
            if len(plan.samples) < 10:
                sample(job, head_rec.row, dict(zip(BUILT_COLUMNS, new_customers[-1], strict=True)), contacts,
                       owner)
            continue
        ids = ids or [head]
        merged = merge_values([recs[i] for i in ids])
        contacts = merge_contacts([recs[i] for i in ids])
        cust = existing[db_id]
        move = job.options.move_owners
        change = customer_change(cust, merged, now, move)
        wanted = merged["owner"]
        if wanted is not None and wanted.id != cust.owner_id:
            was = session.get(User, cust.owner_id)
            plan.owner_changes.append(OwnerChange(head_rec.row, cust.name, was.name if was else "", wanted.name, move))
            plan.counts["customer.owner_moved" if move else "customer.owner_kept"] += 1
        created, updated = contact_changes(old_contacts.get(db_id, []), contacts)
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
        results += [RowResult(recs[i].row, "merged" if touched else "unchanged", into=into) for i in ids]
        if touched:
            sample(job, head_rec.row, {**customer_dict(cust), **(change or {})}, contacts,
                   (wanted if move else None) or session.get(User, cust.owner_id))
    if new_customers:
        plan.counts["customer.created"] += len(new_customers)
        plan.counts["contact.created"] += sum(1 for db_id, _, _ in new_contacts if db_id is None)
    results.sort(key=attrgetter("row"))
    if not chosen:  # nothing chosen to merge: the listing changes no write
        pairs, old_names = look_alikes(job, recs, heads, found, romanized())
        list_suspects(job, recs, groups, found, pairs, old_names)

    def write(session: Session, progress: Progress | None) -> None:
        with big_cache(session, len(new_customers) + len(new_contacts)):
            ids = reserve_ids(session, "customer", len(new_customers))
            readings = list(map(romanized().__getitem__, map(itemgetter(2), new_customers)))  # by name_key
            bulk_insert(session, Customer, new_customers, progress, "customers", columns=BUILT_COLUMNS,
                        apart={"id": ids, "pinyin": list(map(itemgetter(0), readings)),
                               "initials": list(map(itemgetter(1), readings))})
            contacts = [(db_id if db_id is not None else ids[n], c.get("contact") or "", c.get("title"),
                         c.get("phone"), c.get("email"), c.get("flags", ""), "contract", now, now)
                        for db_id, n, c in new_contacts]
            bulk_insert(session, Contact, contacts, progress, "contacts", columns=CONTACT_COLUMNS)
            bulk_update(session, Customer, cust_updates)
            bulk_update(session, Contact, contact_updates)

    plan.writes = write
