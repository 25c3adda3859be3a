"""A local stand-in for the Telegram Bot API: aiohttp on 127.0.0.1:0 answering with the real JSON shapes,
the real errors and their HTTP statuses; long polling (getUpdates) or updates POSTed to a webhook."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import col, select
from telegram import Update
from telegram.ext import TypeHandler

from bot.adapters.telegram.app import TelegramBot
from bot.adapters.telegram.limits import Limits
from bot.web import Parts, build
from handlers.core import Core
from sales import invites
from storage.db import session_factory, transaction
from storage.models import User
from tests.standins.web import Served

JSONDict = dict[str, Any]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_JSON_PARAMS = {"reply_markup", "entities", "caption_entities", "allowed_updates", "link_preview_options",
                "reply_parameters", "commands", "scope"}
_SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
           "chat_administrators", "chat_member"}
_INT_PARAMS = {"chat_id", "message_id", "message_thread_id", "offset", "limit", "timeout", "max_connections"}
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s[^<>]*)?)>")
_REF = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_ENTITY_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
                 "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
                 "code": "code", "pre": "pre", "a": "text_link", "tg-spoiler": "spoiler", "span": "spoiler",
                 "blockquote": "blockquote"}
_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")


class ApiError(Exception):
    """An error answer: HTTP status = error_code, as the Bot API does."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> JSONDict:
        out: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


def u16(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Telegram's HTML parse mode: the plain text and its entities, or the error Telegram gives."""
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, int, JSONDict]] = []
    entities: list[JSONDict] = []
    i = 0
    while i < len(text):
        ch = text[i]
        at = len(text[:i].encode())
        if ch == "<":
            m = _TAG.match(text, i)
            name = m.group(2).lower() if m else ""
            if m is None or name not in _ENTITY_TYPES:
                raise ApiError(400, f"Bad Request: can't parse entities: Unsupported start tag \"{name}\" "
                                    f"at byte offset {at}")
            if m.group(1):
                if not stack or stack[-1][0] != name:
                    raise ApiError(400, f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                                        f"{at}, expected \"</{stack[-1][0] if stack else ''}>\", found \"</{name}>\"")
                tag, start, extra = stack.pop()
                if pos > start:
                    entities.append({"type": _ENTITY_TYPES[tag], "offset": start, "length": pos - start, **extra})
            else:
                extra: JSONDict = {}
                href = re.search(r'href="([^"]*)"', m.group(3) or "")
                if name == "a" and href:
                    extra["url"] = href.group(1)
                stack.append((name, pos, extra))
            i = m.end()
            continue
        if ch == "&":
            m = _REF.match(text, i)
            if m is None:
                raise ApiError(400, f"Bad Request: can't parse entities: Character '&' is reserved and must be "
                                    f"escaped with the preceding '\\' at byte offset {at}")
            ref = m.group(1)
            ch = _REFS.get(ref) or chr(int(ref[2:], 16) if ref.startswith("#x") else int(ref[1:]))
            i = m.end()
        elif ch == ">":
            raise ApiError(400, f"Bad Request: can't parse entities: Character '>' is reserved at byte offset {at}")
        else:
            i += 1
        out.append(ch)
        pos += u16(ch)
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
                            f"\"{stack[-1][0]}\"")
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


@dataclass
class Arrival:
    """A message the stand-in accepted from the bot (sent or edited), and when."""

    at: float
    method: str
    chat_id: int
    message: JSONDict


@dataclass
class Fault:
    """An error to answer instead of the next matching call."""

    method: str
    error: ApiError
    chat_id: int | None = None
    times: int = 1
    after: int = 0  # let this many matching calls through first
    hits: list[float] = field(default_factory=list)


@dataclass
class Bucket:
    """aiolimiter's leaky bucket, replayed over arrivals: N per T seconds, bursts up to N."""

    rate: float
    period: float
    level: float = 0.0
    last: float = 0.0

    def admit(self, now: float, slack: float = 0.25) -> bool:
        self.level = max(0.0, self.level - (now - self.last) * self.rate / self.period)
        self.last = now
        if self.level + 1 > self.rate + slack:
            return False
        self.level += 1
        return True


@dataclass
class Event:
    """Something the bot did that a person would see: send, edit, answer (a callback query)."""

    kind: str
    chat_id: int
    message: JSONDict


