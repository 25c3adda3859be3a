"""Finding customers by name: SQL for exact and prefix hits, a cached index for the rest."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rapidfuzz import fuzz, process
from sqlalchemy import BindParameter, ColumnElement, Connection, ScalarSelect, bindparam, event, func, text
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from sales.access import ScopeKind, bound_customer_scope, customer_scope, scope_kind, scope_params
from sales.names import initials_key, name_key, pinyin_key, same_company
from sales.names.index import Candidate, NameIndex
from sales.names.pinyin import romanize
from sales.refs import as_id
from storage.models import Counter, Customer, User

RENAMES = "customer.names"
ADDS = "customer.adds"
_ADDED = "directory.customers_added"  # Session.info key: this transaction created customers
_BUMP = text("INSERT INTO counter (name, value) VALUES (:name, 1) "
             "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1")


@dataclass
class _Cached:
    index: NameIndex
    renames: int
    adds: int
    max_id: int
    tail_key: str  # the newest customer's key: a reused id (SQLite after a rollback, a truncate) shows here
    count: int  # how many ids the index holds, and their sum: a row committed below max_id changes them
    id_sum: int


_cache: dict[str, _Cached] = {}
_lock = threading.RLock()


def forget() -> None:
    """Drop this process's name indexes (after a database was emptied or replaced)."""
    with _lock:
        _cache.clear()


def bump(conn: Connection, name: str) -> None:
    """Add one to a named counter in a single statement, so concurrent bumps never collapse into one."""
    conn.execute(_BUMP, {"name": name})


def bump_names(session: Session) -> None:
    """Mark customer names as changed (rename, delete, merge) so every process rebuilds its index."""
    bump(session.connection(), RENAMES)


def customers_added(session: Session) -> None:
    """Mark that this transaction creates customers, so every process looks for them when it commits."""
    # On PostgreSQL a lower id can commit after a higher one; max_id alone would never show it.
    session.info[_ADDED] = True
    if not event.contains(session, "before_commit", _bump_adds):
        event.listen(session, "before_commit", _bump_adds)


def _bump_adds(session: OrmSession) -> None:
    """Bump the creation counter as the transaction commits: its row stays locked for the commit alone."""
    if session.info.pop(_ADDED, False):
        session.flush()  # every other row lock first: a transaction holding this one then waits for nobody
        bump(session.connection(), ADDS)


def _search(session: Session, query: str, limit: int) -> list[Candidate]:
    """Search this process's name index, brought up to date first; the index is not thread-safe."""
    with _lock:
        return _index(session).find(query, limit=limit)


def warm(session: Session) -> None:
    """Build this process's name index now (a serving process does it at start, off the request path)."""
    with _lock:
        _index(session).find("预热 warm-up", limit=1)  # and what a query loads: pypinyin's tables, rapidfuzz
    romanize("重庆")  # and the phrase table a polyphonic character's reading needs (a tenth of a second)


def _state(session: Session) -> tuple[int, int, int, str]:
    """The two counters and the newest customer's id and key, in one small statement."""
    def value(name: str) -> ScalarSelect[int]:
        return sa_select(col(Counter.value)).where(col(Counter.name) == name).scalar_subquery()

    newest = sa_select(col(Customer.name_key)).order_by(col(Customer.id).desc()).limit(1).scalar_subquery()
    renames, adds, max_id, tail_key = session.execute(sa_select(
        value(RENAMES), value(ADDS), sa_select(func.max(col(Customer.id))).scalar_subquery(), newest)).one()
    return int(renames or 0), int(adds or 0), int(max_id or 0), tail_key or ""


def _index(session: Session) -> NameIndex:
    """This process's index of all customer names, brought up to date with the database (hold _lock)."""
    key = str(session.get_bind().engine.url)
    renames, adds, max_id, tail_key = _state(session)
    cached = _cache.get(key)
    if cached is not None and (cached.renames, cached.adds, cached.max_id, cached.tail_key) == (
            renames, adds, max_id, tail_key):
        return cached.index
    if (cached is None or cached.renames != renames or cached.max_id > max_id
            or (cached.max_id == max_id and cached.tail_key != tail_key)
            or (cached.adds != adds and _held_up_to(session, cached.max_id) != (cached.count, cached.id_sum))):
        cached = _cache[key] = _build(session)
    else:
        rows = session.execute(
            sa_select(col(Customer.id), col(Customer.name), col(Customer.name_key))
            .where(col(Customer.id) > cached.max_id).order_by(col(Customer.id))
        ).all()
        for cid, name, _ in rows:
            cached.index.add(int(cid or 0), name)
        if rows:
            cached.max_id, cached.tail_key = int(rows[-1][0] or 0), rows[-1][2]
            cached.count += len(rows)
            cached.id_sum += sum(int(r[0] or 0) for r in rows)
    cached.renames, cached.adds = renames, adds
    return cached.index


