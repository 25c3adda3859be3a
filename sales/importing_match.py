"""Import plumbing: grouping duplicates, suspected look-alikes, database look-ups and bulk writes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from sales.names import name_key, same_company_keys
from storage.models import Contact, Customer

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


def customers_by_key(session: Session, keys: Iterable[str]) -> dict[str, int]:
    """Existing customers by merge key (the lowest id when several share one)."""
    wanted = {k for k in keys if k}
    stored = _count(session, Customer) if wanted else 0
    if not stored:
        return {}
    probe = wanted | {k + s for k in wanted for s in _GROUP_SUFFIXES}
    found: dict[str, int] = {}
    for key, cid in _matching(session, col(Customer.name_key), col(Customer.id), probe, stored):
        mk = merge_key(key)
        if mk not in found or cid < found[mk]:
            found[mk] = int(cid)
    return found


def customers_by_contact(session: Session, phones: Iterable[str], emails: Iterable[str]) -> dict[str, int]:
    """Existing customers by a contact's phone or email (the lowest customer id when several have one)."""
    found: dict[str, int] = {}
    stored = -1
    for column, values in ((col(Contact.phone), set(phones)), (col(Contact.email), set(emails))):
        if values and stored < 0:
            stored = _count(session, Contact)
        if not values or not stored:
            continue
        for value, cid in sorted(_matching(session, column, col(Contact.customer_id), values, stored),
                                 key=lambda r: int(r[1])):
            found.setdefault(value, int(cid))
    return found


def _count(session: Session, model: type[SQLModel]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _matching(session: Session, column: Any, other: Any, values: set[str], stored: int) -> list[tuple[Any, Any]]:
    """(value, other column) of the rows whose column is one of `values` (a small table is read whole)."""
    if stored <= len(values):
        q = select(column, other).where(column.is_not(None))
        return [(a, b) for a, b in session.execute(q).all() if a in values]
    out: list[tuple[Any, Any]] = []
    for part in chunks(sorted(values)):
        out += [(a, b) for a, b in session.execute(select(column, other).where(column.in_(part))).all()]
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
    from sales import importing_alike  # numpy: loaded only for large imports

    return importing_alike.suspects(items, n_old, _MAX_BUCKET, lambda name: _key_of(name, known))


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
