"""The core: turns one Incoming into Replies, inside one transaction."""

from __future__ import annotations

import dataclasses
import logging
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, Executable, Table, and_, bindparam
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session, col, select

from handlers import dialogs, dispatch, door, groups, registry
from handlers.commands import cards, imports
from handlers.context import Ctx, Settings
from handlers.errors import explain
from handlers.i18n import lang_of, tr
from handlers.menus import Menu, menus
from handlers.types import Incoming, Person, Reply
from sales.access import SELLERS
from sales.errors import RuleError
from storage.db import session_factory
from storage.models import ActionToken, ChatIdentity, Conversation, ProcessedEvent, Team, User

log = logging.getLogger("salesbot.core")
MAX_INPUT = 10_000
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def zone(name: str | None, fallback: str) -> ZoneInfo:
    """A time zone by name, or the fallback when the name is unknown."""
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


RETRIES = 8  # runs of one turn that a concurrent turn's serialization failure, deadlock or unique key may cost
_RETRYABLE = {"40001", "40P01", "23505"}  # serialization failure, deadlock detected, unique violation


def retryable(exc: DBAPIError) -> bool:
    """Whether a turn failed only because a concurrent one won (PostgreSQL): running it again answers it.

    A unique key that a concurrent turn filled first is retried too: the second run sees that row and answers
    as the rules say (a duplicate, a code already used) instead of failing."""
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE


class Unavailable(Exception):
    """The database cannot be reached: nothing was done, the same input may be tried again later."""


Observer = Callable[[Incoming, str, float, str], None]  # (incoming, command, seconds, outcome)
Outcome = Literal["ok", "error", "repeat", "unavailable", "limited"]


def command_of(incoming: Incoming) -> str:
    """What kind of input this is, for logs and metrics: a registered command's name (an alias gives its
    command's), "other" for any other /word, "click" or "text": a bounded set whatever people type."""
    if incoming.action:
        return "click"
    text = incoming.text.strip()
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return "text"
    known = registry.COMMANDS.get(text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower())
    return known.name if known is not None else "other"


# Control characters (PostgreSQL refuses NUL; none of them means anything in chat) and lone UTF-16 surrogates
# (a JSON "\ud800" decodes to one; no database can store it as UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_input(incoming: Incoming) -> Incoming:
    """The input without control characters and lone surrogates, in what was said and in the ids it is stored
    under (event, user, chat)."""
    text = _CONTROL.sub("", incoming.text)
    action = _CONTROL.sub("", incoming.action) if incoming.action else incoming.action
    ids: dict[str, Any] = {k: _CONTROL.sub("", v) for k in ("user", "event_id", "display_name", "locale")
                           if isinstance(v := getattr(incoming, k), str) and _CONTROL.search(v)}
    chat = incoming.chat
    where: dict[str, Any] = {k: _CONTROL.sub("", v) for k in ("workspace", "chat", "thread")
                             if isinstance(v := getattr(chat, k), str) and _CONTROL.search(v)}
    if text == incoming.text and action == incoming.action and not ids and not where:
        return incoming
    return dataclasses.replace(incoming, text=text, action=action, chat=dataclasses.replace(chat, **where), **ids)


