"""One turn's context: who speaks, in which language and zone, and what the core answers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from handlers import outbox
from handlers.i18n import lang_of, tr, trn
from handlers.registry import BUILTIN_VERBS, CLICKS, FLOWS
from handlers.types import Button, Incoming, Reply
from storage.models import ActionToken, User

MAX_ACTION_BYTES = 64
TOKEN_TTL = timedelta(days=7)  # a stored button payload works this long, for the person it was shown to


@dataclass(frozen=True)
class Settings:
    """What the core needs to know about its deployment."""

    default_lang: str = "en"
    default_tz: str = "Asia/Shanghai"
    phone_region: str = "CN"
    dialog_minutes: int = 30
    cadence_per_day: int = 5  # cadence follow-ups the clock puts on one rep's working day (SALESBOT_CADENCE_PER_DAY)
    rate_limit: int = 20  # inputs per account per window; over it one "slow down", then dropped (0: no limit)
    rate_window_s: int = 10
    # Uploads (imports). The adapters refuse larger files before download (Telegram also any over 20 MB: its
    # Bot API serves no more); the core refuses any that still arrives larger (handlers.door.gate).
    max_file_bytes: int = 20 * 1024 * 1024
    # What a spreadsheet may unpack to and hold (sales.imports.read.Limits): checked while it is unpacked.
    max_unpacked_bytes: int = 200 * 1024 * 1024
    max_rows: int = 1_048_576
    max_columns: int = 1_000
    max_cell_chars: int = 32_767
    # /export off the request path: answered "preparing…" at once, the file sent through the outbox when
    # ready (`salesbot run` for the web and all roles; the terminal chat and tests answer with the file).
    background_exports: bool = False
    # Survey links: the web role's address as customers reach it (SALESBOT_PUBLIC_URL), and the company's name
    # their page shows (SALESBOT_COMPANY_NAME; none: the page names no company).
    public_url: str = "http://localhost:8080"
    company_name: str = ""


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
    held: dict[str, Any] | None = None  # a dialogue on hold (handlers/dialogs.py: parked); None once resumed or dropped
    resuming: tuple[str, dict[str, Any]] | None = None  # the dialogue this turn answers (kept on "not found")
    interrupted: bool = False  # a command arrived while a dialogue was open: it goes on hold
    prepared: object = None  # work done before the turn's transaction: a business card's reading (handlers.core)
    page: int = 1  # the page a list shows (handlers/paging.py): a Next button's, or typed "page 3"
    asked: bool = False  # this turn asked a question (ctx.ask): its last answer is the question to ask again
    personal: bool = False  # this turn's command, flow or click answers with personal data (handlers/groups.py)

    @property
    def me(self) -> User:
        """The bound user (handlers for bound users only)."""
        assert self.user is not None
        return self.user

    @property
    def local_now(self) -> datetime:
        """Now in the speaker's zone."""
        return self.now.astimezone(self.tz)

    def t(self, msgid: str, /, **kw: object) -> str:
        """A text in the speaker's language, filled in (`msgid` is its English, handlers/i18n.py)."""
        return tr(self.lang, msgid, **kw)

    def tn(self, singular: str, plural: str, n: int, /, **kw: object) -> str:
        """The singular or plural text for `n` in the speaker's language, filled in with `n` and `kw`."""
        return trn(self.lang, singular, plural, n, **kw)

    def say(
        self, msgid: str, /, *, buttons: tuple[tuple[Button, ...], ...] = (), private: bool = False, **kw: object
    ) -> None:
        """Answer the speaker (`private`: the text carries personal data, see handlers/groups.py)."""
        self.replies.append(Reply(text=self.t(msgid, **kw), buttons=buttons, private=private))

    def button(self, label: str, action: str, style: Literal["primary", "danger"] | None = None) -> Button:
        """A button whose payload is stored in a row when it is too long for Telegram."""
        verb = action.partition(":")[0]
        if verb not in CLICKS and verb not in BUILTIN_VERBS:
            raise LookupError(f"no @click registered for the button verb {verb!r}")
        if len(action.encode()) > MAX_ACTION_BYTES:
            action = self._token(action, self.user.id if self.user is not None else None)
        return Button(label=label[:75], action=action, style=style)

    def _token(self, payload: str, user_id: int | None) -> str:
        """Store a long payload under an unguessable key, for `user_id` (the speaker, unless it goes to another
        person), until TOKEN_TTL has passed."""
        key = secrets.token_urlsafe(16)
        self.session.add(ActionToken(key=key, user_id=user_id, payload=payload, created_at=self.now,
                                     expires_at=self.now + TOKEN_TTL))
        return f"tok:{key}"

    def buttons_for(self, user: User, buttons: tuple[tuple[Button, ...], ...]) -> tuple[tuple[Button, ...], ...]:
        """The buttons, with stored payloads bound to `user` (the person they will be shown to)."""
        keys = [b.action[4:] for row in buttons for b in row if b.action.startswith("tok:")]
        if not keys:
            return buttons
        stored = {t.key: t for t in self.session.exec(select(ActionToken).where(col(ActionToken.key).in_(keys)))}

        def bound(b: Button) -> Button:
            token = stored.get(b.action[4:]) if b.action.startswith("tok:") else None
            if token is None or token.user_id == user.id:
                return b
            return replace(b, action=self._token(token.payload, user.id))

        return tuple(tuple(bound(b) for b in row) for row in buttons)

    def ask(self, flow: str, data: dict[str, Any]) -> None:
        """Keep a dialogue open: the speaker's next message continues `flow`."""
        if flow not in FLOWS:
            raise LookupError(f"no @flow registered under {flow!r}")
        self.dialog = (flow, data)
        self.asked = True

    def lang_for(self, user: User) -> str:
        """The language `user` reads (for what is written to them, buttons included)."""
        return lang_of(user.lang, self.settings.default_lang)

    def notify(
        self, user: User, msgid: str, /, *, buttons: tuple[tuple[Button, ...], ...] = (), **kw: object
    ) -> None:
        """Write a message for another person to the outbox, in their language."""
        text = tr(self.lang_for(user), msgid, **kw)
        buttons = self.buttons_for(user, buttons)
        outbox.to_user(self.session, user, Reply(text=text, buttons=buttons), now=self.now,
                       prefer=self.incoming.chat.platform)