class BotApiStandIn:
    """The Bot API for one bot, on 127.0.0.1 at a free port."""

    def __init__(self, token: str = "4242:STANDIN-abcdefghijklmnopqrstuvwxyz", username: str = "salesbot_test_bot"):
        self.token = token
        self.me: JSONDict = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "salesbot",
                             "username": username, "can_join_groups": True, "can_read_all_group_messages": False,
                             "supports_inline_queries": False, "can_connect_to_business": False,
                             "has_main_web_app": False}
        self.url = ""
        self.chats: dict[int, JSONDict] = {}
        self.started: set[int] = set()  # users who opened a private chat with the bot
        self.blocked: set[int] = set()  # users who blocked the bot
        self.topics: dict[int, set[int]] = {}
        self.messages: dict[tuple[int, int], JSONDict] = {}
        self._next_message: dict[int, itertools.count[int]] = {}
        self.pending: list[JSONDict] = []  # updates not yet confirmed by a getUpdates offset
        self.history: dict[int, JSONDict] = {}
        self._update_ids = itertools.count(500_001)
        self._query_ids = itertools.count(9_000_001)
        self.open_queries: set[str] = set()
        self.webhook: JSONDict | None = None
        self.menus: dict[tuple[str, str], list[JSONDict]] = {}  # (scope, language code) → commands (setMyCommands)
        self.webhook_statuses: list[int] = []
        self.files: dict[str, tuple[str, bytes, str, str]] = {}  # file_id → path, data, name, mime
        self._file_ids = itertools.count(1)
        self.events: list[Event] = []
        self.arrivals: list[Arrival] = []
        self.calls: list[tuple[float, str, JSONDict]] = []
        self.faults: list[Fault] = []
        self.limits: dict[str, tuple[float, float]] = {}  # "overall" / "group" / "chat" → (N, T): 429 beyond
        self.slack = 0.5  # of a message: arrival times jitter a little after the client's limiter let them go
        self._buckets: dict[tuple[str, int], Bucket] = {}
        self._held: dict[int, float] = {}  # chat → until when it answers 429 (after a 429)
        self.violations: list[tuple[float, str, int]] = []
        self._arrived = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    # --- server ----------------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on 127.0.0.1:0; the base URL (TELEGRAM_API_BASE_URL) to give the bot."""
        app = web.Application(client_max_size=60 << 20)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._client = aiohttp.ClientSession()
        return self.url

    async def stop(self) -> None:
        """Wake long polls and close."""
        self._closing = True
        self._arrived.set()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        handler: Callable[[JSONDict], Awaitable[Any]] | None = getattr(self, f"api_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        try:
            params = await self._params(request)
        except ConnectionResetError:  # the client went away mid-request (a stopping bot): as Telegram, no error
            return web.Response(status=499)
        self.calls.append((time.monotonic(), method, params))
        try:
            self._fault(method, params)
            result = await handler(params)
        except ApiError as err:
            return web.json_response(err.body(), status=err.code)
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> JSONDict:
        if request.content_type == "application/json":
            raw: dict[str, Any] = await request.json()
        elif request.method == "GET":
            raw = dict(request.query)
        else:
            raw = {}
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = (value.filename, value.file.read(), value.content_type)
                else:
                    raw[key] = value
        params: JSONDict = {}
        for key, value in raw.items():
            if isinstance(value, str) and value.startswith("attach://"):
                value = raw[value[len("attach://"):]]
            if key in _JSON_PARAMS and isinstance(value, str):
                value = json.loads(value)
            elif key in _INT_PARAMS and isinstance(value, str) and value.lstrip("-").isdigit():
                value = int(value)
            elif isinstance(value, str) and value in ("true", "false"):
                value = value == "true"
            params[key] = value
        return params

    def _fault(self, method: str, params: JSONDict) -> None:
        for f in self.faults:
            if f.method == method and f.times > 0 and f.chat_id in (None, params.get("chat_id")):
                if f.after > 0:
                    f.after -= 1
                    continue
                f.times -= 1
                f.hits.append(time.monotonic())
                if f.error.retry_after and isinstance(params.get("chat_id"), int):
                    self._held[params["chat_id"]] = f.hits[-1] + f.error.retry_after
                raise f.error

    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for stored_path, data, _, mime in self.files.values():
            if stored_path == path and request.match_info["token"] == self.token:
                return web.Response(body=data, content_type=mime)
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    # --- people, chats, topics -------------------------------------------------------------------------

    def user(self, uid: int, first_name: str, *, username: str | None = None, lang: str = "en") -> JSONDict:
        """A Telegram user, with the private chat they may open with the bot."""
        person = {"id": uid, "is_bot": False, "first_name": first_name, "username": username or first_name.lower(),
                  "language_code": lang}
        self.chats[uid] = {"id": uid, "type": "private", "first_name": first_name, "username": person["username"]}
        return person

    def group(self, chat_id: int, title: str, *, forum: bool = False) -> JSONDict:
        """A group (forum: a supergroup with topics)."""
        chat: JSONDict = {"id": chat_id, "type": "supergroup" if forum or chat_id < -10**12 else "group",
                          "title": title}
        if forum:
            chat["is_forum"] = True
            self.topics[chat_id] = set()
        self.chats[chat_id] = chat
        return chat

    def topic(self, chat: JSONDict, thread_id: int) -> int:
        """A forum topic of a supergroup."""
        self.topics[chat["id"]].add(thread_id)
        return thread_id

    def _new_message_id(self, chat_id: int) -> int:
        return next(self._next_message.setdefault(chat_id, itertools.count(1)))

    # --- what people do ----------------------------------------------------------------------------------

    def message(self, user: JSONDict, text: str | None = None, *, chat: JSONDict | None = None,
                thread: int | None = None, reply_to: JSONDict | None = None, **fields: Any) -> JSONDict:
        """A message update body (without update_id): text or any other content in `fields`."""
        where = chat or self.chats[user["id"]]
        if where["type"] == "private":
            self.started.add(user["id"])
            self.blocked.discard(user["id"])
        msg: JSONDict = {"message_id": self._new_message_id(where["id"]), "from": user, "chat": where,
                         "date": int(time.time())}
        if thread is not None:
            msg.update(message_thread_id=thread, is_topic_message=True)
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": u16(text.split()[0])}]
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        msg.update(fields)
        self.messages[(where["id"], msg["message_id"])] = msg
        return {"message": msg}

    def click(self, user: JSONDict, message: JSONDict, data: str) -> JSONDict:
        """A callback query update body: `user` pressed the button carrying `data` under `message`."""
        qid = str(next(self._query_ids))
        self.open_queries.add(qid)
        current = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        return {"callback_query": {"id": qid, "from": user, "message": current,
                                   "chat_instance": str(-message["chat"]["id"]), "data": data}}

    def document(self, user: JSONDict, name: str, data: bytes, mime: str, *, chat: JSONDict | None = None,
                 caption: str | None = None) -> JSONDict:
        """A message update body carrying a file the user sent."""
        doc = self._store_file(name, data, mime, "documents")
        fields: JSONDict = {"document": doc}
        if caption:
            fields["caption"] = caption
        return self.message(user, chat=chat, **fields)

    def photo(self, user: JSONDict, data: bytes, *, chat: JSONDict | None = None,
              caption: str | None = None) -> JSONDict:
        """A message update body carrying a photo the user took: Telegram's sizes of it, the largest last (each
        size its own file; the stand-in serves the sent bytes for the largest and a stub for the thumbnail)."""
        thumb = self._store_file("thumb.jpg", data[:64], "image/jpeg", "photos")
        full = self._store_file("photo.jpg", data, "image/jpeg", "photos")
        sizes = [{k: v for k, v in f.items() if k in ("file_id", "file_unique_id", "file_size")} | {"width": w,
                 "height": h} for f, w, h in ((thumb, 90, 60), (full, 1280, 853))]
        fields: JSONDict = {"photo": sizes}
        if caption:
            fields["caption"] = caption
            if caption.startswith("/"):
                fields["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": u16(caption.split()[0])}]
        return self.message(user, chat=chat, **fields)

    async def push(self, body: JSONDict) -> int:
        """Make an update: POSTed to the webhook if one is set, else kept for getUpdates. Its update_id."""
        update = {"update_id": next(self._update_ids), **body}
        self.history[update["update_id"]] = update
        await self.deliver(update)
        return int(update["update_id"])

    async def deliver(self, update: JSONDict, secret: str | None = None) -> int | None:
        """Hand one update to the bot as Telegram does (again, for a redelivery); the webhook's HTTP status."""
        if self.webhook is None:
            self.pending.append(update)
            self.pending.sort(key=lambda u: u["update_id"])
            self._arrived.set()
            self._arrived = asyncio.Event()
            return None
        return await self.post_webhook(update, secret=self.webhook.get("secret_token") if secret is None else secret)

    async def post_webhook(self, update: JSONDict, *, secret: str | None) -> int:
        """POST an update to the webhook URL, with the secret header when given; the status."""
        assert self._client is not None and self.webhook is not None
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with self._client.post(self.webhook["url"], json=update, headers=headers) as resp:
            self.webhook_statuses.append(resp.status)
            return resp.status

    # --- Bot API methods ---------------------------------------------------------------------------------

    async def api_getMe(self, p: JSONDict) -> JSONDict:
        return self.me

    async def api_logOut(self, p: JSONDict) -> bool:
        return True

    async def api_close(self, p: JSONDict) -> bool:
        return True

    async def api_deleteWebhook(self, p: JSONDict) -> bool:
        self.webhook = None
        if p.get("drop_pending_updates"):
            self.pending.clear()
        return True

    async def api_setWebhook(self, p: JSONDict) -> bool:
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if not str(p.get("url", "")).startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": p["url"], "secret_token": secret}
        if p.get("drop_pending_updates"):
            self.pending.clear()
        return True

    def _menu_key(self, p: JSONDict) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        if scope.get("type") not in _SCOPES:
            raise ApiError(400, "Bad Request: wrong bot command scope type specified")
        lang = p.get("language_code") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise ApiError(400, "Bad Request: invalid language code specified")
        where = f"{scope['type']}:{scope['chat_id']}" if "chat_id" in scope else scope["type"]
        return where, lang

    async def api_setMyCommands(self, p: JSONDict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands specified")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
        self.menus[self._menu_key(p)] = commands
        return True

    async def api_getMyCommands(self, p: JSONDict) -> list[JSONDict]:
        return self.menus.get(self._menu_key(p), [])

    async def api_getWebhookInfo(self, p: JSONDict) -> JSONDict:
        return {"url": self.webhook["url"] if self.webhook else "", "has_custom_certificate": False,
                "pending_update_count": len(self.pending)}

    async def api_getUpdates(self, p: JSONDict) -> list[JSONDict]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                                "to delete the webhook first")
        offset = int(p.get("offset") or 0)
        if offset:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        limit = int(p.get("limit") or 100)
        deadline = time.monotonic() + float(p.get("timeout") or 0)
        while True:
            ready = [u for u in self.pending if u["update_id"] >= offset][:limit]
            left = deadline - time.monotonic()
            if ready or self._closing or left <= 0:
                return ready
            arrived = self._arrived
            try:
                await asyncio.wait_for(arrived.wait(), left)
            except TimeoutError:
                return []

    def _chat(self, chat_id: Any) -> JSONDict:
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat["type"] == "private":
            if chat_id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _pace(self, chat: JSONDict) -> None:
        """Telegram's flood control, when limits are set: over them, 429 with retry_after; and a chat that
        got a 429 refuses everything until its retry_after has passed."""
        now = time.monotonic()
        if now < self._held.get(chat["id"], 0.0):
            self.violations.append((now, "held", chat["id"]))
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        levels = [("overall", 0), ("chat", chat["id"])]
        if chat["type"] != "private":
            levels.append(("group", chat["id"]))
        for level, key in levels:
            if level not in self.limits:
                continue
            rate, period = self.limits[level]
            bucket = self._buckets.setdefault((level, key), Bucket(rate, period, last=now))
            if not bucket.admit(now, self.slack):
                self.violations.append((now, level, chat["id"]))
                self._held[chat["id"]] = now + 1
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)

    @staticmethod
    def _markup(p: JSONDict) -> JSONDict | None:
        markup = p.get("reply_markup")
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return {"inline_keyboard": markup.get("inline_keyboard", [])}

    @staticmethod
    def _formatted(text: str, p: JSONDict, limit: int, too_long: str, empty: str | None) -> tuple[str, list[JSONDict]]:
        if p.get("parse_mode") == "HTML":
            plain, entities = parse_html(text)
        elif p.get("parse_mode") is None:
            plain, entities = text, list(p.get("entities") or p.get("caption_entities") or [])
        else:
            raise ApiError(400, f"Bad Request: unsupported parse_mode \"{p.get('parse_mode')}\"")
        if empty is not None and not plain.strip():
            raise ApiError(400, empty)
        if u16(plain) > limit:
            raise ApiError(400, too_long)
        return plain, entities

    def _thread(self, chat: JSONDict, p: JSONDict) -> int | None:
        thread = p.get("message_thread_id")
        if thread is None or not chat.get("is_forum"):
            return None
        if thread not in self.topics.get(chat["id"], set()):
            raise ApiError(400, "Bad Request: message thread not found")
        return int(thread)

    def _bot_message(self, chat: JSONDict, thread: int | None, fields: JSONDict) -> JSONDict:
        msg: JSONDict = {"message_id": self._new_message_id(chat["id"]), "from": self.me, "chat": chat,
                         "date": int(time.time()), **fields}
        if thread is not None:
            msg.update(message_thread_id=thread, is_topic_message=True)
        self.messages[(chat["id"], msg["message_id"])] = msg
        self.arrivals.append(Arrival(time.monotonic(), "send", chat["id"], msg))
        self.events.append(Event("send", chat["id"], msg))
        return msg

    async def api_sendMessage(self, p: JSONDict) -> JSONDict:
        chat = self._chat(p.get("chat_id"))
        text, entities = self._formatted(str(p.get("text", "")), p, 4096, "Bad Request: message is too long",
                                         "Bad Request: message text is empty")
        markup = self._markup(p)
        thread = self._thread(chat, p)
        self._pace(chat)
        fields: JSONDict = {"text": text}
        if entities:
            fields["entities"] = entities
        if markup:
            fields["reply_markup"] = markup
        return self._bot_message(chat, thread, fields)

    def _media(self, p: JSONDict, key: str) -> tuple[JSONDict, JSONDict]:
        chat = self._chat(p.get("chat_id"))
        fields: JSONDict = {}
        caption = p.get("caption")
        if caption:
            text, entities = self._formatted(caption, p, 1024, "Bad Request: message caption is too long", None)
            fields["caption"] = text
            if entities:
                fields["caption_entities"] = entities
        markup = self._markup(p)
        if markup:
            fields["reply_markup"] = markup
        upload = p.get(key)
        if not isinstance(upload, tuple):
            if isinstance(upload, str) and upload in self.files:
                _, data, name, mime = self.files[upload]
            else:
                raise ApiError(400, f"Bad Request: there is no {key} in the request")
        else:
            name, data, mime = upload[0] or key, upload[1], upload[2] or "application/octet-stream"
        return chat, {"fields": fields, "name": name, "data": data, "mime": mime, "thread": self._thread(chat, p)}

    async def api_sendPhoto(self, p: JSONDict) -> JSONDict:
        chat, got = self._media(p, "photo")
        self._pace(chat)
        stored = self._store_file(got["name"], got["data"], "image/jpeg", "photos")
        sizes = [{"file_id": stored["file_id"] + s, "file_unique_id": stored["file_unique_id"] + s,
                  "width": w, "height": h, "file_size": len(got["data"])} for s, w, h in (("", 320, 240),
                                                                                        ("_m", 800, 600))]
        return self._bot_message(chat, got["thread"], {"photo": sizes, **got["fields"]})

    async def api_sendDocument(self, p: JSONDict) -> JSONDict:
        chat, got = self._media(p, "document")
        self._pace(chat)
        doc = self._store_file(got["name"], got["data"], got["mime"], "documents")
        return self._bot_message(chat, got["thread"], {"document": doc, **got["fields"]})

    def _editable(self, p: JSONDict) -> tuple[JSONDict, JSONDict]:
        chat = self._chat(p.get("chat_id"))
        msg = self.messages.get((chat["id"], p.get("message_id")))  # type: ignore[arg-type]
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg["from"]["id"] != self.me["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, msg

    def _edited(self, chat: JSONDict, msg: JSONDict, fields: JSONDict, markup: JSONDict | None,
                replaced: tuple[str, ...] = ()) -> JSONDict:
        """The message with new content; no reply_markup in the call removes its buttons, as Telegram does."""
        new = {k: v for k, v in msg.items() if k not in ("reply_markup", "edit_date", *replaced)}
        new.update(fields)
        if markup:
            new["reply_markup"] = markup
        if new == {k: v for k, v in msg.items() if k != "edit_date"}:
            raise ApiError(400, NOT_MODIFIED)
        self._pace(chat)
        new["edit_date"] = int(time.time())
        self.messages[(chat["id"], msg["message_id"])] = new
        self.arrivals.append(Arrival(time.monotonic(), "edit", chat["id"], new))
        self.events.append(Event("edit", chat["id"], new))
        return new

    async def api_editMessageText(self, p: JSONDict) -> JSONDict:
        chat, msg = self._editable(p)
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._formatted(str(p.get("text", "")), p, 4096, "Bad Request: message is too long",
                                         "Bad Request: message text is empty")
        fields: JSONDict = {"text": text}
        if entities:
            fields["entities"] = entities
        return self._edited(chat, msg, fields, self._markup(p), replaced=("entities",))

    async def api_editMessageReplyMarkup(self, p: JSONDict) -> JSONDict:
        chat, msg = self._editable(p)
        return self._edited(chat, msg, {}, self._markup(p))

    async def api_answerCallbackQuery(self, p: JSONDict) -> bool:
        qid = str(p.get("callback_query_id"))
        if qid not in self.open_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.open_queries.discard(qid)
        self.events.append(Event("answer", 0, {"callback_query_id": qid, "text": p.get("text")}))
        return True

    def _store_file(self, name: str, data: bytes, mime: str, folder: str) -> JSONDict:
        n = next(self._file_ids)
        file_id = f"BQACAgIAAxkB{n:08d}"
        ext = name.rsplit(".", 1)[-1] if "." in name else "bin"
        self.files[file_id] = (f"{folder}/file_{n}.{ext}", data, name, mime)
        return {"file_id": file_id, "file_unique_id": f"AgAD{n:08d}", "file_name": name, "mime_type": mime,
                "file_size": len(data)}

    async def api_getFile(self, p: JSONDict) -> JSONDict:
        stored = self.files.get(str(p.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": p["file_id"], "file_unique_id": "AgAD" + str(p["file_id"])[-8:],
                "file_size": len(stored[1]), "file_path": stored[0]}

    def lift_holds(self) -> None:
        """Forget the chats' 429 pauses, as if their retry_after had passed."""
        self._held.clear()

    # --- what the tests look at --------------------------------------------------------------------------

    def file_bytes(self, message: JSONDict) -> bytes:
        """The bytes of the photo or document a message carries."""
        ref = message.get("document") or message["photo"][0]
        return self.files[ref["file_id"]][1]

    def current(self, message: JSONDict) -> JSONDict:
        """A message as it is now (after edits)."""
        return self.messages[(message["chat"]["id"], message["message_id"])]

    def bot_messages(self, chat_id: int) -> list[JSONDict]:
        """The bot's messages in a chat, oldest first, as they are now."""
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id and m["from"]["id"] == self.me["id"]]


def conforms(times: list[float], rate: float, period: float, slack: float = 0.25) -> bool:
    """Whether arrival times never exceed N per T in aiolimiter's sense (a bucket of N draining at N/T)."""
    bucket = Bucket(rate, period, last=times[0] if times else 0.0)
    return all(bucket.admit(t, slack) for t in sorted(times))


def in_any_window(times: list[float], period: float) -> int:
    """The most arrivals within any window of `period` seconds."""
    ts = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(ts):
        while ts[j] <= t - period:
            j += 1
        best = max(best, i - j + 1)
    return best


@dataclass
class Seen:
    """What one step made the bot do, as a transcript."""

    events: list[Event] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)

    def text(self) -> str:
        lines = []
        for e in self.events:
            if e.kind == "answer":
                continue
            m = e.message
            body = m.get("text") or m.get("caption") or ("🖼" if "photo" in m else "📎" if "document" in m else "")
            where = self.names.get(e.chat_id, str(e.chat_id))
            if m.get("message_thread_id"):
                where += f"/{m['message_thread_id']}"
            mark = "✎" if e.kind == "edit" else "→"
            lines.append(f"{mark} {where}: {body}".replace("\n", "\n    "))
            buttons = [b["text"] for row in m.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
            if buttons:
                lines.append("    " + "  ".join(f"[{b}]" for b in buttons))
        return "\n".join(lines)

    def messages(self, chat_id: int | None = None) -> list[JSONDict]:
        return [e.message for e in self.events if e.kind != "answer" and chat_id in (None, e.chat_id)]

    def answered(self) -> int:
        return sum(1 for e in self.events if e.kind == "answer")


class LiveBot:
    """The real Application of bot.adapters.telegram against the stand-in: speak, press buttons, see what happened."""

    def __init__(self, api: BotApiStandIn, bot: TelegramBot, names: dict[int, str] | None = None) -> None:
        self.api, self.bot = api, bot
        self.names = names if names is not None else {}
        self._done: dict[int, asyncio.Event] = {}
        # runs after the adapter's own handlers have finished with an update, whatever they did
        bot.application.add_handler(TypeHandler(Update, self._mark), group=99)

    async def _mark(self, update: Any, context: Any) -> None:
        self._done.setdefault(update.update_id, asyncio.Event()).set()

    async def processed(self, update_id: int, timeout: float = 60) -> None:
        """Wait until the bot has handled this update completely (replies and outbox delivered)."""
        await asyncio.wait_for(self._done.setdefault(update_id, asyncio.Event()).wait(), timeout)

    async def step(self, body: JSONDict) -> Seen:
        """Make an update and return what the bot did about it."""
        start = len(self.api.events)
        uid = await self.api.push(body)
        await self.processed(uid)
        return Seen(self.api.events[start:], self.names)

    async def redeliver(self, update_id: int) -> int | None:
        """Telegram hands an update out again (after a restart, a timeout): wait until the bot is done with it."""
        self._done[update_id] = asyncio.Event()
        status = await self.api.deliver(self.api.history[update_id])
        if self.bot.inbox is not None and status in (200, None):  # an update stored before is not stored again
            while any(u["update_id"] == update_id for u in self.api.pending):  # polling: until it is confirmed
                await asyncio.sleep(0.02)
            await self.bot.inbox.idle()
            return status
        await self.processed(update_id)
        return status

    async def say(self, user: JSONDict, text: str, **kw: Any) -> Seen:
        """`user` writes `text` (privately unless chat= is given)."""
        return await self.step(self.api.message(user, text, **kw))

    async def press(self, user: JSONDict, message: JSONDict, label: str) -> Seen:
        """`user` presses the button labelled `label` under `message`."""
        current = self.api.current(message)
        data = next(b["callback_data"] for row in current.get("reply_markup", {}).get("inline_keyboard", [])
                    for b in row if b["text"] == label)
        return await self.step(self.api.click(user, current, data))


# --- running the adapter against the stand-in ---------------------------------------------------------------

SECRET = "webhook-secret_for-tests"
FAST = Limits(overall=(1000, 1), group=(1000, 1), chat=(1000, 1), max_retries=3)
PEOPLE = {"alice": (7001, "zh"), "bob": (7002, "zh"), "carol": (7003, "en"), "dave": (7004, "en"),
          "fay": (7005, "zh")}


@asynccontextmanager
async def standing() -> AsyncIterator[BotApiStandIn]:
    """A stand-in, listening until the block ends."""
    api = BotApiStandIn()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


def bind_demo_team(engine: Engine, api: BotApiStandIn, clock: Callable[[], datetime]) -> dict[str, JSONDict]:
    """The demo team's Telegram accounts, bound as if each had sent /join in a private chat."""
    people = {}
    with transaction(session_factory(engine)) as s:
        for name, (uid, lang) in PEOPLE.items():
            user = s.exec(select(User).where(col(User.name) == name)).one()
            invites.bind(s, user_id=user.id or 0, platform="telegram", workspace=str(api.me["id"]),
                         external_id=str(uid), chat=str(uid), now=clock())
            people[name] = api.user(uid, name, lang=lang)
            api.started.add(uid)
    return people


@asynccontextmanager
async def running(api: BotApiStandIn, core: Core, mode: str, names: dict[int, str] | None = None,
                  limits: Limits = FAST) -> AsyncIterator[LiveBot]:
    """The adapter's Application, started in `mode` against the stand-in: long polling, or the webhook served as
    `salesbot run` serves it (the process's web app, bot/web.py, on 127.0.0.1:0)."""
    bot = TelegramBot(core, token=api.token, api_base_url=api.url, limits=limits)
    live = LiveBot(api, bot, names)
    served = None
    if mode == "polling":
        await bot.start_polling(poll_timeout=1)
    else:
        served = Served(build(Parts(engine=core.engine, core=core, telegram=bot, telegram_path="/telegram")))
        await bot.start_embedded(secret=SECRET, url=f"{await served.start()}/telegram")
    try:
        yield live
    finally:
        if served is not None:
            await served.close()
        await bot.stop()


def expect(seen: Seen, *fragments: str) -> str:
    """Every fragment appears in what the step made the bot do."""
    text = seen.text()
    for frag in fragments:
        assert frag in text, f"expected {frag!r} in:\n{text}"
    return text
