"""Bulk writes of an import in the caller's transaction: driver executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Dialect, Table, bindparam, insert, text, update
from sqlmodel import Session, SQLModel

from sales.names.directory import customers_added

WRITE_CHUNK = 5000
BIG_LOAD = 10_000  # rows from which a load into a table no larger builds its indexes after (SQLite)
ROWS_PER_INSERT = 256  # rows one SQLite INSERT statement carries (within its limit on bound values)
SQLITE_LIMIT_VARIABLE_NUMBER = 9  # sqlite3's constant: the limit asked for
SQLITE_CACHE_KIB = 256 * 1024  # page cache while a large import writes: its indexes stay in memory
Progress = Callable[[int, int, str], None]


def reserve_ids(session: Session, table: str, n: int) -> list[int]:
    """`n` fresh ids for a bulk insert: from the sequence on PostgreSQL; after the largest ever given on SQLite
    (writers are serialized there, so nobody else takes them before the transaction ends)."""
    if n == 0:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        seq = text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)")
        return [int(r[0]) for r in conn.execute(seq, {"n": n})]
    # Above the largest id ever given (sqlite_sequence: tables are AUTOINCREMENT), not only the largest left.
    start = int(conn.execute(text(
        f'SELECT MAX(COALESCE((SELECT MAX(id) FROM "{table}"), 0), '
        f"COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0))")).scalar_one())
    return list(range(start + 1, start + n + 1))


def bulk_insert(session: Session, model: type[SQLModel], rows: Sequence[Any], progress: Progress | None = None,
                what: str = "", columns: Sequence[str] | None = None,
                apart: dict[str, Sequence[Any]] | None = None) -> None:
    """Insert rows (dicts, or tuples in `columns` order) by executemany on SQLite, COPY on PostgreSQL; `apart`
    holds more columns as lists of values (one per row), joined to the rows as they are bound."""
    # Values are bound as SQLAlchemy binds them; a column left out takes its default, as with insert().
    table: Table = getattr(model, "__table__")  # noqa: B009
    if not rows:
        return
    if table.name == "customer":  # ids reserved earlier commit below others': name indexes must look for them
        customers_added(session)
    lead = list((apart or {}).values())  # joined to the rows column-wise below: one pass over them, not two
    assert all(len(values) == len(rows) for values in lead)
    if columns is None:
        named = {k for row in rows for k in row}
        columns = [c.name for c in table.columns if c.name in named]
        defaults = [_default(table.c[c]) for c in columns]
        rows = [tuple(row.get(c, d) for c, d in zip(columns, defaults, strict=True)) for row in rows]
    columns, rows = _complete(table, [*(apart or {}), *columns], rows)
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name not in ("sqlite", "postgresql") or _computed_defaults(table, columns):
        if lead:
            rows = [(*a, *r) for a, r in zip(zip(*lead, strict=True), rows, strict=True)]
        for part in _parts(rows, progress, what):
            conn.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in part])
        return
    rows = _bound(rows, [table.c[c] for c in columns], dialect, lead)
    driver: Any = conn.connection.driver_connection
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if dialect.name == "postgresql":
        with driver.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for part in _parts(rows, progress, what):
                for row in part:
                    copy.write_row(row)
        return
    one = f"({', '.join('?' * len(columns))})"
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES "
    # Many rows per statement: a quarter less time than a statement per row (fewer steps through the VM).
    per = max(1, min(ROWS_PER_INSERT, _variables(driver) // len(columns)))
    with _indexes_after(conn, table.name, len(rows)):
        cur = driver.cursor()
        try:
            for part in _parts(rows, progress, what):
                whole = len(part) // per * per
                if whole:
                    cur.executemany(sql + ", ".join([one] * per),
                                    [tuple(chain.from_iterable(part[i:i + per])) for i in range(0, whole, per)])
                if whole < len(part):
                    cur.executemany(sql + one, part[whole:])
        finally:
            cur.close()


@contextmanager
def _indexes_after(conn: Any, table: str, rows: int) -> Iterator[None]:
    """On SQLite, a load at least as large as the table it goes into builds the table's plain indexes after it."""
    # Building an index once from all keys is about twice as fast as growing it key by key. SQLite's DDL is
    # part of the transaction: a rollback restores the indexes, and other connections never miss them.
    if rows < BIG_LOAD or rows < conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one():
        yield
        return
    found = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                 "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'", (table,)).all()
    for name, _ in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in found:
        conn.exec_driver_sql(sql)


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
        for i in range(0, len(group), WRITE_CHUNK):
            part = group[i:i + WRITE_CHUNK]
            conn.execute(stmt, [{"b_" + k: v for k, v in r.items()} for r in part])


