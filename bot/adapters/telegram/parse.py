"""Telegram Update → Incoming: messages, commands with or without @botname, clicks, locations, documents, photos."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import CallbackQuery, Chat, Message, Update, User

from handlers.types import ChatRef, Incoming

# Telegram's account behind "anonymous group admin" messages: not a person we can bind.
GROUP_ANONYMOUS_BOT = 1087968824
_HEAD = re.compile(r"(/\S*)(.*)", re.S)


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A document a message carries: fetched with getFile before the core sees it."""

    file_id: str
    name: str
    mime: str
    size: int | None


def chat_ref(chat: Chat, workspace: str, message: Message | None = None) -> ChatRef:
    """The neutral address of a Telegram chat; a forum topic is its thread."""
    thread = None
    if message is not None and message.is_topic_message and message.message_thread_id:
        thread = str(message.message_thread_id)
    return ChatRef(platform="telegram", workspace=workspace, chat=str(chat.id), thread=thread)


def _person(user: User | None) -> bool:
    return user is not None and not user.is_bot and user.id != GROUP_ANONYMOUS_BOT


def _command(text: str, bot_username: str | None) -> str | None:
    """`/cmd@bot args` → `/cmd args`; None when the command is addressed to another bot."""
    found = _HEAD.match(text)
    assert found is not None  # called only on text starting with "/", which the pattern always matches
    head, rest = found.groups()
    name, at, target = head.partition("@")
    if at and bot_username and target.lower() != bot_username.lower():
        return None
    rest = rest.strip()
    return f"{name} {rest}" if rest else name


def _addressed_in_group(message: Message, text: str, bot_username: str | None, bot_id: int | None) -> str | None:
    """Plain text in a group counts only when it answers the bot or names it; returns it without the mention."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    if bot_username:
        mention = f"@{bot_username}".lower()
        if mention in text.lower():
            start = text.lower().index(mention)
            return (text[:start] + text[start + len(mention):]).strip()
    return None


def _from_message(message: Message, update_id: int, workspace: str, bot_username: str | None,
                  bot_id: int | None) -> Incoming | None:
    user = message.from_user
    if not _person(user) or message.chat.type == Chat.CHANNEL:
        return None
    assert user is not None
    text = (message.text or message.caption or "").strip()
    location = (message.location.latitude, message.location.longitude) if message.location else None
    private = message.chat.type == Chat.PRIVATE
    if not text and location is None and message.document is None and not (message.photo and private):
        return None  # stickers, photos in a group without a caption, service messages (members, pins, titles…)
    if text.startswith("/"):
        command = _command(text, bot_username)
        if command is None:
            return None
        text = command
    if text and not text.startswith("/") and not private:
        addressed = _addressed_in_group(message, text, bot_username, bot_id)
        if addressed is None and location is None and message.document is None:
            return None
        text = addressed or ""
    return Incoming(chat=chat_ref(message.chat, workspace, message), user=str(user.id), text=text,
                    event_id=str(update_id), locale=user.language_code, location=location, private=private,
                    display_name=user.full_name)


def _from_click(query: CallbackQuery, update_id: int, workspace: str) -> Incoming | None:
    if not _person(query.from_user) or query.message is None or not query.data:
        return None
    message = query.message if isinstance(query.message, Message) else None
    chat = query.message.chat
    return Incoming(chat=chat_ref(chat, workspace, message), user=str(query.from_user.id), action=query.data,
                    event_id=str(update_id), locale=query.from_user.language_code,
                    private=chat.type == Chat.PRIVATE, display_name=query.from_user.full_name)


def to_incoming(update: Update, *, workspace: str, bot_username: str | None = None,
                bot_id: int | None = None) -> Incoming | None:
    """The Incoming an update stands for, or None for what the bot ignores (edits, channel posts, stickers…)."""
    if update.callback_query is not None:
        return _from_click(update.callback_query, update.update_id, workspace)
    if update.message is not None:
        return _from_message(update.message, update.update_id, workspace, bot_username, bot_id)
    return None


def document_of(update: Update) -> DocumentRef | None:
    """The document a message update carries (an import file, an image sent as a file), or its photo (the
    largest size Telegram made of it: a business card), if any."""
    message = update.message
    doc = message.document if message is not None else None
    if doc is None:
        if message is None or not message.photo or not _photo_wanted(message):
            return None
        size = message.photo[-1]
        return DocumentRef(file_id=size.file_id, name=f"photo_{message.message_id}.jpg", mime="image/jpeg",
                           size=size.file_size)
    return DocumentRef(file_id=doc.file_id, name=doc.file_name or "upload", mime=doc.mime_type or
                       "application/octet-stream", size=doc.file_size)


def _photo_wanted(message: Message) -> bool:
    """Whether a photo is for the bot to read (a business card): sent privately without a command, or with the
    caption /card; a photo captioned with another command (/note …) is not downloaded."""
    caption = (message.caption or "").strip()
    head = caption.split(maxsplit=1)[0].split("@", 1)[0].lower() if caption else ""
    return head in ("/card", "/名片") or (message.chat.type == Chat.PRIVATE and not caption.startswith("/"))


def clicked_message_id(update: Update) -> int | None:
    """The message whose button was pressed: a Reply with edit="this" replaces it."""
    query = update.callback_query
    return query.message.message_id if query is not None and query.message is not None else None
