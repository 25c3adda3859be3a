"""Locks that make a rule hold once under concurrency: row locks and named (advisory) locks.

PostgreSQL runs turns side by side (READ COMMITTED), so a rule that reads and then writes takes a lock first:
`for_update` re-reads a row under SELECT … FOR UPDATE (the latest committed version, held until commit);
`named` takes a transaction-scoped advisory lock for checks that span many rows (the duplicate checks).
SQLite needs neither: every transaction begins with BEGIN IMMEDIATE (storage/db.py), one writer at a time.
"""

from __future__ import annotations

import hashlib
from typing import TypeVar

from sqlalchemy import text
from sqlmodel import Session

T = TypeVar("T")


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def for_update(session: Session, row: T) -> T:
    """`row` re-read and locked until the transaction ends (a no-op lock on SQLite, whose writer lock is held).

    Changes this session made to it are flushed first, so the re-read keeps them."""
    if _postgres(session):
        session.flush()
        session.refresh(row, with_for_update=True)
    return row


def key_of(name: str) -> int:
    """A stable signed 64-bit key for an advisory lock's name."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def named(session: Session, name: str) -> None:
    """Hold the lock `name` until the transaction ends: the same name's holders take turns."""
    if _postgres(session):
        session.connection().execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key_of(name)})


DEDUPE = "dedupe"  # creating a customer, contact or lead: their duplicate checks read each other's tables
PEOPLE = "people"  # naming a new user: two joins at once never take the same name
