"""The engine and session factory: SQLite by default, PostgreSQL when a URL says so."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session


def default_url() -> str:
    """DATABASE_URL when set, else a SQLite file in the user's data directory."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalize_url(url)
    from platformdirs import user_data_dir  # only without DATABASE_URL

    folder = Path(user_data_dir("salesbot", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'salesbot.db'}"


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine with the pragmas and pool each backend wants."""
    url = url or default_url()
    # A database error's text leaves out the statement's values (people's messages, names, phones): it is
    # logged, tracebacks included, and the logs never hold message text.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below, not the driver, open transactions.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # a long read (storage.db.reading): each statement on its own, no write lock held
        # Writers are serialized up front, so a read-then-write transaction never dead-ends in BUSY.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for a long read (an export made off the request path) that holds no write lock: on SQLite its
    statements run on their own (every transaction here takes the write lock); on PostgreSQL a read-only
    transaction (its server-side cursors need one; readers never block writers there). It writes nothing."""
    if engine.dialect.name == "sqlite":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, \
                Session(bind=conn, expire_on_commit=False) as session:
            yield session
        return
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.connection().exec_driver_sql("SET TRANSACTION READ ONLY")
        yield session


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed together or not at all."""
    with factory() as session, session.begin():
        yield session
