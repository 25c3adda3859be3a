"""The Telegram adapter: PTB Application wiring, long polling or a webhook, and the outbox sender."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import json
import logging
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import InterfaceError, OperationalError
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram import error as tg
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot import delivery, uploads
from bot.adapters.telegram import parse, render
from bot.adapters.telegram.limits import ChatRateLimiter, Limits, retry_seconds
from bot.adapters.telegram.ordering import PerChatOrder
from bot.config import Config
from handlers import outbox
from handlers.core import Core, Unavailable
from handlers.types import Attachment, ChatRef, Incoming, Reply
from storage.db import session_factory, transaction

if TYPE_CHECKING:
    from bot.inbox import Inbox

log = logging.getLogger("salesbot.telegram")
# Set while a stored update (the durable inbox) is handled: a database gone away mid-turn leaves it stored for
# another try instead of answering "not saved".
_STORED: contextvars.ContextVar[bool] = contextvars.ContextVar("telegram_stored", default=False)
_RUNNING: dict[str, TelegramBot] = {}  # token → this process's running bot: the outbox sender shares its pace
DEFAULT_API = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile serves files up to 20 MB, whatever SALESBOT_MAX_FILE_BYTES says
Context = ContextTypes.DEFAULT_TYPE


class TelegramBot:
    """One bot: turns updates into Core.handle calls and shows the replies; sends outbox rows."""

    def __init__(self, core: Core | None, *, token: str, api_base_url: str = DEFAULT_API,
                 limits: Limits | None = None) -> None:
        self._core = core
        self._token = token
        base = api_base_url.rstrip("/")
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            Application.builder().token(token)
            .base_url(f"{base}/bot{{token}}").base_file_url(f"{base}/file/bot{{token}}")
            .rate_limiter(ChatRateLimiter(limits or Limits()))
            .concurrent_updates(PerChatOrder())
            .build())
        register(self.application, self)
        self._secret = ""
        self.menus_task: asyncio.Task[int] | None = None
        self.inbox: Inbox | None = None  # bot/web.py's durable inbox, when the webhook is served
        self._later: set[int] = set()  # stored updates the database went away from: handled again later
        self._polling: asyncio.Task[None] | None = None  # getUpdates, storing each update before confirming it

    @property
    def core(self) -> Core:
        """The core this bot answers with (a bot made only to send has none)."""
        if self._core is None:
            raise RuntimeError("this TelegramBot only sends")
        return self._core

    @property
    def workspace(self) -> str:
        """The bot's id: Telegram's workspace in ChatRef and ChatIdentity."""
        return str(self.application.bot.id)

    # --- inbound -------------------------------------------------------------------------------------

    async def on_update(self, update: Update, context: Context) -> None:
        """A message or a click: the core's turn, its replies, then whatever it queued for others."""
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()  # always, first: the button stops spinning
            except tg.TelegramError as exc:
                log.info("callback query not answered: %s", exc)
        bot = self.application.bot
        incoming = parse.to_incoming(update, workspace=self.workspace, bot_username=bot.username, bot_id=bot.id)
        if incoming is None:
            return
        doc = parse.document_of(update)
        if doc is not None:
            incoming = await self._with_file(incoming, doc)
        stored = _STORED.get()
        try:
            if stored:
                replies = await asyncio.to_thread(partial(self.core.handle, incoming, raise_unavailable=True))
            else:
                replies = await asyncio.to_thread(self.core.handle, incoming)
        except Unavailable:
            self._later.add(update.update_id)
            return
        clicked = parse.clicked_message_id(update)
        for reply in replies:
            await self._answer(incoming.chat, reply, clicked)
        try:
            await self.deliver()
        except (OperationalError, InterfaceError) as exc:  # the rows stay queued for the next pass
            log.warning("delivery after a turn skipped: database unavailable", extra={"error": type(exc).__name__})

    async def on_error(self, update: object, context: Context) -> None:
        """Log what escaped a handler; the update is not retried."""
        log.error("telegram update failed", exc_info=context.error)

    async def _with_file(self, incoming: Incoming, doc: parse.DocumentRef) -> Incoming:
        """The incoming with the document's bytes; without them (and a word why) when it is too large."""
        # The configured limit, but never above what the Bot API lets a bot download.
        limit = min(self.core.settings.max_file_bytes, DOWNLOAD_LIMIT)
        if doc.size is not None and doc.size > limit:
            return await self._refuse_file(incoming, limit)
        try:  # a document Telegram sent without its size may still be over what getFile serves
            f = await self.application.bot.get_file(doc.file_id)
        except tg.BadRequest as exc:
            if "too big" not in exc.message.lower():
                raise
            return await self._refuse_file(incoming, limit)
        data = await f.download_as_bytearray()  # one over the setting (under 20 MB) is refused by the core
        return replace(incoming, file=Attachment(name=doc.name, mime=doc.mime, data=bytes(data)))

    async def _refuse_file(self, incoming: Incoming, limit: int) -> Incoming:
        lang = await asyncio.to_thread(self.core.lang_of, incoming)
        await self._answer(incoming.chat, uploads.too_large(limit, lang), None)
        return incoming

    async def _answer(self, origin: ChatRef, reply: Reply, clicked: int | None) -> None:
        """Show one direct reply; what cannot go out now is parked in the outbox for delivery to retry."""
        target = reply.to or origin
        if target.platform != "telegram":
            log.warning("reply for another platform dropped", extra={"platform": target.platform})
            return
        edit = None
        if reply.edit == "this" and reply.to is None:
            edit = clicked
        elif reply.edit and reply.edit.isdigit():
            edit = int(reply.edit)
        try:
            await self.show(reply, chat_id=target.chat, thread=target.thread, edit_message_id=edit)
        except (tg.RetryAfter, tg.TimedOut) as exc:
            self._park(target, reply, str(exc))
        except tg.BadRequest as exc:
            log.error("reply refused: %s", exc.message, extra={"chat": target.chat})
        except tg.NetworkError as exc:
            self._park(target, reply, str(exc))
        except tg.TelegramError as exc:  # Forbidden: blocked, or never opened a private chat with the bot
            log.warning("reply not delivered: %s", exc, extra={"chat": target.chat})

    def _park(self, to: ChatRef, reply: Reply, error: str) -> None:
        now = self.core.clock()
        with transaction(session_factory(self.core.engine)) as session:
            outbox.put(session, to, reply, now=now, error=error)

    # --- outbound ------------------------------------------------------------------------------------

    async def show(self, reply: Reply, *, chat_id: str | int, thread: str | None = None,
                   edit_message_id: int | None = None) -> None:
        """Make the Bot API calls that show a reply; an edit that cannot be made is sent as a new message."""
        for call in render.calls(reply, chat_id=chat_id, thread=thread, edit_message_id=edit_message_id):
            try:
                await self._call(call)
            except tg.BadRequest as exc:
                if call.method != "edit_message_text":
                    raise
                if "not modified" in exc.message:
                    continue
                # too old, deleted, or a photo: say it below instead
                kwargs = {k: v for k, v in call.kwargs.items() if k != "message_id"}
                if thread and thread.isdigit():
                    kwargs["message_thread_id"] = int(thread)
                await self._call(render.Call("send_message", kwargs))

    async def _call(self, call: render.Call) -> None:
        method = getattr(self.application.bot, call.method)
        try:
            await method(**call.kwargs)
        except tg.ChatMigrated as exc:  # a group became a supergroup: its new id takes the message
            await method(**{**call.kwargs, "chat_id": exc.new_chat_id})

    async def send(self, to: ChatRef, reply: Reply) -> None:
        """The outbox sender for bot.delivery: RetryAfter on 429, Undeliverable when Telegram refuses for good."""
        try:
            await self.show(reply, chat_id=to.chat, thread=to.thread)
        except tg.RetryAfter as exc:
            raise delivery.RetryAfter(retry_seconds(exc)) from exc
        except tg.Forbidden as exc:  # blocked by the user, or removed from the group: keep the row, marked
            raise delivery.Undeliverable(f"unreachable: {exc.message}") from exc
        except tg.BadRequest as exc:  # chat not found, and the like: retrying would not help
            raise delivery.Undeliverable(f"refused: {exc.message}") from exc

    async def deliver(self) -> int:
        """Send what the outbox holds for Telegram now; how many went out."""
        total = 0
        while True:
            sent = await delivery.deliver_due_async(self.core.engine, {"telegram": self.send}, self.core.clock())
            total += sent
            if not sent:
                return total

    # --- running -------------------------------------------------------------------------------------

    async def set_menus(self) -> int:
        """Telegram's command menus (setMyCommands): everyone's per language (zh, en: what a stranger may use)
        and each bound person's private chat by role, in the language they read. Failures are logged, never
        fatal: a bot without menus still answers. The number of menus set."""
        done = 0
        try:
            menus = await asyncio.to_thread(self.core.menus, "telegram", self.workspace)
        except (OperationalError, InterfaceError) as exc:
            log.warning("command menus not set: database unavailable (%s)", type(exc).__name__)
            return 0
        bot = self.application.bot
        for m in menus:
            commands = [BotCommand(name, about) for name, about in m.commands]
            scope = BotCommandScopeChat(int(m.chat)) if m.chat else BotCommandScopeDefault()
            try:
                await bot.set_my_commands(commands, scope=scope, language_code=None if m.chat else m.lang)
                done += 1
            except tg.TelegramError as exc:
                log.info("command menu not set: %s", exc)
        return done

    async def start_polling(self, *, poll_timeout: float = 10.0) -> None:
        """Start long polling (getUpdates; any webhook is removed first). Each update fetched is stored in the
        durable inbox, committed, before the next getUpdates confirms it to Telegram (its offset), and the inbox's
        pump handles it: a process that dies loses none of the updates Telegram stopped keeping for it."""
        await self.application.initialize()
        await self.application.start()
        self.menus_task = asyncio.create_task(self.set_menus())  # in the background: paced like every call
        if self.inbox is None:
            from bot.inbox import Inbox

            self.inbox = Inbox(self.core.engine)
            self.inbox.register("telegram", self.handle_stored)
        self.inbox.start()
        await self.application.bot.delete_webhook()
        self._polling = asyncio.create_task(self._poll(poll_timeout))
        _RUNNING[self._token] = self

    async def _poll(self, timeout: float) -> None:
        """getUpdates in a loop; the offset moves past an update only once it is stored."""
        assert self.inbox is not None
        offset: int | None = None
        pause = 1.0
        while True:
            try:
                updates = await self.application.bot.get_updates(offset=offset, timeout=timeout)
                for update in updates:
                    chat = update.effective_chat
                    key = f"chat:{chat.id}" if chat is not None else f"update:{update.update_id}"
                    await self.inbox.put("telegram", str(update.update_id), key, _as_json(update))
                    offset = update.update_id + 1
                pause = 1.0
            except asyncio.CancelledError:
                raise
            except (OperationalError, InterfaceError, TimeoutError) as exc:  # not stored: not confirmed either
                log.warning("polled updates not stored: database unavailable", extra={"error": type(exc).__name__})
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)
            except tg.TelegramError as exc:  # a network fault, a conflict with another poller: Telegram keeps them
                log.warning("getUpdates failed: %s", type(exc).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)

    async def start_embedded(self, *, secret: str, url: str) -> None:
        """Start the Application for a webhook served by another web server (bot/web.py), and register it."""
        if not secret:
            raise ValueError("a webhook needs a secret token (TELEGRAM_WEBHOOK_SECRET)")
        self._secret = secret
        await self.application.initialize()
        await self.application.start()
        await self.application.bot.set_webhook(url=url, secret_token=secret)
        self.menus_task = asyncio.create_task(self.set_menus())
        _RUNNING[self._token] = self

    def secret_ok(self, sent: str) -> bool:
        """Whether a webhook call carries our secret token (compared in constant time)."""
        return bool(self._secret) and hmac.compare_digest(sent.encode(), self._secret.encode())

    def check(self, payload: Any) -> tuple[str, str]:
        """A webhook body's update id and chat (the inbox's keys); ValueError when it is no update."""
        if not isinstance(payload, dict) or type(payload.get("update_id")) is not int:
            raise ValueError("not an update")
        try:
            update = Update.de_json(payload, self.application.bot)
        except Exception as exc:  # the library's models refuse it: a field of the wrong shape
            raise ValueError("not an update") from exc
        chat = update.effective_chat
        return str(update.update_id), (f"chat:{chat.id}" if chat is not None else f"update:{update.update_id}")

    async def handle_stored(self, payload: str) -> None:
        """Handle one update from the durable inbox, to its end; `Later` when the database went away meanwhile."""
        from bot.inbox import Later

        if not self.application.running:
            raise Later()
        update = Update.de_json(json.loads(payload), self.application.bot)
        token = _STORED.set(True)
        try:
            await self.application.process_update(update)
        finally:
            _STORED.reset(token)
        if update.update_id in self._later:
            self._later.discard(update.update_id)
            raise Later()

    async def stop(self) -> None:
        """Stop polling and the inbox's pump, then the Application (a webhook stays registered)."""
        if self._polling is not None:
            self._polling.cancel()  # what it fetched and did not store yet is not confirmed: Telegram keeps it
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        if self.inbox is not None:
            await self.inbox.stop()
        if _RUNNING.get(self._token) is self:
            del _RUNNING[self._token]
        if self.menus_task is not None and not self.menus_task.done():
            self.menus_task.cancel()
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()