def _held_up_to(session: Session, max_id: int) -> tuple[int, int]:
    """How many customers have an id up to `max_id`, and the sum of those ids."""
    count, total = session.execute(
        sa_select(func.count(col(Customer.id)), func.coalesce(func.sum(col(Customer.id)), 0))
        .where(col(Customer.id) <= max_id)
    ).one()
    return int(count), int(total)


def _build(session: Session) -> _Cached:
    """A new index of every customer name (the counters are set by the caller)."""
    rows = session.execute(
        sa_select(col(Customer.id), col(Customer.name), col(Customer.name_key), col(Customer.pinyin),
                  col(Customer.initials))
    ).all()
    index = NameIndex.from_keys((int(r[0] or 0), r[1], r[2], r[3], r[4]) for r in rows)
    newest = max(rows, key=lambda r: int(r[0] or 0)) if rows else None
    return _Cached(index=index, renames=0, adds=0, max_id=int(newest[0] or 0) if newest else 0,
                   tail_key=newest[2] if newest else "", count=len(rows), id_sum=sum(int(r[0] or 0) for r in rows))


# The lookups of every command that names a customer, each built once per scope kind and limit with the viewer and
# the name as bound parameters (sales.access.bound_customer_scope): no statement is built, coerced and keyed for
# the cache at every call.
def _BY_ID(scope: ColumnElement[bool], limit: int) -> SelectOfScalar[Customer]:
    return select(Customer).where(col(Customer.id) == bindparam("id"), scope).limit(limit)


def _EXACT_NAMES(scope: ColumnElement[bool], limit: int) -> Select[int | None, str]:
    return select(Customer.id, Customer.name).where(col(Customer.name_key) == bindparam("key"), scope).limit(limit)


def _PREFIX_NAMES(scope: ColumnElement[bool], limit: int) -> Select[int | None, str]:
    return (select(Customer.id, Customer.name)
            .where(col(Customer.name_key) >= bindparam("key"), col(Customer.name_key) < bindparam("past"), scope)
            .order_by(func.length(Customer.name_key)).limit(limit))


_FEW_KEYS = 4  # split_name's names: up to this many keys are bound one by one (k0…k3), more as an expanding IN


def _EXACT_ROWS(scope: ColumnElement[bool], limit: int) -> SelectOfScalar[Customer]:
    return (select(Customer).where(col(Customer.name_key).in_(bindparam("keys", expanding=True)), scope)
            .order_by(col(Customer.id)).limit(limit))


def _EXACT_ROWS_FEW(scope: ColumnElement[bool], limit: int) -> SelectOfScalar[Customer]:
    # Fixed parameters: no expanding IN to render at every execution (unused ones repeat the first key).
    keys: list[BindParameter[str]] = [bindparam(f"k{i}") for i in range(_FEW_KEYS)]
    return select(Customer).where(col(Customer.name_key).in_(keys), scope).order_by(col(Customer.id)).limit(limit)


_S = TypeVar("_S")
_built: dict[tuple[Callable[..., Any], ScopeKind, int], Any] = {}


def _scoped(make: Callable[[ColumnElement[bool], int], _S], user: User, limit: int) -> _S:
    """The statement `make` builds for `user`'s scope kind, with this limit: built the first time only."""
    key = (make, scope_kind(user), limit)
    stmt: _S | None = _built.get(key)
    if stmt is None:
        stmt = _built.setdefault(key, make(bound_customer_scope(key[1]), limit))
    return stmt


