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


PARKED = "parked"  # the flow of a dialogue on hold: its own flow and data are kept in the row's data
QUESTION = "_q"  # the dialogue's last question, asked again when it is continued
HELD = "_held"  # a dialogue on hold under the one that interrupted it


def held(before: Conversation | None, now: datetime) -> dict[str, Any] | None:
    """The dialogue on hold in this chat, if any and its time has not run out."""
    if before is None:
        return None
    data = data_of(before)
    hold = data if before.flow == PARKED else data.get(HELD)
    if not isinstance(hold, dict) or "flow" not in hold:
        return None
    until = datetime.fromisoformat(str(hold.get("until")))
    return hold if until > now else None


def hold(before: Conversation) -> dict[str, Any]:
    """An open dialogue put on hold: its flow, its data, its question and when it runs out (its own time)."""
    data = {k: v for k, v in data_of(before).items() if k != HELD}
    return {"flow": before.flow, "data": data, "until": before.expires_at.isoformat()}


def after_turn(before: Conversation | None, dialog: tuple[str, dict[str, Any]] | None, on_hold: dict[str, Any] | None,
               question: str | None) -> tuple[tuple[str, dict[str, Any]] | None, datetime | None]:
    """What to store after a turn: its own dialogue (carrying the one on hold), or the one on hold, or nothing;
    and a fixed expiry for a dialogue on hold (it expires quietly at its own time)."""
    if dialog is not None:
        data = dict(dialog[1])
        if question:
            data[QUESTION] = question
        if on_hold is not None:
            data[HELD] = on_hold
        return (dialog[0], data), None
    if on_hold is not None:
        return (PARKED, on_hold), datetime.fromisoformat(str(on_hold["until"]))
    return None, None


def save(
    session: Session, incoming: Incoming, before: Conversation | None, after: tuple[str, dict[str, Any]] | None,
    now: datetime, minutes: int, expires: datetime | None = None,
) -> None:
    """Store the dialogue state after a turn, guarded by the version read before it."""
    until = expires or now + timedelta(minutes=minutes)
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
                                     expires_at=until))
            session.flush()
        return
    guard = (col(Conversation.id) == before.id, col(Conversation.version) == before.version)
    if after is None:
        result = session.execute(delete(Conversation).where(*guard))
    else:
        result = session.execute(update(Conversation).where(*guard).values(
            flow=after[0], data=json.dumps(after[1], ensure_ascii=False), version=before.version + 1,
            expires_at=until))
    if getattr(result, "rowcount", 1) == 0:
        raise Conflict()