def _as_json(update: Update) -> str:
    """An update as Telegram sent it, for the inbox (a date the library keeps as a datetime back to its stamp)."""
    return json.dumps(update.to_dict(), default=lambda v: int(v.timestamp()) if isinstance(v, datetime) else str(v))


def register(application: Application[Any, Any, Any, Any, Any, Any], bot: TelegramBot) -> None:
    """One listener per kind: clicks and messages; edits, channel posts and the rest have none."""
    application.add_handler(CallbackQueryHandler(bot.on_update))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, bot.on_update))
    application.add_error_handler(bot.on_error)


def from_config(cfg: Config, core: Core | None, limits: Limits | None = None) -> TelegramBot:
    """The bot TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL describe."""
    if cfg.telegram_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return TelegramBot(core, token=cfg.telegram_token.get_secret_value(), api_base_url=cfg.telegram_api_base_url,
                       limits=limits)


def sender(cfg: Config) -> delivery.AsyncSender:
    """The outbox sender: through this process's running bot (one pace for both), else a bot of its own."""
    if cfg.telegram_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    token = cfg.telegram_token.get_secret_value()
    own: list[TelegramBot] = []
    lock = asyncio.Lock()

    async def send(to: ChatRef, reply: Reply) -> None:
        bot = _RUNNING.get(token)
        if bot is None:
            async with lock:
                if not own:
                    only_sends = from_config(cfg, None)
                    await only_sends.application.initialize()
                    own.append(only_sends)
            bot = own[0]
        await bot.send(to, reply)

    return send
