"""One turn's context: who speaks, in which language and zone, and what the core answers."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from handlers.types import Attachment, Button, ChatRef, Incoming, Reply
from storage.models import ActionToken, ChatIdentity, Outbox, User

MAX_ACTION_BYTES = 64


@dataclass(frozen=True)
class Settings:
    """What the core needs to know about its deployment."""

    default_lang: str = "en"
    default_tz: str = "Asia/Shanghai"
    phone_region: str = "CN"
    dialog_minutes: int = 30
    rate_limit: int = 20  # inputs per account per window; over it one "slow down", then dropped (0: no limit)
    rate_window_s: int = 10
    # Uploads (imports). The adapters refuse larger files before download (Telegram also any over 20 MB: its
    # Bot API serves no more); the core refuses any that still arrives larger (handlers.trust.gate).
    max_file_bytes: int = 20 * 1024 * 1024


@dataclass
class Ctx:
    """The state of one turn."""

    session: Session
    incoming: Incoming
    now: datetime
    settings: Settings
    user: User | None = None
    lang: str = "en"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    replies: list[Reply] = field(default_factory=list)
    dialog: tuple[str, dict[str, Any]] | None = None  # the dialogue to keep after this turn
    keep_dialog: bool = False
    said: str = ""  # the command line this turn ran, typed or from a say: button

    @property
    def me(self) -> User:
        """The bound user (handlers for bound users only)."""
        assert self.user is not None
        return self.user

    @property
    def local_now(self) -> datetime:
        """Now in the speaker's zone."""
        return self.now.astimezone(self.tz)

    def t(self, zh: str, en: str, **kw: object) -> str:
        """The text in the speaker's language, filled in."""
        return (zh if self.lang == "zh" else en).format(**kw)

    def say(
        self, zh: str, en: str, *, buttons: tuple[tuple[Button, ...], ...] = (), private: bool = False, **kw: object
    ) -> None:
        """Answer the speaker (`private`: the text carries personal data, see handlers/privacy.py)."""
        self.replies.append(Reply(text=self.t(zh, en, **kw), buttons=buttons, private=private))

    def button(self, label: str, action: str, style: Literal["primary", "danger"] | None = None) -> Button:
        """A button whose payload is stored in a row when it is too long for Telegram."""
        if len(action.encode()) > MAX_ACTION_BYTES:
            token = ActionToken(payload=action, created_at=self.now)
            self.session.add(token)
            self.session.flush()
            action = f"tok:{token.id}"
        return Button(label=label[:75], action=action, style=style)

    def ask(self, flow: str, data: dict[str, Any]) -> None:
        """Keep a dialogue open: the speaker's next message continues `flow`."""
        self.dialog = (flow, data)

    def notify(
        self, user: User, zh: str, en: str, *, buttons: tuple[tuple[Button, ...], ...] = (), **kw: object
    ) -> None:
        """Write a message for another person to the outbox, in their language."""
        lang = user.lang or self.settings.default_lang
        text = (zh if lang == "zh" else en).format(**kw)
        enqueue(self.session, user=user, reply=Reply(text=text, buttons=buttons), now=self.now,
                prefer=self.incoming.chat.platform)


def reply_to_json(reply: Reply) -> str:
    """A Reply as the outbox stores it, its image (a chart, a file) base64-encoded."""
    rows = [[{"label": b.label, "action": b.action, "style": b.style} for b in row] for row in reply.buttons]
    data: dict[str, Any] = {"text": reply.text, "buttons": rows}
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
    return Reply(text=data["text"], buttons=rows, to=to, image=attachment)


def enqueue(session: Session, *, user: User, reply: Reply, now: datetime, prefer: str | None = None) -> bool:
    """Queue a message to a user's private chat; False when they have no chat to reach."""
    idents = session.exec(select(ChatIdentity).where(col(ChatIdentity.user_id) == user.id)
                          .order_by(col(ChatIdentity.id).desc())).all()
    if not idents:
        return False
    ident = next((i for i in idents if i.platform == prefer), idents[0])
    session.add(Outbox(platform=ident.platform, workspace=ident.workspace, chat=ident.chat or ident.external_id,
                       user_id=user.id, payload=reply_to_json(reply), next_attempt_at=now, created_at=now))
    return True