def find_customers(session: Session, *, user: User, query: str, limit: int = 5) -> list[Candidate]:
    """Customers visible to `user` whose name matches `query`, best first."""
    query = query.strip()
    if not query:
        return []
    if query.lstrip("#").isdigit():  # a number, with or without #: #14 and 14
        num = as_id(query)
        c = session.exec(_scoped(_BY_ID, user, 1), params={"id": num, **scope_params(user)}).first() if num else None
        if c is not None:
            return [Candidate(id=c.id or 0, name=c.name, score=100.0, how="exact")]
        if query.startswith("#"):
            return []
    key = name_key(query)
    if key:
        exact = session.exec(_scoped(_EXACT_NAMES, user, limit), params={"key": key, **scope_params(user)}).all()
        if exact:
            # The name exactly as typed wins over names of the same key (华东精密 over 华东精密有限公司).
            typed = " ".join(query.split()).casefold()
            same = [Candidate(id=int(i or 0), name=n, score=100.0, how="exact") for i, n in exact
                    if " ".join(n.split()).casefold() == typed]
            return same[:1] + [Candidate(id=int(i or 0), name=n, score=100.0, how="key") for i, n in exact
                               if not same or int(i or 0) != same[0].id]
        prefix = session.exec(_scoped(_PREFIX_NAMES, user, limit + 1),
                              params={"key": key, "past": key + "\U0010ffff", **scope_params(user)}).all()
        if prefix:
            return [Candidate(id=int(i or 0), name=n, score=95.0, how="prefix") for i, n in prefix[:limit]]
    wide = _search(session, query, 50)
    if not wide:
        return []
    ids = [c.id for c in wide]
    visible = set(session.exec(select(Customer.id).where(col(Customer.id).in_(ids), customer_scope(user))).all())
    return [c for c in wide if c.id in visible][:limit]


def exact_customer_rows(session: Session, *, user: User, names: list[str], limit: int = 20) -> dict[str, list[Customer]]:
    """For each of `names`, the visible customers whose normalized name is exactly its own: one statement."""
    keys: dict[str, list[str]] = {}
    for name in names:
        key = name_key(name)
        if key:
            keys.setdefault(key, []).append(name)
    if not keys:
        return {}
    wanted = list(keys)
    if len(wanted) <= _FEW_KEYS:
        few = {f"k{i}": wanted[min(i, len(wanted) - 1)] for i in range(_FEW_KEYS)}
        rows = session.exec(_scoped(_EXACT_ROWS_FEW, user, limit), params={**few, **scope_params(user)}).all()
    else:
        rows = session.exec(_scoped(_EXACT_ROWS, user, limit), params={"keys": wanted, **scope_params(user)}).all()
    found: dict[str, list[Customer]] = {name: [] for name in names}
    for row in rows:
        for name in keys.get(row.name_key, []):
            found[name].append(row)
    return found


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


CLOSEST_SCAN = 20_000  # visible names compared at most when nothing matched


def closest_customers(session: Session, *, user: User, query: str, limit: int = 3) -> list[Candidate]:
    """The visible customers whose names are nearest to `query` even when none matches it (a typo, a wrong
    word): what "not found" offers instead."""
    key = name_key(query)
    if not key:
        return []
    rows = session.exec(select(Customer.id, Customer.name, Customer.name_key).where(customer_scope(user))
                        .order_by(col(Customer.id)).limit(CLOSEST_SCAN)).all()
    keys = {int(i or 0): k for i, _, k in rows}
    names = {int(i or 0): n for i, n, _ in rows}
    best = process.extract(key, keys, scorer=fuzz.WRatio, limit=limit, score_cutoff=40)
    return [Candidate(id=cid, name=names[cid], score=float(score), how="fuzzy") for _, score, cid in best]


def rekey(session: Session, batch: int = 5000) -> int:
    """Recompute the stored name keys that the current rules compute differently (customers saved before
    traditional characters were keyed as simplified ones); returns how many changed."""
    changed, last = 0, 0
    while True:
        rows = session.execute(sa_select(col(Customer.id), col(Customer.name), col(Customer.name_key))
                               .where(col(Customer.id) > last).order_by(col(Customer.id)).limit(batch)).all()
        if not rows:
            break
        last = int(rows[-1][0] or 0)
        for cid, name, key in rows:
            if name.isascii() or name_key(name) == key:
                continue
            c = session.get(Customer, cid)
            if c is not None:
                c.name_key, c.pinyin, c.initials = name_key(name), pinyin_key(name), initials_key(name)
                session.add(c)
                changed += 1
    if changed:
        session.flush()
        bump_names(session)
    return changed