class Core:
    """The platform-neutral command and dialogue core."""

    def __init__(self, engine: Engine, *, clock: Clock = system_clock, settings: Settings | None = None,
                 observer: Observer | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = settings or Settings()
        self.observer = observer
        self._sessions = session_factory(engine)
        registry.load_all()

    def handle(self, incoming: Incoming, *, raise_unavailable: bool = False) -> list[Reply]:
        """Answer one message or click; its effects are committed together or not at all.

        With `raise_unavailable`, a database that cannot be reached raises Unavailable instead of
        answering "try again shortly", so an adapter can have the platform redeliver the input later.
        """
        incoming = clean_input(incoming)
        started = time.perf_counter()
        outcome: Outcome = "error"
        try:
            prepared = self._prepare(incoming)
            conflicts = 0
            for attempt in range(1, RETRIES + 1):
                try:
                    replies, outcome = self._turn(incoming, prepared)
                    return replies
                except dialogs.Conflict:
                    conflicts += 1
                    if conflicts == 2:
                        break
                except _Repeat:
                    outcome = "repeat"
                    return []
                except (OperationalError, InterfaceError, IntegrityError) as exc:
                    if retryable(exc) and attempt < RETRIES:  # a concurrent turn won: run this one again
                        log.info("turn retried", extra={"platform": incoming.chat.platform, "attempt": attempt,
                                                        "error": type(exc.orig).__name__})
                        time.sleep(random.uniform(0.005, 0.05) * attempt)
                        continue
                    if isinstance(exc, IntegrityError):
                        log.exception("turn failed", extra={"platform": incoming.chat.platform,
                                                            "user": incoming.user})
                        break
                    outcome = "unavailable"
                    log.warning("database unavailable", extra={"platform": incoming.chat.platform,
                                                               "error": type(exc).__name__})
                    if raise_unavailable:
                        raise Unavailable() from exc
                    return [Reply(text=self._text(incoming, "Please try again shortly: the database is unreachable "
                                                                    "and your message was not saved."))]
                except Exception:
                    log.exception("turn failed", extra={"platform": incoming.chat.platform, "user": incoming.user})
                    break
            return [Reply(text=self._text(incoming, "Sorry, something went wrong and nothing was saved. "
                                                    "Please try again."))]
        finally:
            if self.observer is not None:
                self.observer(incoming, command_of(incoming), time.perf_counter() - started, outcome)

    def _prepare(self, incoming: Incoming) -> object:
        """The slow work an input needs, done before its turn's transaction so that no database connection or
        row waits for it: a business card's reading (OCR), for a seller's picture that asks for one."""
        file = incoming.file
        if file is None or not cards.wants_reading(incoming) or len(file.data) > self.settings.max_file_bytes:
            return None
        try:
            person = self.who(incoming.chat.platform, incoming.chat.workspace, incoming.user)
        except (OperationalError, InterfaceError):
            return None  # the turn says the database is unreachable
        if person is None or person.role not in SELLERS:
            return None  # strangers, the deactivated and non-sellers get the core's answer without a read
        return cards.read_before_turn(incoming, self.settings.phone_region)

    def _text(self, incoming: Incoming, msgid: str) -> str:
        return tr(self._guess_lang(incoming.locale), msgid)

    def who(self, platform: str, workspace: str, external_id: str) -> Person | None:
        """The active user behind a platform account, or None: a stranger, or a deactivated user (whom every
        surface treats alike: the core answers both, whatever they send)."""
        with self._sessions() as session:
            user = self._who(session, platform, workspace, external_id)
            if user is None or not user.active or user.id is None:
                return None
            return Person(user_id=user.id, role=user.role, lang=self._guess_lang(user.lang))

    def menus(self, platform: str, workspace: str) -> list[Menu]:
        """The command menus of a platform's bot: per language, and each bound person's by role."""
        with self._sessions() as session:
            return menus(session, platform=platform, workspace=workspace, default_lang=self.settings.default_lang)

    def lang_of(self, incoming: Incoming) -> str:
        """The language this speaker is answered in: their own choice, else a guess from the platform's locale."""
        c = incoming.chat
        return self.lang_for(c.platform, c.workspace, incoming.user, locale=incoming.locale)

    def lang_for(self, platform: str, workspace: str, external_id: str, *, locale: str | None = None) -> str:
        """The language an account is answered in: its user's choice (a deactivated user's too, as the core's
        refusal is), else a guess from the platform's locale."""
        try:
            with self._sessions() as session:
                user = self._who(session, platform, workspace, external_id)
                chosen = user.lang if user is not None else None
        except (OperationalError, InterfaceError):
            chosen = None  # the answer still goes out, in the platform's language
        return self._guess_lang(chosen or locale)

    def _guess_lang(self, locale: str | None) -> str:
        """The catalog for a user's choice or a platform's locale, else the deployment's language."""
        return lang_of(locale, lang_of(self.settings.default_lang))

    def _turn(self, incoming: Incoming, prepared: object = None) -> tuple[list[Reply], Outcome]:
        now = self.clock()
        with self._sessions() as session, session.begin():
            if incoming.event_id and not _first_delivery(
                    session, f"{incoming.chat.platform}:{incoming.chat.workspace}:{incoming.event_id}", now):
                raise _Repeat()
            ctx = Ctx(session=session, incoming=incoming, now=now, settings=self.settings,
                      lang=self._guess_lang(incoming.locale), tz=zone(None, self.settings.default_tz),
                      prepared=prepared)
            ctx.user, open_dialog, ctx.team = self._who_and_dialog(session, incoming)
            if ctx.user is not None:
                u = ctx.user
                ctx.lang = lang_of(u.lang, ctx.lang) if u.lang else ctx.lang
                ctx.tz = zone(u.tz, self.settings.default_tz)
            limited = door.throttle(ctx)
            if limited is not None:  # the "slow down" and the silently dropped inputs after it
                return limited, "limited"
            refused = door.gate(ctx)
            if refused is not None:
                return refused, "ok"
            before = dialogs.load(session, incoming, now, found=open_dialog) if ctx.user else None
            ctx.held = dialogs.held(before, now)
            try:
                with session.begin_nested():
                    self._dispatch(ctx, before)
            except RuleError as err:
                ctx.replies.clear()
                ctx.dialog = None
                ctx.keep_dialog = True
                explain(ctx, err)
            if ctx.interrupted and before is not None and before.flow != dialogs.PARKED and not ctx.keep_dialog:
                ctx.held = dialogs.hold(before)  # the new command's answer first, then one line about the old
                ctx.say("⏸ The dialogue before is on hold.", buttons=(
                    (ctx.button(ctx.t("Continue"), "dlg.go"), ctx.button(ctx.t("Drop"), "dlg.drop")),))
            question = ctx.replies[-1].text if ctx.asked and ctx.dialog is not None and ctx.replies else None
            groups.route(ctx)
            if ctx.user is not None and not ctx.keep_dialog:
                after, expires = dialogs.after_turn(before, ctx.dialog, ctx.held, question)
                dialogs.save(session, incoming, before, after, now, self.settings.dialog_minutes, expires)
            return ctx.replies, "ok"

    def _who_and_dialog(self, session: Session, incoming: Incoming
                        ) -> tuple[User | None, Conversation | None, Team | None]:
        # One statement: the speaker's account, their dialogue row in this chat, if any (dialogs.load judges it),
        # and their team (what session.get(Team, …) then finds in the session for the rest of the turn).
        c = incoming.chat
        row = session.exec(_WHO_AND_DIALOG, params={"platform": c.platform, "workspace": c.workspace, "chat": c.chat,
                                                    "user": incoming.user}).first()
        return (row[0], row[1], row[2]) if row is not None else (None, None, None)

    def _who(self, session: Session, platform: str, workspace: str, external_id: str) -> User | None:
        # One statement: the account bound to this chat identity (a deactivated user is refused by door.gate).
        return session.exec(select(User).join(ChatIdentity, col(ChatIdentity.user_id) == col(User.id)).where(
            col(ChatIdentity.platform) == platform, col(ChatIdentity.workspace) == workspace,
            col(ChatIdentity.external_id) == external_id)).first()

    def _dispatch(self, ctx: Ctx, before: object) -> None:
        incoming = ctx.incoming
        text = incoming.text.strip()
        if len(text) > MAX_INPUT:
            ctx.say("That message is too long (at most {n} characters) and was not saved. Please split it.",
                    n=MAX_INPUT)
            ctx.keep_dialog = True
            return
        if incoming.action:
            action = incoming.action
            if action.startswith("tok:"):
                stored = self._stored(ctx, action[4:])
                if stored is None:
                    return
                action = stored
            if action.startswith("say:"):
                text = action[4:]
            else:
                if ctx.user is None:
                    dispatch.stranger(ctx)
                else:
                    dispatch.press(ctx, action, before)
                return
        if ctx.user is None and not text.startswith("/"):
            dispatch.stranger(ctx)
        elif incoming.location is not None and ctx.user is not None:
            # a location is never an answer to an open dialogue; with a /visit caption it checks that visit in
            if text.startswith("/"):
                dispatch.run_text(ctx, text)
            else:
                ctx.keep_dialog = True
            dispatch.location(ctx, incoming.location)
        elif cards.is_image(incoming.file) and not text.startswith("/"):
            if incoming.private:
                cards.received(ctx)  # a photo sent privately: read as a business card
            else:
                ctx.keep_dialog = True  # a picture in a group is read only with the caption /card
        elif incoming.file is not None and not text.startswith("/"):
            imports.received(ctx, incoming.file)  # a spreadsheet sent without a caption: preview its import
        elif before is not None and not text.startswith("/"):
            dispatch.resume(ctx, before, text)
        else:
            ctx.interrupted = before is not None and not dispatch.continues(before, text)
            dispatch.run_text(ctx, text)


    @staticmethod
    def _stored(ctx: Ctx, key: str) -> str | None:
        """The payload a button stored under `key`; None (and one polite line) when it was shown to someone else;
        "" when unknown or expired (answered "That button no longer works")."""
        token = ctx.session.exec(select(ActionToken).where(col(ActionToken.key) == key)).first() if key else None
        if token is None or (token.expires_at is not None and token.expires_at <= ctx.now):
            return ""
        if token.user_id is not None and (ctx.user is None or ctx.user.id != token.user_id):
            ctx.say("That button was shown to someone else: only they can use it.")
            ctx.keep_dialog = True
            return None
        return token.payload


# The statements of every turn, made once: with bound parameters, SQLAlchemy finds each one's compiled form by
# a cache key it computes once per statement object, instead of building, coercing and keying it every turn.
_WHO_AND_DIALOG = (
    select(User, Conversation, Team).join(ChatIdentity, col(ChatIdentity.user_id) == col(User.id))
    .outerjoin(Team, col(Team.id) == col(User.team_id))
    .outerjoin(Conversation, and_(
        col(Conversation.platform) == bindparam("platform"), col(Conversation.workspace) == bindparam("workspace"),
        col(Conversation.chat) == bindparam("chat"), col(Conversation.user) == bindparam("user")))
    .where(col(ChatIdentity.platform) == bindparam("platform"), col(ChatIdentity.workspace) == bindparam("workspace"),
           col(ChatIdentity.external_id) == bindparam("user")))
_FIRST: dict[str, Executable] = {}  # by dialect: INSERT … ON CONFLICT DO NOTHING RETURNING key


def _first_insert(dialect: str) -> Executable:
    table = cast(Table, ProcessedEvent.__table__)  # type: ignore[attr-defined]
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Executable = pg_insert(table).values(key=bindparam("key"), at=bindparam("at")) \
            .on_conflict_do_nothing().returning(table.c.key)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).values(key=bindparam("key"), at=bindparam("at")) \
            .on_conflict_do_nothing().returning(table.c.key)
    return _FIRST.setdefault(dialect, stmt)


def _first_delivery(session: Session, key: str, now: datetime) -> bool:
    """Record an inbound event's key; False when it was recorded before (a redelivery). One statement, no
    savepoint: INSERT … ON CONFLICT DO NOTHING (on PostgreSQL a concurrent twin waits for the first to commit)."""
    dialect = session.get_bind().dialect.name
    stmt = _FIRST[dialect] if dialect in _FIRST else _first_insert(dialect)
    return session.execute(stmt, {"key": key, "at": now}).first() is not None  # a row only when it was inserted


class _Repeat(Exception):
    """This event was handled before."""
