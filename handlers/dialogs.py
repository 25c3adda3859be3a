"""Dialogues kept in the database, written back only if nobody else moved them meanwhile."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from handlers.types import Incoming
from storage.models import Conversation


class Conflict(Exception):
    """Another process changed this dialogue during the turn: retry the turn."""


_ASK = object()  # load(): read the row
_NONE = "dialogs.no_row"  # Session.info: load() found no row at all for this speaker in this turn


def load(
    session: Session, incoming: Incoming, now: datetime, *, found: Conversation | object | None = _ASK,
) -> Conversation | None:
    """The speaker's open dialogue in this chat, if any and not expired (`found`: the row, or None, already read
    with the account by Core: no second statement)."""
    c = incoming.chat
    if isinstance(found, Conversation) or found is None:
        row = found
    else:
        row = session.exec(select(Conversation).where(
            col(Conversation.platform) == c.platform, col(Conversation.workspace) == c.workspace,
            col(Conversation.chat) == c.chat, col(Conversation.user) == incoming.user)).first()
    if row is None:
        session.info[_NONE] = True  # save() has no expired row to clear first
    elif row.expires_at < now:
        return None
    return row


def data_of(row: Conversation) -> dict[str, Any]:
    """The dialogue's data."""
    value = json.loads(row.data)
    return value if isinstance(value, dict) else {}


def save(
    session: Session, incoming: Incoming, before: Conversation | None, after: tuple[str, dict[str, Any]] | None,
    now: datetime, minutes: int,
) -> None:
    """Store the dialogue state after a turn, guarded by the version read before it."""
    c = incoming.chat
    if before is None:
        # An expired row may still be there (unless load found none this turn): clear it, then insert.
        if not session.info.pop(_NONE, False):
            session.execute(delete(Conversation).where(
                col(Conversation.platform) == c.platform, col(Conversation.workspace) == c.workspace,
                col(Conversation.chat) == c.chat, col(Conversation.user) == incoming.user,
                col(Conversation.expires_at) < now))
        if after is not None:
            session.add(Conversation(platform=c.platform, workspace=c.workspace, chat=c.chat, user=incoming.user,
                                     flow=after[0], data=json.dumps(after[1], ensure_ascii=False), version=1,
                                     expires_at=now + timedelta(minutes=minutes)))
            session.flush()
        return
    guard = (col(Conversation.id) == before.id, col(Conversation.version) == before.version)
    if after is None:
        result = session.execute(delete(Conversation).where(*guard))
    else:
        result = session.execute(update(Conversation).where(*guard).values(
            flow=after[0], data=json.dumps(after[1], ensure_ascii=False), version=before.version + 1,
            expires_at=now + timedelta(minutes=minutes)))
    if getattr(result, "rowcount", 1) == 0:
        raise Conflict()
