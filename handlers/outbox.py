"""The one writer of messages for other people: where a person is reached, group posts masked, rows stored.

Everything that is not the answer to the message in hand (approval requests, reminders, digests, deal news,
a reply an adapter could not deliver now) is a row of the outbox, written here in the transaction of the
change that caused it; bot/delivery.py sends the rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert
from sqlmodel import Session, col, select

from handlers.types import Attachment, Button, ChatRef, Reply
from sales.privacy import mask_text
from storage.models import ChatIdentity, Outbox, User

_TABLE: Table = getattr(Outbox, "__table__")  # noqa: B009  (SQLModel does not type it)


def reply_to_json(reply: Reply) -> str:
    """A Reply as the outbox stores it, its image (a chart, a file) base64-encoded."""
    rows = [[{"label": b.label, "action": b.action, "style": b.style} for b in row] for row in reply.buttons]
    data: dict[str, Any] = {"text": reply.text, "buttons": rows}
    if reply.edit is not None:  # which message the row replaces (a deal's card: handlers.deal_news.CARD)
        data["edit"] = reply.edit
    if reply.image is not None:
        data["image"] = {"name": reply.image.name, "mime": reply.image.mime,
                         "data": base64.b64encode(reply.image.data).decode()}
    return json.dumps(data, ensure_ascii=False)


def reply_from_json(payload: str, to: ChatRef | None = None) -> Reply:
    """The Reply an outbox row holds."""
    data = json.loads(payload)
    rows = tuple(tuple(Button(label=b["label"], action=b["action"], style=b.get("style")) for b in row)
                 for row in data.get("buttons", []))
    image = data.get("image")
    attachment = (Attachment(name=image["name"], mime=image["mime"], data=base64.b64decode(image["data"]))
                  if isinstance(image, dict) else None)
    edit = data.get("edit")
    return Reply(text=data["text"], buttons=rows, to=to, image=attachment,
                 edit=edit if isinstance(edit, str) else None)


def is_group(where: ChatRef) -> bool:
    """Whether a chat is read by a group rather than by one person."""
    if where.thread and where.thread.startswith("deal:"):
        return True
    if where.platform == "telegram":
        return where.chat.startswith("-")  # groups and channels have negative ids
    if where.platform == "slack":
        return not where.chat.startswith(("D", "U", "W"))  # an IM, or a person's id that opens one
    if where.platform == "feishu":
        return not where.chat.startswith("ou_")  # a person's open_id
    return True  # the terminal chat, and what we cannot tell: masked to be safe


def masked(reply: Reply) -> Reply:
    """A reply for a group chat: phones and emails masked (138****1234, z***@example.com)."""
    text = mask_text(reply.text, star="\\*")
    return reply if text == reply.text else replace(reply, text=text)


def row(where: ChatRef, reply: Reply, *, now: datetime, user_id: int | None = None,
        delay: timedelta = timedelta(0), error: str | None = None) -> dict[str, Any]:
    """One outbox row's values; a message for a group chat (no one person) is masked first."""
    if user_id is None and is_group(where):
        reply = masked(reply)
    return dict(platform=where.platform, workspace=where.workspace, chat=where.chat, thread=where.thread,
                user_id=user_id, payload=reply_to_json(reply), status="pending", attempts=0,
                next_attempt_at=now + delay, created_at=now, error=error[:500] if error else None)


def put(session: Session, where: ChatRef, reply: Reply, *, now: datetime, user_id: int | None = None,
        delay: timedelta = timedelta(0), error: str | None = None) -> None:
    """Queue one message for `where`, in the caller's transaction."""
    put_rows(session, [row(where, reply, now=now, user_id=user_id, delay=delay, error=error)])


def put_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Queue rows made by `row` in one statement."""
    if rows:
        session.execute(insert(_TABLE), rows)


def private_chats(session: Session, user_ids: Iterable[int], prefer: str | None = None) -> dict[int, ChatRef]:
    """Where each user is reached privately: their newest chat on `prefer`'s platform, else their newest chat."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    newest = select(func.max(col(ChatIdentity.id))).where(col(ChatIdentity.user_id).in_(ids))
    if prefer is not None:
        newest = newest.group_by(col(ChatIdentity.user_id), col(ChatIdentity.platform))
    else:
        newest = newest.group_by(col(ChatIdentity.user_id))
    found: dict[int, ChatRef] = {}
    for ident in session.exec(select(ChatIdentity).where(col(ChatIdentity.id).in_(newest))
                              .order_by(col(ChatIdentity.id))).all():
        where = ChatRef(platform=ident.platform, workspace=ident.workspace,  # type: ignore[arg-type]
                        chat=ident.chat or ident.external_id)
        if ident.user_id not in found or ident.platform == prefer or (
                found[ident.user_id].platform != prefer):
            found[ident.user_id] = where
    return found


def private_chat(session: Session, user: User, platform: str | None = None) -> ChatRef | None:
    """Where `user` is reached privately (on `platform` when they have a chat there)."""
    return private_chats(session, [user.id or 0], prefer=platform).get(user.id or 0)


def to_user(session: Session, user: User, reply: Reply, *, now: datetime, prefer: str | None = None) -> bool:
    """Queue a message to a user's private chat; False when they have no chat to reach."""
    where = private_chat(session, user, prefer)
    if where is None:
        return False
    put(session, where, reply, now=now, user_id=user.id)
    return True
