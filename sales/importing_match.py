"""Import plumbing: grouping duplicates, suspected look-alikes, database look-ups and bulk writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlmodel import Session, SQLModel, col

from sales.names import name_key, same_company
from storage.models import Contact, Customer

CHUNK = 2000
WRITE_CHUNK = 5000
Progress = Callable[[int, int, str], None]
T = TypeVar("T")
_GROUP_SUFFIXES = ("集团",)
_MAX_BUCKET = 100


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
    wanted = sorted({k for k in keys if k})
    probe = sorted(set(wanted) | {k + s for k in wanted for s in _GROUP_SUFFIXES})
    found: dict[str, int] = {}
    for part in chunks(probe):
        q = select(col(Customer.id), col(Customer.name_key)).where(col(Customer.name_key).in_(part))
        for cid, key in session.execute(q).all():
            mk = merge_key(key)
            if mk not in found or cid < found[mk]:
                found[mk] = int(cid)
    return found


def customers_by_contact(session: Session, phones: Iterable[str], emails: Iterable[str]) -> dict[str, int]:
    """Existing customers by a contact's phone or email."""
    found: dict[str, int] = {}
    for column, values in ((col(Contact.phone), phones), (col(Contact.email), emails)):
        for part in chunks(sorted(set(values))):
            q = select(column, col(Contact.customer_id)).where(column.in_(part)).order_by(col(Contact.customer_id))
            for value, cid in session.execute(q).all():
                found.setdefault(value, int(cid))
    return found


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
) -> list[tuple[int, int, bool]]:
    """Pairs of look-alike names that are not the same key: (new ref, other ref, other is old).

    `new`/`old` hold (ref, name, merge key, pinyin); look-alikes are candidates by one edit or equal pinyin,
    confirmed by names.same_company.
    """
    pairs: list[tuple[int, int, bool]] = []
    seen: set[tuple[int, int, bool]] = set()
    index: dict[str, list[tuple[int, bool, str]]] = {}
    for items, is_old in ((old, True), (new, False)):
        for ref, _name, key, py in items:
            if len(key) < 4 or len(key) > 60:
                continue
            for v in _variants(key):
                index.setdefault(v, []).append((ref, is_old, key))
            if py and py != key:
                index.setdefault("\x00" + py, []).append((ref, is_old, key))
    names = {(ref, True): name for ref, name, _, _ in old} | {(ref, False): name for ref, name, _, _ in new}
    for bucket in index.values():
        if len(bucket) < 2:
            continue
        bucket = bucket[:_MAX_BUCKET]  # a thousand 华东科技N names share one variant: list some, not all pairs
        for i, (ra, old_a, ka) in enumerate(bucket):
            if old_a:
                continue
            for rb, old_b, kb in bucket[:i] + bucket[i + 1:]:
                if ka == kb or (not old_b and rb >= ra):
                    continue
                pair = (ra, rb, old_b)
                if pair not in seen:
                    seen.add(pair)
                    if same_company(names[(ra, False)], names[(rb, old_b)]):
                        pairs.append(pair)
    return sorted(pairs)


def reserve_ids(session: Session, table: str, n: int) -> list[int]:
    """`n` fresh ids for a bulk insert: from the sequence on PostgreSQL; after the max on SQLite (writers
    are serialized there, so nobody else takes them before the transaction ends)."""
    if n == 0:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        seq = text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)")
        return [int(r[0]) for r in conn.execute(seq, {"n": n})]
    start = int(conn.execute(text(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')).scalar_one())
    return list(range(start + 1, start + n + 1))


def bulk_insert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]],
                progress: Progress | None = None, what: str = "") -> None:
    """Insert rows with executemany statements of WRITE_CHUNK rows."""
    table: Table = getattr(model, "__table__")  # noqa: B009
    conn = session.connection()
    done = 0
    for part in chunks(rows, WRITE_CHUNK):
        conn.execute(insert(table), list(part))
        done += len(part)
        if progress is not None:
            progress(done, len(rows), what)


def bulk_update(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Update rows by id with executemany statements; rows are grouped by the columns they set."""
    table: Table = getattr(model, "__table__")  # noqa: B009
    by_cols: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_cols.setdefault(tuple(sorted(k for k in row if k != "id")), []).append(row)
    conn = session.connection()
    for cols, group in by_cols.items():
        if not cols:
            continue
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(
            {c: bindparam("b_" + c) for c in cols})
        for part in chunks(group, WRITE_CHUNK):
            conn.execute(stmt, [{"b_" + k: v for k, v in r.items()} for r in part])
