"""Duplicates: company keys, import row groups, look-alikes, look-ups, and merging two customers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlmodel import Session, SQLModel, col

from sales import audit, care
from sales.errors import RuleError
from sales.names import directory, name_key, same_company_keys
from storage.models import Activity, Contact, Customer, CustomerShare, Deal, FollowUp, Lead, SalesOrder, User

CHUNK = 2000
T = TypeVar("T")
_GROUP_SUFFIXES = ("集团",)
_MAX_BUCKET = 100
_VECTORIZED = 5000  # items (or candidate pairs) from which numpy does the look-alike scan


def merge_key(key: str) -> str:
    """name_key without a trailing 集团, so YY制造集团 and YY制造 are one company."""
    for suffix in _GROUP_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def company_key(name: str) -> str:
    """The key two spellings of one company share (spacing, width, punctuation, legal suffixes)."""
    return merge_key(name_key(name))


class Groups:
    """Union-find over row indexes: rows that are one record."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        """The group's first row."""
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def heads(self) -> list[int]:
        """Every row's group head, in one pass (a parent is always an earlier row)."""
        out = self.parent[:]
        for i, p in enumerate(out):
            if p != i:
                out[i] = out[p]
        return out

    def union(self, a: int, b: int) -> None:
        """Join two groups; the earlier row stays the group's head."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            self.parent[hi] = lo


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Slices of at most `size`."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def customers_by_key(session: Session, keys: Iterable[str], scope: Any = None) -> dict[str, int]:
    """Existing customers by merge key (the lowest id when several share one), among those `scope` (a WHERE
    clause on Customer) lets through when given."""
    wanted = {k for k in keys if k}
    stored = _count(session, Customer) if wanted else 0
    if not stored:
        return {}
    probe = wanted | {k + s for k in wanted for s in _GROUP_SUFFIXES}
    found: dict[str, int] = {}
    for key, cid in _matching(session, col(Customer.name_key), col(Customer.id), probe, stored, scope):
        mk = merge_key(key)
        if mk not in found or cid < found[mk]:
            found[mk] = int(cid)
    return found


def customers_by_contact(session: Session, phones: Iterable[str], emails: Iterable[str],
                         scope: Any = None) -> dict[str, int]:
    """Existing customers by a contact's phone or email (the lowest customer id when several have one), among
    those `scope` (a WHERE clause on Customer) lets through when given."""
    within = None if scope is None else col(Contact.customer_id).in_(select(col(Customer.id)).where(scope))
    found: dict[str, int] = {}
    stored = -1
    for column, values in ((col(Contact.phone), set(phones)), (col(Contact.email), set(emails))):
        if values and stored < 0:
            stored = _count(session, Contact)
        if not values or not stored:
            continue
        for value, cid in sorted(_matching(session, column, col(Contact.customer_id), values, stored, within),
                                 key=lambda r: int(r[1])):
            found.setdefault(value, int(cid))
    return found


def _count(session: Session, model: type[SQLModel]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _matching(session: Session, column: Any, other: Any, values: set[str], stored: int,
              within: Any = None) -> list[tuple[Any, Any]]:
    """(value, other column) of the rows whose column is one of `values` (a small table is read whole), of the
    rows `within` lets through when given."""
    if stored <= len(values):
        q = select(column, other).where(column.is_not(None))
        if within is not None:
            q = q.where(within)
        return [(a, b) for a, b in session.execute(q).all() if a in values]
    out: list[tuple[Any, Any]] = []
    for part in chunks(sorted(values)):
        q = select(column, other).where(column.in_(part))
        if within is not None:
            q = q.where(within)
        out += [(a, b) for a, b in session.execute(q).all()]
    return out


def rows_by_id(session: Session, model: type[SQLModel], ids: Iterable[int]) -> dict[int, Any]:
    """Existing rows by id, fetched in chunks."""
    out: dict[int, Any] = {}
    id_col = getattr(model, "id")  # noqa: B009  (every model here has an integer id)
    for part in chunks(sorted(set(ids))):
        for row in session.scalars(select(model).where(col(id_col).in_(part))).all():
            out[int(getattr(row, "id"))] = row  # noqa: B009
    return out


def _variants(key: str) -> set[str]:
    """The key and the key with any one character deleted: keys one edit apart share one."""
    return {key} | {key[:i] + key[i + 1:] for i in range(len(key))}


def suspects(
    new: Sequence[tuple[int, str, str, str]], old: Sequence[tuple[int, str, str, str]],
    keys: Mapping[str, str] | None = None,
) -> list[tuple[int, int, bool]]:
    """Pairs of look-alike names that are not the same key: (new ref, other ref, other is old).

    `new`/`old` hold (ref, name, merge key, pinyin); look-alikes are candidates by one edit or equal pinyin,
    confirmed by names.same_company. `keys` may give names' name_key, computed earlier.
    """
    items = [*old, *new]
    n_old = len(old)
    known = dict(keys or {})
    if len(items) < _VECTORIZED:
        return sorted({(items[a][0], items[b][0], b < n_old) for a, b in _candidate_pairs(items, n_old)
                       if same_company_keys(_key_of(items[a][1], known), _key_of(items[b][1], known))})
    from sales.names import alike as dedupe_alike

    return dedupe_alike.suspects(items, n_old, _MAX_BUCKET, lambda name: _key_of(name, known))


def _key_of(name: str, known: dict[str, str]) -> str:
    """name_key(name), remembered in `known`."""
    got = known.get(name)
    if got is None:
        got = known[name] = name_key(name)
    return got


def _candidate_pairs(items: Sequence[tuple[int, str, str, str]], n_old: int) -> list[tuple[int, int]]:
    """(a, b) indexes of items sharing a variant or pinyin: a new, b another key, old or of an earlier ref."""
    first: dict[str, int] = {}
    shared: dict[str, list[int]] = {}  # only the variants two items or more have, in the order of `items`
    for n, (_ref, _name, key, py) in enumerate(items):
        if len(key) < 4 or len(key) > 60:
            continue
        for v in _variants(key) if py == key or not py else (*_variants(key), "\x00" + py):
            j = first.setdefault(v, n)
            if j != n:
                bucket = shared.get(v)
                if bucket is None:
                    shared[v] = [j, n]
                else:
                    bucket.append(n)
    seen: set[tuple[int, int]] = set()
    for bucket in shared.values():
        bucket = bucket[:_MAX_BUCKET]  # a thousand 华东科技N names share one variant: list some, not all pairs
        for a in bucket:
            if a < n_old:
                continue
            ra, _, ka, _ = items[a]
            for b in bucket:
                rb, _, kb, _ = items[b]
                if b != a and ka != kb and (b < n_old or rb < ra):
                    seen.add((a, b))
    return sorted(seen)


@dataclass(frozen=True)
class Merged:
    """What merging moved into the kept customer."""

    contacts: int
    contacts_joined: int  # moved contacts that were already there (same phone or email): folded into those
    deals: int
    activities: int
    followups: int
    orders: int
    leads: int
    shares: int


_MOVED: tuple[tuple[str, type[SQLModel]], ...] = (
    ("deals", Deal), ("activities", Activity), ("followups", FollowUp), ("orders", SalesOrder), ("leads", Lead))
_FILLED = ("industry", "size", "source", "needs", "past_revenue", "last_contact_at")


def merge_customers(session: Session, *, keep: Customer, gone: Customer, by: User, now: datetime) -> Merged:
    """Move everything of `gone` to `keep` and delete `gone`, in the caller's transaction, with an audit entry."""
    if keep.id == gone.id:
        raise RuleError("merge_same")
    if keep.team_id != gone.team_id:
        raise RuleError("merge_other_team")
    before = {"kept": _snapshot(keep), "gone": _snapshot(gone)}
    moved = {what: _move(session, model, gone, keep) for what, model in _MOVED}
    contacts, joined = _move_contacts(session, gone, keep)
    shares = _move_shares(session, gone, keep)
    for field in _FILLED:
        mine, theirs = getattr(keep, field), getattr(gone, field)
        if field == "last_contact_at" and mine is not None and theirs is not None:
            setattr(keep, field, max(mine, theirs))
        elif mine in (None, "") and theirs not in (None, ""):
            setattr(keep, field, theirs)
    keep.tags = " ".join(dict.fromkeys(keep.tags.split() + gone.tags.split()))
    keep.updated_at = now
    session.add(keep)
    session.flush()  # the moves first: nothing may still point at `gone` when it goes
    session.delete(gone)
    session.flush()
    directory.bump_names(session)
    result = Merged(contacts=contacts, contacts_joined=joined, shares=shares, **moved)
    audit.record(session, by=by.id, action="merge", entity="customer", entity_id=keep.id, now=now, before=before,
                 after={"kept": _snapshot(keep), "gone_id": gone.id, "moved": asdict(result)})
    return result


