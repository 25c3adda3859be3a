"""Feishu event payloads (schema 2.0, as delivered over the long connection or the HTTP callback) → Incoming.

Pure functions over the decrypted event JSON: im.message.receive_v1 (text, rich text, files, images, locations)
and card.action.trigger (a button on one of our cards)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.adapters.feishu.render import ACTION_KEY
from handlers.types import ChatRef, Incoming

MESSAGE = "im.message.receive_v1"
CARD_ACTION = "card.action.trigger"
_MENTION_KEY = re.compile(r"@_user_\d+")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file or image a person sent: fetched with im/v1/messages/:id/resources/:key."""

    message_id: str
    key: str
    kind: Literal["file", "image"]
    name: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """What an event amounts to, and what the adapter needs to answer it in place."""

    kind: Literal["message", "action"]
    incoming: Incoming
    open_id: str
    message_id: str | None = None  # the person's message, answered in a group as a reply to it
    clicked: str | None = None  # the card a button was pressed on (updated in place)
    file: FileRef | None = None
    mentions: dict[str, str] = field(default_factory=dict)


def event_type(body: dict[str, Any]) -> str:
    """The event's type (schema 2.0 header), or "" for anything else."""
    header = body.get("header")
    return str(header.get("event_type") or "") if isinstance(header, dict) else ""


def content_of(message: dict[str, Any]) -> dict[str, Any]:
    """A message's content, which Feishu sends as a JSON string."""
    raw = message.get("content")
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def text_of(message: dict[str, Any], names: dict[str, str], bot_keys: Collection[str]) -> str:
    """The words of a text or rich-text message: the bot's own mentions dropped, others as @name."""
    content = content_of(message)
    kind = message.get("message_type")
    if kind == "text":
        raw = str(content.get("text") or "")
    elif kind == "post":
        raw = _post_text(content)
    else:
        return ""

    def mention(m: re.Match[str]) -> str:
        key = m.group(0)
        return "" if key in bot_keys else f"@{names.get(key, key)}"

    lines = [_SPACES.sub(" ", _MENTION_KEY.sub(mention, line)).strip() for line in raw.split("\n")]
    return "\n".join(lines).strip()


def _post_text(content: dict[str, Any]) -> str:
    # Received rich text is {"title": …, "content": [[run, …], …]}; a sent one nests it under a locale.
    body = content if "content" in content else next((v for v in content.values() if isinstance(v, dict)), {})
    lines = [str(body.get("title") or "")] if body.get("title") else []
    for paragraph in body.get("content") or []:
        words = []
        for run in paragraph if isinstance(paragraph, list) else []:
            tag = run.get("tag") if isinstance(run, dict) else None
            if tag in ("text", "a", "code_block", "md"):
                words.append(str(run.get("text") or ""))
            elif tag == "at":
                words.append(str(run.get("user_id") or ""))  # "@_user_1": resolved like a text message's
            elif tag == "emotion":
                words.append(f":{run.get('emoji_type', '')}:")
        lines.append("".join(words))
    return "\n".join(lines)


def as_command(text: str, commands: Collection[str]) -> str:
    """Text whose first word is a command name, said to the bot, becomes that command ("today" → "/today")."""
    first = text.split(maxsplit=1)[0].lower() if text.strip() else ""
    return f"/{text}" if first in commands and not text.startswith("/") else text


