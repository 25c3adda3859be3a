"""The neutral types at the boundary between the chat platforms and the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Platform = Literal["slack", "telegram", "console", "feishu"]


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where a message was said or is to be said."""

    platform: Platform
    workspace: str  # Slack team id / Telegram bot id / "local"
    chat: str
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file going in (an import) or out (a chart, an export)."""

    name: str
    mime: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did in a chat: a message or a click."""

    chat: ChatRef
    user: str  # the platform's user id
    text: str = ""  # a command or free text; "" for a click
    action: str | None = None  # a button's payload, e.g. "ap.ok:42"
    event_id: str | None = None  # the idempotency key
    locale: str | None = None
    location: tuple[float, float] | None = None
    file: Attachment | None = None
    private: bool = True  # a direct chat with the bot, not a group
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A button: its label and the payload a click sends back."""

    label: str  # ≤ 75 chars
    action: str  # ≤ 64 bytes: Telegram's callback_data limit
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the core wants shown."""

    text: str  # a small Markdown subset; each renderer converts and escapes it
    to: ChatRef | None = None  # None: answer where the message came from
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows
    image: Attachment | None = None
    edit: str | None = None  # replace this earlier message (after a click)
    private: bool = False  # carries personal data: in a group chat it goes to the person privately


@dataclass(frozen=True, slots=True)
class Person:
    """An active user bound to a platform account, as adapters and surfaces see them (`Core.who`)."""

    user_id: int
    role: str
    lang: str  # "zh" or "en"