def _snapshot(c: Customer) -> dict[str, Any]:
    return c.model_dump(exclude={"pinyin", "initials", "name_key"})


def _move(session: Session, model: type[SQLModel], gone: Customer, keep: Customer) -> int:
    """Point `model`'s rows of `gone` at `keep`; how many."""
    column = getattr(model, "customer_id")  # noqa: B009
    result = session.execute(update(model).where(column == gone.id).values(customer_id=keep.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _move_contacts(session: Session, gone: Customer, keep: Customer) -> tuple[int, int]:
    """Move contacts; one already at `keep` (same phone or email) absorbs the moved one's blanks instead."""
    kept = list(session.scalars(select(Contact).where(col(Contact.customer_id) == keep.id)))
    by_phone = {c.phone: c for c in kept if c.phone}
    by_email = {c.email: c for c in kept if c.email}
    moved = joined = 0
    for c in list(session.scalars(select(Contact).where(col(Contact.customer_id) == gone.id))):
        same = by_phone.get(c.phone or "") or by_email.get(c.email or "")
        if same is None:
            c.customer_id = keep.id or 0
            session.add(c)
            moved += 1
            continue
        for field in ("title", "phone", "email", "consent_channel", "consent_at", "retention_until"):
            if getattr(same, field) in (None, "") and getattr(c, field) not in (None, ""):
                setattr(same, field, getattr(c, field))
        session.add(same)
        care.moved_dates(session, gone=c, keep=same)  # its birthday and key dates go with it
        session.delete(c)
        joined += 1
    return moved, joined


def _move_shares(session: Session, gone: Customer, keep: Customer) -> int:
    """Whoever `gone` was shared with now shares `keep` (its owner needs no share)."""
    had = set(session.scalars(select(col(CustomerShare.user_id)).where(col(CustomerShare.customer_id) == keep.id)))
    added = 0
    for share in list(session.scalars(select(CustomerShare).where(col(CustomerShare.customer_id) == gone.id))):
        if share.user_id not in had and share.user_id != keep.owner_id:
            session.add(CustomerShare(customer_id=keep.id or 0, user_id=share.user_id))
            added += 1
        session.delete(share)
    if gone.owner_id != keep.owner_id and gone.owner_id not in had:
        session.add(CustomerShare(customer_id=keep.id or 0, user_id=gone.owner_id))  # its owner keeps sight of it
        added += 1
    return added
