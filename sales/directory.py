"""Finding customers by name: SQL for exact and prefix hits, a cached index for the rest."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from sales.access import customer_scope
from sales.names import Candidate, NameIndex, name_key, same_company
from sales.refs import as_id
from storage.models import Counter, Customer, User

RENAMES = "customer.names"


@dataclass
class _Cached:
    index: NameIndex
    version: int
    max_id: int
    tail_key: str  # the newest customer's key: a reused id (SQLite after a rollback, a truncate) shows here


_cache: dict[str, _Cached] = {}
_lock = threading.RLock()


def forget() -> None:
    """Drop this process's name indexes (after a database was emptied or replaced)."""
    with _lock:
        _cache.clear()


def bump_names(session: Session) -> None:
    """Mark customer names as changed (rename, delete, merge) so every process rebuilds its index."""
    row = session.get(Counter, RENAMES)
    if row is None:
        session.add(Counter(name=RENAMES, value=1))
    else:
        row.value += 1
        session.add(row)


def _search(session: Session, query: str, limit: int) -> list[Candidate]:
    """Search this process's name index, brought up to date first; the index is not thread-safe."""
    with _lock:
        return _index(session).find(query, limit=limit)


def _index(session: Session) -> NameIndex:
    """This process's index of all customer names, brought up to date with the database (hold _lock)."""
    key = str(session.get_bind().engine.url)
    counter = session.get(Counter, RENAMES)
    version = counter.value if counter else 0
    tail = session.exec(select(Customer.id, Customer.name_key).order_by(col(Customer.id).desc()).limit(1)).first()
    max_id, tail_key = (int(tail[0] or 0), tail[1]) if tail else (0, "")
    cached = _cache.get(key)
    if cached is not None and (cached.version, cached.max_id, cached.tail_key) == (version, max_id, tail_key):
        return cached.index
    trusted = cached is not None and cached.version == version and cached.max_id < max_id
    since = cached.max_id if trusted and cached is not None else None
    rows = session.execute(
        sa_select(col(Customer.id), col(Customer.name), col(Customer.name_key), col(Customer.pinyin),
               col(Customer.initials))
        .where(col(Customer.id) > (since or 0))
    ).all()
    if cached is not None and since is not None:
        for cid, name, *_ in rows:
            cached.index.add(int(cid or 0), name)
        cached.max_id, cached.tail_key = max_id, tail_key
        return cached.index
    index = NameIndex.from_keys((int(r[0] or 0), r[1], r[2], r[3], r[4]) for r in rows)
    _cache[key] = _Cached(index=index, version=version, max_id=max_id, tail_key=tail_key)
    return index


def find_customers(session: Session, *, user: User, query: str, limit: int = 5) -> list[Candidate]:
    """Customers visible to `user` whose name matches `query`, best first."""
    query = query.strip()
    if not query:
        return []
    if query.startswith("#") and query[1:].isdigit():
        num = as_id(query)
        c = session.exec(select(Customer).where(col(Customer.id) == num, customer_scope(user))).first() if num else None
        return [Candidate(id=c.id or 0, name=c.name, score=100.0, how="exact")] if c else []
    key = name_key(query)
    if key:
        exact = session.exec(
            select(Customer.id, Customer.name)
            .where(col(Customer.name_key) == key, customer_scope(user)).limit(limit)
        ).all()
        if exact:
            return [Candidate(id=int(i or 0), name=n, score=100.0, how="key") for i, n in exact]
        prefix = session.exec(
            select(Customer.id, Customer.name)
            .where(col(Customer.name_key) >= key, col(Customer.name_key) < key + "\U0010ffff",
                   customer_scope(user))
            .order_by(func.length(Customer.name_key)).limit(limit + 1)
        ).all()
        if prefix:
            return [Candidate(id=int(i or 0), name=n, score=95.0, how="prefix") for i, n in prefix[:limit]]
    wide = _search(session, query, 50)
    if not wide:
        return []
    ids = [c.id for c in wide]
    visible = set(session.exec(select(Customer.id).where(col(Customer.id).in_(ids), customer_scope(user))).all())
    return [c for c in wide if c.id in visible][:limit]


def exact_customers(session: Session, *, user: User, name: str, limit: int = 2) -> list[int]:
    """Visible customers whose normalized name is exactly that of `name` (an index lookup)."""
    key = name_key(name)
    if not key:
        return []
    q = select(Customer.id).where(col(Customer.name_key) == key, customer_scope(user)).limit(limit)
    return [int(i or 0) for i in session.exec(q).all()]


def find_any_customer(session: Session, *, name: str, limit: int = 5) -> list[Candidate]:
    """Customers of anyone whose name looks like `name`: the duplicate check."""
    key = name_key(name)
    hits = session.exec(select(Customer.id, Customer.name).where(col(Customer.name_key) == key).limit(limit)).all()
    found = [Candidate(id=int(i or 0), name=n, score=100.0, how="key") for i, n in hits]
    seen = {c.id for c in found}
    for cand in _search(session, name, limit * 4):
        if cand.id not in seen and same_company(name, cand.name):
            found.append(cand)
            seen.add(cand.id)
    return found[:limit]
