"""The append-only audit trail."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import Session

from storage.models import AuditLog

_TABLE: Table = getattr(AuditLog, "__table__")  # noqa: B009  (SQLModel does not declare it for type checkers)
_APPEND = insert(_TABLE)  # one statement object: compiled once per process, its cache key made once


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def record(
    session: Session,
    *,
    by: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry in the current transaction (written at once: an INSERT, no object for the
    session to flush; nobody reads an entry back in the turn that wrote it)."""
    session.exec(_APPEND, params={"at": now, "user_id": by, "action": action, "entity": entity,
                                  "entity_id": entity_id, "before": _dump(before), "after": _dump(after)})


def _dump(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, default=_plain)
