"""A local stand-in for the Slack Web API (aiohttp on 127.0.0.1, port 0), and Slack's side of the app.

`SlackAPI` answers the methods the adapter calls with Slack's JSON shapes and error codes
(`{"ok": false, "error": ...}`, 429 with Retry-After, msg_too_long, invalid_blocks, channel_not_found…),
reading arguments from the query string and from the form or JSON body, and checks blocks and views
with slack_sdk's own models. `SlackSide` signs requests with the signing secret exactly as Slack does
(v0, timestamp) and delivers them over HTTP to the app.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.standins.web import Served

BOT_TOKEN = "xoxb-standin-token"
APP_TOKEN = "xapp-1-standin-app-token"
SIGNING_SECRET = "standin-signing-secret"
TEAM = "T0STANDIN"
BOT_USER = "U0SALESBOT"
BOT_ID = "B0SALESBOT"
MAX_TEXT = 40_000
MAX_BLOCKS = 50


def dm_of(user: str) -> str:
    """The IM channel id of a user with the bot."""
    return "D" + user[1:]


@dataclass
class Message:
    """A message as the stand-in stores it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    user: str = BOT_USER
    edits: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)

    def button(self, label: str, value: str | None = None) -> dict[str, Any]:
        """The button element with this label (or whose label contains it), and this value if given."""
        for block in self.blocks:
            for el in block.get("elements", []) if block.get("type") == "actions" else []:
                if el.get("type") == "button" and label in el["text"]["text"] and value in (None, el.get("value")):
                    return {"block_id": block.get("block_id", ""), **el}
        raise AssertionError(f"no button {label!r} in {self.text!r}")

    def mrkdwn(self) -> str:
        """Every text of the message's sections, joined, as sent."""
        parts = [b["text"]["text"] for b in self.blocks if b.get("type") == "section" and "text" in b]
        return "\n".join(parts) or self.text

    def plain(self) -> str:
        """The text as a person reads it: formatting markers gone, entities decoded."""
        text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", self.mrkdwn())
        text = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"\1", text)
        text = re.sub(r"`([^`\n]+)`", r"\1", text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackAPI:
    """The Web API stand-in."""

    def __init__(self, *, token: str = BOT_TOKEN, team: str = TEAM) -> None:
        self.token = token
        self.team = team
        self.messages: list[Message] = []
        self.ephemeral: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # bodies posted to response_url
        self.opened: list[dict[str, Any]] = []  # views.open
        self.homes: dict[str, dict[str, Any]] = {}  # views.publish per user
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.uploads: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # files users shared, served at /files/{id}
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, str] = {}  # id → name
        self.members: set[str] = set()  # channels the bot is in
        self.limited: dict[str, list[int]] = {}  # method → Retry-After of the next 429s
        self.failing: dict[str, list[str]] = {}  # method → the next error codes
        self.delay: float = 0.0
        self.sockets: list[web.WebSocketResponse] = []  # Socket Mode connections
        self.socket_acks: dict[str, tuple[float, dict[str, Any]]] = {}  # envelope_id → (when, ack)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- setup --------------------------------------------------------------------------------------

    def add_user(self, user: str, name: str) -> None:
        """A workspace member; their DM with the bot exists."""
        self.users[user] = {"id": user, "team_id": self.team, "name": name, "real_name": name.title(),
                            "tz": "Asia/Shanghai", "profile": {"display_name": name, "real_name": name.title()}}
        self.channels[dm_of(user)] = f"dm-{name}"
        self.members.add(dm_of(user))

    def add_channel(self, channel: str, name: str, *, bot_member: bool = True) -> None:
        """A public channel, with or without the bot in it."""
        self.channels[channel] = name
        if bot_member:
            self.members.add(channel)

    def rate_limit(self, method: str, *retry_after: int) -> None:
        """The next calls of `method` answer 429 with these Retry-After values."""
        self.limited.setdefault(method, []).extend(retry_after)

    def fail(self, method: str, *errors: str) -> None:
        """The next calls of `method` answer {"ok": false, "error": …}."""
        self.failing.setdefault(method, []).extend(errors)

    async def start(self) -> str:
        """Serve on 127.0.0.1 with a free port; returns the Web API base URL."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/files/{file_id}", self._file)
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.api_url

    async def stop(self) -> None:
        """Stop serving."""
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """The base URL to give AsyncWebClient."""
        return f"{self.url}/api/"

    def response_url(self, key: str) -> str:
        """A response_url of one interaction."""
        return f"{self.url}/respond/{key}"

    # --- queries for tests --------------------------------------------------------------------------

    def in_channel(self, channel: str) -> list[Message]:
        """Every message posted in a channel, oldest first."""
        return [m for m in self.messages if m.channel == channel]

    def last(self, channel: str) -> Message:
        """The newest message of a channel."""
        found = self.in_channel(channel)
        assert found, f"nothing was posted in {channel}"
        return found[-1]

    def find(self, channel: str, fragment: str) -> Message:
        """The newest message of a channel whose text has `fragment`."""
        for m in reversed(self.in_channel(channel)):
            if fragment in m.plain():
                return m
        raise AssertionError(f"no message with {fragment!r} in {channel}: {[m.plain() for m in self.in_channel(channel)]}")

    def count(self, method: str) -> int:
        """How often a method was called."""
        return sum(1 for m, _ in self.calls if m == method)

    # --- the Web API --------------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                body = json.loads(raw)
                if isinstance(body, dict):
                    args.update(body)
            elif request.content_type != "multipart/form-data":
                args.update(parse_qsl(raw.decode(), keep_blank_values=True))
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    args[key] = "<unparsable>"
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        self.calls.append((method, args))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.limited.get(method):
            wait = self.limited[method].pop(0)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(wait)})
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth else str(args.get("token", ""))
        if not token:
            return _error("not_authed")
        if token != (APP_TOKEN if method == "apps.connections.open" else self.token):
            return _error("invalid_auth")
        if self.failing.get(method):
            return _error(self.failing[method].pop(0))
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return _error("unknown_method")
        result: web.Response = handler(args)
        return result

    def _channel(self, value: Any) -> str | None:
        if not isinstance(value, str) or not value:
            return None
        name = value.lstrip("#")
        if value in self.channels:
            return value
        if value[:1] in ("U", "W") and value in self.users:
            return dm_of(value)
        for cid, cname in self.channels.items():
            if cname == name:
                return cid
        return None

    def _check_blocks(self, blocks: Any, limit: int = MAX_BLOCKS) -> str | None:
        if blocks is None:
            return None
        if not isinstance(blocks, list) or len(blocks) > limit:
            return "invalid_blocks"
        try:
            for b in blocks:
                parsed = Block.parse(b)
                if parsed is None or parsed.to_dict() is None:
                    return "invalid_blocks"
        except (SlackObjectFormationError, TypeError, KeyError, ValueError):
            return "invalid_blocks"
        return None

    def _post(self, args: dict[str, Any]) -> tuple[Message | None, str | None]:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return None, "channel_not_found"
        if channel not in self.members:
            return None, "not_in_channel"
        text, blocks = args.get("text") or "", args.get("blocks")
        if not text and not blocks:
            return None, "no_text"
        if len(text) > MAX_TEXT:
            return None, "msg_too_long"
        bad = self._check_blocks(blocks)
        if bad:
            return None, bad
        thread = args.get("thread_ts") or None
        msg = Message(channel=channel, ts=self._next_ts(), text=text, blocks=list(blocks or []),
                      thread_ts=str(thread) if thread else None)
        return msg, None

    def _next_ts(self) -> str:
        return f"{1_790_000_000 + next(self._ts)}.{next(self._ids):06d}"

    def _shape(self, m: Message) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "user": m.user, "bot_id": BOT_ID, "text": m.text, "ts": m.ts,
                               "blocks": m.blocks, "team": self.team}
        if m.thread_ts:
            out["thread_ts"] = m.thread_ts
        return out

    def m_apps_connections_open(self, args: dict[str, Any]) -> web.Response:
        return _ok({"url": f"ws://127.0.0.1:{self.url.rsplit(':', 1)[1]}/link/?ticket=t{next(self._ids)}"})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "standin"},
                                      "connection_info": {"app_id": "A0SALESBOT"}}))
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                ack = json.loads(msg.data)
                if isinstance(ack, dict) and ack.get("envelope_id"):
                    self.socket_acks[str(ack["envelope_id"])] = (time.perf_counter(), ack)
        return ws

    async def push(self, kind: str, payload: dict[str, Any]) -> tuple[str, float]:
        """Send an envelope over the newest Socket Mode connection; its id and when it was sent."""
        for _ in range(200):
            if self.sockets and not self.sockets[-1].closed:
                break
            await asyncio.sleep(0.01)
        envelope_id = f"env-{next(self._ids)}"
        sent = time.perf_counter()
        await self.sockets[-1].send_str(json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                                    "accepts_response_payload": kind != "events_api",
                                                    "retry_attempt": 0, "retry_reason": ""}))
        return envelope_id, sent

    async def acked(self, envelope_id: str, timeout: float = 5.0) -> float:
        """When the app acknowledged an envelope (perf_counter), waiting for it."""
        for _ in range(int(timeout * 100)):
            if envelope_id in self.socket_acks:
                return self.socket_acks[envelope_id][0]
            await asyncio.sleep(0.01)
        raise AssertionError(f"envelope {envelope_id} was not acknowledged")

    def m_auth_test(self, args: dict[str, Any]) -> web.Response:
        return _ok({"url": "https://standin.slack.com/", "team": "Stand-in", "user": "salesbot",
                    "team_id": self.team, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False})

    def m_chat_postMessage(self, args: dict[str, Any]) -> web.Response:
        msg, err = self._post(args)
        if err or msg is None:
            return _error(err or "internal_error")
        self.messages.append(msg)
        return _ok({"channel": msg.channel, "ts": msg.ts, "message": self._shape(msg)})

    def m_chat_update(self, args: dict[str, Any]) -> web.Response:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return _error("channel_not_found")
        target = next((m for m in self.messages if m.channel == channel and m.ts == args.get("ts")), None)
        if target is None:
            return _error("message_not_found")
        if target.user != BOT_USER:
            return _error("cant_update_message")
        text, blocks = args.get("text") or "", args.get("blocks")
        if len(text) > MAX_TEXT:
            return _error("msg_too_long")
        bad = self._check_blocks(blocks)
        if bad:
            return _error(bad)
        target.text, target.blocks, target.edits = text, list(blocks or []), target.edits + 1
        return _ok({"channel": channel, "ts": target.ts, "text": text, "message": self._shape(target)})

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> web.Response:
        msg, err = self._post(args)
        if err or msg is None:
            return _error(err or "internal_error")
        if args.get("user") not in self.users:
            return _error("user_not_in_channel")
        self.ephemeral.append({"channel": msg.channel, "user": args["user"], "text": msg.text,
                               "blocks": msg.blocks, "thread_ts": msg.thread_ts})
        return _ok({"message_ts": msg.ts})

    def _view(self, args: dict[str, Any], limit: int) -> tuple[dict[str, Any] | None, str | None]:
        view = args.get("view")
        if not isinstance(view, dict):
            return None, "invalid_arguments"
        try:
            View(**view).to_dict()
        except (SlackObjectFormationError, TypeError, ValueError):
            return None, "invalid_arguments"
        if self._check_blocks([b for b in view.get("blocks", []) if b.get("type") != "input"], limit) or \
                len(view.get("blocks", [])) > limit:
            return None, "invalid_arguments"
        return {**view, "id": f"V{next(self._ids):08d}", "team_id": self.team}, None

    def m_views_open(self, args: dict[str, Any]) -> web.Response:
        if not args.get("trigger_id"):
            return _error("invalid_trigger_id")
        view, err = self._view(args, 100)
        if err or view is None:
            return _error(err or "internal_error")
        self.opened.append(view)
        return _ok({"view": view})

    def m_views_publish(self, args: dict[str, Any]) -> web.Response:
        user = args.get("user_id")
        if user not in self.users:
            return _error("user_not_found")
        view, err = self._view(args, 100)
        if err or view is None:
            return _error(err or "internal_error")
        self.homes[str(user)] = view
        return _ok({"view": view})

    def m_users_info(self, args: dict[str, Any]) -> web.Response:
        user = self.users.get(str(args.get("user", "")))
        return _ok({"user": user}) if user else _error("user_not_found")

    def m_conversations_open(self, args: dict[str, Any]) -> web.Response:
        users = str(args.get("users", "")).split(",")
        if len(users) != 1 or users[0] not in self.users:
            return _error("user_not_found")
        return _ok({"channel": {"id": dm_of(users[0])}})

    def m_files_getUploadURLExternal(self, args: dict[str, Any]) -> web.Response:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return _error("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = {"filename": args["filename"], "length": int(args["length"]), "data": None}
        return _ok({"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id})

    def m_files_completeUploadExternal(self, args: dict[str, Any]) -> web.Response:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            return _error("invalid_arguments")
        channel = self._channel(args.get("channel_id")) if args.get("channel_id") else None
        if args.get("channel_id") and (channel is None or channel not in self.members):
            return _error("channel_not_found")
        shaped = []
        for f in files:
            up = self.uploads.get(f.get("id", ""))
            if up is None or up["data"] is None:
                return _error("file_not_found")
            shaped.append({"id": f["id"], "name": up["filename"], "title": f.get("title") or up["filename"],
                           "size": len(up["data"])})
        if channel:
            thread = args.get("thread_ts") or None
            self.messages.append(Message(channel=channel, ts=self._next_ts(), text=args.get("initial_comment") or "",
                                         blocks=[], thread_ts=thread, files=shaped))
        return _ok({"files": shaped})

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            return web.Response(status=404, text="not found")
        self.uploads[file_id]["data"] = await request.read()
        return web.Response(text=f"OK - {len(self.uploads[file_id]['data'])}")

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["key"] = request.match_info["key"]
        self.responses.append(body)
        if self._check_blocks(body.get("blocks")):
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")

    async def _file(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=403, text="forbidden")
        data = self.files.get(request.match_info["file_id"])
        return web.Response(body=data) if data is not None else web.Response(status=404)


def _ok(data: Mapping[str, Any]) -> web.Response:
    return web.json_response({"ok": True, **data})


def _error(code: str) -> web.Response:
    return web.json_response({"ok": False, "error": code})


# --- Slack's side: signed requests to the app ---------------------------------------------------------------


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """The X-Slack-Signature of a body: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Sent:
    """One request delivered to the app: its status, body and how long the answer took."""

    status: int
    body: str
    seconds: float