@contextmanager
def big_cache(session: Session, rows: int) -> Iterator[None]:
    """On SQLite, a page cache large enough for a big import's index pages while it writes."""
    conn = session.connection()
    if conn.dialect.name != "sqlite" or rows < 10_000:
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def _default(column: Column[Any]) -> Any:
    """A column's scalar Python default, or None."""
    default = column.default
    return getattr(default, "arg", None) if default is not None and default.is_scalar else None


def _computed_defaults(table: Table, columns: list[str]) -> bool:
    """Whether a column left out has a default computed per row (only SQLAlchemy's insert applies those)."""
    return any(c.name not in columns and c.default is not None and not c.default.is_scalar for c in table.columns)


def _complete(table: Table, columns: list[str], rows: Sequence[Any]) -> tuple[list[str], Sequence[Any]]:
    """Add the left-out columns that have a default (as SQLAlchemy's insert would fill them)."""
    extra = [c for c in table.columns if c.name not in columns and c.default is not None and c.default.is_scalar]
    if not extra:
        return columns, rows
    tail = tuple(_default(c) for c in extra)
    return columns + [c.name for c in extra], [tuple(r) + tail for r in rows]


def _bound(rows: Sequence[Any], columns: list[Column[Any]], dialect: Dialect,
           lead: Sequence[Sequence[Any]] = ()) -> Sequence[Any]:
    """Rows with every value converted as SQLAlchemy would bind it (UTC datetimes, money); `lead` holds the
    first columns' values as lists (the rows hold the others)."""
    procs = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    if not lead and all(p is None for p in procs):
        return rows
    given = [values if proc is None else _converted(values, proc) for values, proc in zip(lead, procs, strict=False)]
    # Column by column: the converted ones as lists, the others read from the rows as the new rows are made.
    cols = [map(itemgetter(i), rows) if proc is None else _converted(list(map(itemgetter(i), rows)), proc)
            for i, proc in enumerate(procs[len(lead):])]
    return list(zip(*given, *cols, strict=True))


def _variables(driver: Any) -> int:
    """How many values one SQLite statement may bind (999 before SQLite 3.32)."""
    getlimit = getattr(driver, "getlimit", None)
    return int(getlimit(SQLITE_LIMIT_VARIABLE_NUMBER)) if getlimit is not None else 999


def _converted(values: Sequence[Any], proc: Callable[[Any], Any]) -> list[Any]:
    """proc of each value, once per distinct object (imports share their dates, amounts and `now`)."""
    ids = list(map(id, values))  # every value is alive in `values`, so an id names one object throughout
    done = {key: proc(v) for key, v in dict(zip(ids, values, strict=True)).items()}
    return list(map(done.__getitem__, ids))


def _parts(rows: Sequence[Any], progress: Progress | None, what: str) -> Iterator[Sequence[Any]]:
    """Slices of WRITE_CHUNK rows; progress is told after each."""
    for i in range(0, len(rows), WRITE_CHUNK):
        part = rows[i:i + WRITE_CHUNK]
        yield part
        if progress is not None:
            progress(i + len(part), len(rows), what)
