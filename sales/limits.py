"""Abuse limits: a per-account window counter in the database, so every process counts the same inputs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, literal
from sqlmodel import Session, col

from storage.models import RateWindow

Verdict = Literal["ok", "warn", "drop"]


def admit(session: Session, *, key: str, now: datetime, limit: int, window: timedelta) -> Verdict:
    """Count one input of `key`: "ok" within the limit, "warn" for the first one over it, "drop" after that.

    One INSERT … ON CONFLICT DO UPDATE … RETURNING: atomic on both backends, and the row it locks (on
    PostgreSQL, until the turn commits) is this account's alone, so nobody else waits for a flood.
    """
    if limit <= 0:
        return "ok"
    table: Any = getattr(RateWindow, "__table__")  # noqa: B009
    dialect = session.get_bind().dialect.name
    make: Any  # each dialect imported when used: the PostgreSQL one costs a tenth of a second of a SQLite start-up
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        make = pg_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        make = sqlite_insert
    expired = col(RateWindow.started_at) <= now - window
    stmt = make(table).values(key=key, started_at=now, count=1).on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"started_at": case((expired, literal(now, table.c.started_at.type)), else_=table.c.started_at),
              "count": case((expired, 1), else_=table.c.count + 1)},
    ).returning(table.c.count)
    count = int(session.execute(stmt).scalar_one())
    if count <= limit:
        return "ok"
    return "warn" if count == limit + 1 else "drop"