class SlackSide:
    """Slack delivering signed requests to the app's endpoint."""

    def __init__(self, api: SlackAPI, endpoint: str, *, secret: str = SIGNING_SECRET) -> None:
        self.api = api
        self.endpoint = endpoint
        self.secret = secret
        self._n = itertools.count(1)
        self.http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SlackSide:
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.http is not None:
            await self.http.close()

    async def deliver(self, body: str, content_type: str, *, timestamp: int | None = None,
                      signature: str | None = None, headers: Mapping[str, str] | None = None) -> Sent:
        """POST a body signed as Slack signs it (or with the given timestamp / signature)."""
        assert self.http is not None
        ts = int(time.time()) if timestamp is None else timestamp
        sent_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts),
                        "X-Slack-Signature": signature if signature is not None else sign(body, ts, self.secret),
                        **(headers or {})}
        started = time.perf_counter()
        async with self.http.post(self.endpoint, data=body.encode(), headers=sent_headers) as resp:
            text = await resp.text()
        return Sent(status=resp.status, body=text, seconds=time.perf_counter() - started)

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._n):06d}"

    # --- payload builders ---------------------------------------------------------------------------

    def slash_body(self, user: str, text: str, channel: str | None = None) -> str:
        """The form body of `/crm text` typed by `user` (in their DM with the bot unless `channel`)."""
        channel = channel or dm_of(user)
        trigger = self._id("trig.")
        return urlencode({
            "token": "verification-token-unused", "team_id": self.api.team, "team_domain": "standin",
            "channel_id": channel, "channel_name": "directmessage" if channel.startswith("D") else
            self.api.channels.get(channel, "channel"), "user_id": user,
            "user_name": self.api.users.get(user, {}).get("name", user), "command": "/crm", "text": text,
            "api_app_id": "A0SALESBOT", "is_enterprise_install": "false",
            "response_url": self.api.response_url(trigger), "trigger_id": trigger})

    async def slash(self, user: str, text: str, channel: str | None = None, **kw: Any) -> Sent:
        """`/crm text` by `user`."""
        return await self.deliver(self.slash_body(user, text, channel), "application/x-www-form-urlencoded", **kw)

    def click_body(self, user: str, message: Message, label: str, *, ephemeral: bool = False) -> str:
        """The block_actions payload of `user` clicking the button labelled `label` in `message`."""
        el = message.button(label)
        trigger = self._id("trig.")
        payload = {
            "type": "block_actions", "user": {"id": user, "team_id": self.api.team,
                                              "username": self.api.users.get(user, {}).get("name", user)},
            "api_app_id": "A0SALESBOT", "token": "unused", "trigger_id": trigger,
            "team": {"id": self.api.team, "domain": "standin"},
            "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel,
                          "is_ephemeral": ephemeral},
            "channel": {"id": message.channel, "name": self.api.channels.get(message.channel, "")},
            "message": {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks,
                        **({"thread_ts": message.thread_ts} if message.thread_ts else {})},
            "response_url": self.api.response_url(trigger),
            "actions": [{"type": "button", "action_id": el["action_id"], "block_id": el["block_id"],
                         "text": el["text"], "value": el.get("value", ""), "action_ts": f"{time.time():.6f}"}],
        }
        return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})

    async def click(self, user: str, message: Message, label: str, **kw: Any) -> Sent:
        """`user` clicks a button of a posted message."""
        return await self.deliver(self.click_body(user, message, label), "application/x-www-form-urlencoded", **kw)

    def home_click_body(self, user: str, label: str, value: str | None = None) -> str:
        """The block_actions payload of a click on the user's App Home."""
        view = self.api.homes[user]
        msg = Message(channel="", ts="", text="", blocks=view["blocks"])
        el = msg.button(label, value)
        payload = {
            "type": "block_actions", "user": {"id": user, "team_id": self.api.team}, "api_app_id": "A0SALESBOT",
            "trigger_id": self._id("trig."), "team": {"id": self.api.team},
            "container": {"type": "view", "view_id": view["id"]},
            "view": {"id": view["id"], "type": "home", "blocks": view["blocks"]},
            "actions": [{"type": "button", "action_id": el["action_id"], "block_id": el["block_id"],
                         "value": el.get("value", ""), "action_ts": f"{time.time():.6f}"}],
        }
        return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})

    def submit_body(self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> str:
        """The view_submission payload of `user` submitting an opened modal with these values."""
        payload = {
            "type": "view_submission", "team": {"id": self.api.team}, "user": {"id": user, "team_id": self.api.team},
            "api_app_id": "A0SALESBOT", "trigger_id": self._id("trig."),
            "view": {"id": view["id"], "type": "modal", "callback_id": view["callback_id"],
                     "private_metadata": view.get("private_metadata", ""), "hash": "h",
                     "blocks": view["blocks"], "state": {"values": values}},
        }
        return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]], **kw: Any) -> Sent:
        """`user` submits a modal."""
        return await self.deliver(self.submit_body(user, view, values), "application/x-www-form-urlencoded", **kw)

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        """An Events API envelope around `event`."""
        return json.dumps({
            "token": "unused", "team_id": self.api.team, "api_app_id": "A0SALESBOT", "event": event,
            "type": "event_callback", "event_id": event_id or self._id("Ev"), "event_time": int(time.time()),
            "authorizations": [{"team_id": self.api.team, "user_id": BOT_USER, "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False, "event_context": "4-standin"}, ensure_ascii=False)

    def dm_event(self, user: str, text: str, **extra: Any) -> dict[str, Any]:
        """A message event in the user's DM with the bot."""
        return {"type": "message", "channel": dm_of(user), "user": user, "text": text, "ts": self.api._next_ts(),
                "event_ts": self.api._next_ts(), "channel_type": "im", "team": self.api.team, **extra}

    def mention_event(self, user: str, channel: str, text: str) -> dict[str, Any]:
        """An app_mention event in a channel."""
        return {"type": "app_mention", "channel": channel, "user": user, "text": f"<@{BOT_USER}> {text}",
                "ts": self.api._next_ts(), "event_ts": self.api._next_ts(), "team": self.api.team}

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None,
                    **kw: Any) -> Sent:
        """Deliver an event (as Slack's retry number `retry` when given)."""
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.deliver(self.event_body(event, event_id), "application/json", headers=headers, **kw)


# --- the app under test, wired to the stand-in ---------------------------------------------------------------

DEMO_USERS = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL", "dave": "U0DAVE", "fay": "U0FAY"}
STRANGER = "U0STRANGER"
DEALS = "C0DEALS"
GENERAL = "C0GENERAL"


def bind_demo(engine: Any, now: Any) -> None:
    """Bind the demo team's people (loaded by sales.demo) to Slack accounts of the stand-in workspace."""
    from sqlmodel import Session, select

    from storage.models import ChatIdentity, User

    with Session(engine) as s:
        for name, slack_id in DEMO_USERS.items():
            user = s.exec(select(User).where(User.name == name)).one()
            s.add(ChatIdentity(platform="slack", workspace=TEAM, external_id=slack_id, chat=dm_of(slack_id),
                               user_id=user.id or 0, created_at=now))
        s.commit()


@dataclass
class Running:
    """The stand-in, Slack's side, and the adapter serving signed requests."""

    api: SlackAPI
    side: SlackSide
    slack: Any  # bot.adapters.slack.app.Slack
    core: Any

    async def settle(self) -> None:
        """Wait until the work the requests started (and its deliveries) is done."""
        await self.slack.drain()

    async def ok(self, sent: Sent) -> Sent:
        """Assert a request was acknowledged, then let its work finish."""
        assert sent.status == 200, (sent.status, sent.body)
        await self.settle()
        return sent


class running:
    """An async context: stand-in up, app registered and served by bot/web.py on 127.0.0.1:0, Slack's side ready."""

    def __init__(self, core: Any, **options: Any) -> None:
        self.core = core
        self.options = options
        self.api = SlackAPI()
        self.run: Running | None = None
        self.web: Served | None = None

    async def __aenter__(self) -> Running:
        from bot.adapters.slack.app import make_app, make_client, register
        from bot.web import Parts, build
        from sales.names import directory
        # TRUNCATE ... RESTART IDENTITY, so an earlier test's index could look current. Start clean.
        directory._cache.clear()
        await self.api.start()
        for name, user in {**DEMO_USERS, "stranger": STRANGER}.items():
            self.api.add_user(user, name)
        self.api.add_channel(DEALS, "sales-deals")
        self.api.add_channel(GENERAL, "general")
        app = make_app(make_client(BOT_TOKEN, self.api.api_url), SIGNING_SECRET)
        slack = register(app, self.core, **self.options)
        # Served as `salesbot run` serves Slack over HTTP: /slack/events of the process's web app (bot/web.py).
        self.web = Served(build(Parts(engine=self.core.engine, core=self.core, slack=slack,
                                      slack_secret=SIGNING_SECRET)))
        side = SlackSide(self.api, f"{await self.web.start()}/slack/events")
        await side.__aenter__()
        self.run = Running(api=self.api, side=side, slack=slack, core=self.core)
        return self.run

    async def __aexit__(self, *exc: object) -> None:
        assert self.run is not None
        await self.run.side.__aexit__()
        if self.web is not None:
            await self.web.close()
        await self.run.slack.close()
        await self.api.stop()