def from_message(body: dict[str, Any], *, workspace: str, bot_open_id: str | None,
                 commands: Collection[str] = ()) -> Parsed | None:
    """A person's message, or None when the bot has nothing to do with it (another bot, a group's chatter)."""
    event = body.get("event") or {}
    sender, message = event.get("sender") or {}, event.get("message") or {}
    open_id = (sender.get("sender_id") or {}).get("open_id")
    chat_id, message_id = message.get("chat_id"), message.get("message_id")
    if sender.get("sender_type") != "user" or not open_id or not chat_id or not message_id:
        return None
    mentions = {str(m.get("key")): str(m.get("name") or "") for m in message.get("mentions") or []
                if isinstance(m, dict) and m.get("key")}
    mine = [str(m.get("key")) for m in message.get("mentions") or [] if isinstance(m, dict)
            and (m.get("id") or {}).get("open_id") == bot_open_id]
    if bot_open_id is None:  # the bot's own id unknown: in a group the bot only hears what mentions it
        mine = list(mentions)
    private = message.get("chat_type") == "p2p"
    # In a topic (or a reply thread) answers stay in it: they are replies in the thread of its first message.
    thread = str(message.get("root_id")) if message.get("thread_id") and message.get("root_id") else None
    chat = ChatRef(platform="feishu", workspace=workspace, chat=str(chat_id), thread=thread)
    header = body.get("header") or {}
    event_id = str(header["event_id"]) if header.get("event_id") else None
    base = Incoming(chat=chat, user=str(open_id), event_id=event_id, private=private)
    kind = message.get("message_type")
    if kind in ("file", "image"):
        if not private:
            return None  # a file in a group is not for the bot (it cannot be addressed to it)
        content = content_of(message)
        key = content.get("file_key") if kind == "file" else content.get("image_key")
        if not key:
            return None
        name = str(content.get("file_name") or f"{key}.png")
        ref = FileRef(message_id=str(message_id), key=str(key), kind="file" if kind == "file" else "image", name=name)
        return Parsed("message", base, str(open_id), message_id=str(message_id), file=ref, mentions=mentions)
    if kind == "location":
        where = _location(content_of(message))
        if where is None or not private:
            return None
        return Parsed("message", replace(base, location=where), str(open_id), message_id=str(message_id))
    text = text_of(message, mentions, mine)
    addressed = private or bool(mine)
    # A photo sent with words (a business card captioned /card, say) is rich text holding an image.
    image = post_image(content_of(message)) if kind == "post" else None
    photo = None if image is None else FileRef(message_id=str(message_id), key=image, kind="image",
                                               name=f"{image}.png")
    if text.startswith("/"):
        pass  # a command works in a group with or without @bot
    elif not addressed or not (text or photo):
        return None
    elif text:
        text = as_command(text, commands)
    return Parsed("message", replace(base, text=text), str(open_id), message_id=str(message_id), file=photo,
                  mentions=mentions)


def post_image(content: dict[str, Any]) -> str | None:
    """The first image's key in a rich-text message, if it holds one."""
    body = content if "content" in content else next((v for v in content.values() if isinstance(v, dict)), {})
    for paragraph in body.get("content") or []:
        for run in paragraph if isinstance(paragraph, list) else []:
            if isinstance(run, dict) and run.get("tag") == "img" and run.get("image_key"):
                return str(run["image_key"])
    return None


def _location(content: dict[str, Any]) -> tuple[float, float] | None:
    try:
        lat, lon = float(content["latitude"]), float(content["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def from_action(body: dict[str, Any], *, workspace: str, private: bool) -> Parsed | None:
    """A button pressed on one of our cards, or None when it carries no payload of ours."""
    event = body.get("event") or {}
    operator, action, context = event.get("operator") or {}, event.get("action") or {}, event.get("context") or {}
    open_id, chat_id = operator.get("open_id"), context.get("open_chat_id")
    value = action.get("value")
    payload = value.get(ACTION_KEY) if isinstance(value, dict) else None
    if not open_id or not chat_id or not isinstance(payload, str) or not payload:
        return None
    header = body.get("header") or {}
    event_id = str(header["event_id"]) if header.get("event_id") else None
    chat = ChatRef(platform="feishu", workspace=workspace, chat=str(chat_id))
    incoming = Incoming(chat=chat, user=str(open_id), action=payload, event_id=event_id, private=private)
    clicked = str(context["open_message_id"]) if context.get("open_message_id") else None
    return Parsed("action", incoming, str(open_id), clicked=clicked)


def chat_of_action(body: dict[str, Any]) -> str | None:
    """The chat a card action happened in (to learn whether it is a private one)."""
    chat = ((body.get("event") or {}).get("context") or {}).get("open_chat_id")
    return str(chat) if chat else None


IMAGE_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
                "image/bmp": ".bmp", "image/tiff": ".tiff"}
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"),
          (b"BM", "image/bmp"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"))


def sniff_image(data: bytes) -> str | None:
    """A picture's MIME type from its first bytes (Feishu may serve a photo as application/octet-stream)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _MAGIC if data.startswith(magic)), None)


def inbox_keys(body: dict[str, Any]) -> tuple[str, str]:
    """An event's idempotency key (its header's event_id) and chat (the inbox's keys: one chat's events in order)."""
    header, event = _dict(body, "header"), _dict(body, "event")
    message, context = _dict(event, "message"), _dict(event, "context")
    chat = message.get("chat_id") or context.get("open_chat_id") or ""
    key = header.get("event_id") or body.get("uuid")
    if not key:  # an event without its id: its body stands for it (Feishu's redelivery repeats the body)
        key = "body:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return str(key), f"{header.get('app_id') or ''}:{chat}"


def _dict(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, dict) else {}
