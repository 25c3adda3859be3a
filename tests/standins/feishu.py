"""A local stand-in for the Feishu Open API and its event deliveries: aiohttp on 127.0.0.1:0.

`FeishuStandIn` answers what the adapter calls (tenant_access_token, im/v1 messages: create, reply, patch;
images, files, message resources; contact/v3 users; im/v1 chats; bot/v3 info) with Feishu's JSON shapes and
error codes (230002 bot not in the chat, 230025 content too long, 230099 bad card, 99991400 with HTTP 429 and
x-ogw-ratelimit-reset, 230020 a chat's rate limit, 99991663 a bad token), and delivers events (schema 2.0
im.message.receive_v1 and card.action.trigger) over the long connection (the endpoint call, then a WebSocket
speaking lark-oapi's own pbbp2 frames) or as HTTP callbacks, encrypted and signed with the app's keys."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from Crypto.Cipher import AES
from lark_oapi.ws.enum import FrameType, MessageType
from lark_oapi.ws.pb.pbbp2_pb2 import Frame

JSONDict = dict[str, Any]
APP_ID = "cli_a5standin0000001"
APP_SECRET = "standin-app-secret-0123456789abcdef"
VERIFICATION_TOKEN = "standin-verification-token-0001"
ENCRYPT_KEY = "standin-encrypt-key-0001"
TENANT = "2ed263bf32cf1651"
BOT_OPEN_ID = "ou_b07b07b07b07b07b07b07b07b07b0700"
MAX_CARD_BODY = 30 * 1024  # a card or post request body; text: 150 KB
MAX_TEXT_BODY = 150 * 1024
SERVICE_ID = 33554678


class ApiError(Exception):
    """An error answer: Feishu's {"code", "msg"} with an HTTP status (400 mostly, 429 for the gateway)."""

    def __init__(self, code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code} {msg}")
        self.code, self.msg, self.status, self.headers = code, msg, status, headers or {}


def open_id(name: str) -> str:
    """A person's open_id in the stand-in's app (ou_ and 32 hex digits, as Feishu's)."""
    return "ou_" + hashlib.md5(name.encode()).hexdigest()


def p2p_of(user: str) -> str:
    """The id of the private chat between a person and the bot."""
    return "oc_" + hashlib.md5(("p2p" + user).encode()).hexdigest()


def encrypt(plain: str, key: str) -> str:
    """What Feishu does with an event when an encrypt key is set: AES-256-CBC, key sha256(key), iv first."""
    data = plain.encode()
    pad = 16 - len(data) % 16
    iv = os.urandom(16)
    cipher = AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv)
    return base64.b64encode(iv + cipher.encrypt(data + bytes([pad]) * pad)).decode()


def sign(timestamp: str, nonce: str, key: str, body: bytes) -> str:
    """X-Lark-Signature: sha256 of timestamp + nonce + encrypt key + body."""
    return hashlib.sha256((timestamp + nonce + key).encode() + body).hexdigest()


@dataclass
class Fault:
    """An error to answer instead of the next matching calls."""

    route: str  # "create", "reply", "patch", "image", "file", "resource", "user", "chat", "token", "info"
    error: ApiError
    times: int = 1
    chat: str | None = None
    after: int = 0  # matching calls let through first


@dataclass
class Event:
    """Something the bot did that a person would see: send (or reply) and patch."""

    kind: str
    message: JSONDict


@dataclass
class Person:
    """A Feishu user of the tenant."""

    open_id: str
    name: str
    language: str | None = "zh-CN"


@dataclass
class WsPeer:
    """One long connection the bot dialled."""

    ws: web.WebSocketResponse
    device_id: str
    acks: dict[str, asyncio.Future[JSONDict]] = field(default_factory=dict)
    pings: int = 0


class FeishuStandIn:
    """The Open API for one app, and Feishu's side of its event subscription."""

    def __init__(self, *, app_id: str = APP_ID, app_secret: str = APP_SECRET,
                 verification_token: str = VERIFICATION_TOKEN, encrypt_key: str = ENCRYPT_KEY) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.verification_token, self.encrypt_key = verification_token, encrypt_key
        self.token = "t-g1044" + hashlib.sha256((app_id + app_secret).encode()).hexdigest()[:40]
        self.url = ""
        self.people: dict[str, Person] = {}
        self.chats: dict[str, JSONDict] = {}  # chat id → {"mode": p2p|group, "members": set, "name"}
        self.messages: dict[str, JSONDict] = {}
        self.resources: dict[str, tuple[bytes, str, str]] = {}  # image_key / file_key → data, name, mime
        self.events: list[Event] = []
        self.calls: list[tuple[str, JSONDict]] = []
        self.faults: list[Fault] = []
        self.tokens_issued = 0
        self.peers: list[WsPeer] = []
        self.connected = asyncio.Event()
        self.callback_url = ""
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # --- running -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self._token)
        app.router.add_post("/callback/ws/endpoint", self._endpoint)
        app.router.add_get("/ws", self._ws)
        app.router.add_route("*", "/open-apis/{path:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        for peer in self.peers:
            await peer.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- people and chats ----------------------------------------------------------------------------------

    def person(self, name: str, language: str | None = "zh-CN") -> Person:
        """A user of the tenant who can talk to the bot (its private chat exists from their first message)."""
        p = Person(open_id(name), name, language)
        self.people[p.open_id] = p
        self.chats.setdefault(p2p_of(p.open_id), {"mode": "p2p", "members": {p.open_id}, "name": ""})
        return p

    def group(self, chat_id: str, name: str, *members: Person, bot: bool = True) -> str:
        """A group chat (with the bot in it unless `bot` is False)."""
        ids = {m.open_id for m in members} | ({BOT_OPEN_ID} if bot else set())
        self.chats[chat_id] = {"mode": "group", "members": ids, "name": name}
        return chat_id

    def fail(self, route: str, code: int, msg: str, *, status: int = 400, times: int = 1,
             headers: dict[str, str] | None = None, chat: str | None = None, after: int = 0) -> None:
        """Answer the next `times` calls of `route` (after letting `after` of them through) with this error."""
        self.faults.append(Fault(route, ApiError(code, msg, status, headers), times, chat, after))

    def rate_limit(self, route: str, reset: int = 1, times: int = 1, after: int = 0) -> None:
        """The gateway's frequency limit: HTTP 429, 99991400, x-ogw-ratelimit-reset."""
        self.fail(route, 99991400, "request trigger frequency limit", status=429, times=times, after=after,
                  headers={"x-ogw-ratelimit-limit": "50", "x-ogw-ratelimit-reset": str(reset)})

    def _fault(self, route: str, chat: str | None = None) -> None:
        for f in self.faults:
            if f.route == route and f.times > 0 and f.chat in (None, chat):
                if f.after > 0:
                    f.after -= 1
                    continue
                f.times -= 1
                raise f.error

    # --- the Open API -------------------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("token", {"app_id": body.get("app_id")}))
        try:
            self._fault("token")
        except ApiError as err:
            return web.json_response({"code": err.code, "msg": err.msg}, status=err.status)
        if body.get("app_id") != self.app_id or body.get("app_secret") != self.app_secret:
            return web.json_response({"code": 10014, "msg": "app secret invalid"}, status=400)
        self.tokens_issued += 1
        return web.json_response({"code": 0, "msg": "ok", "tenant_access_token": self.token, "expire": 7200})

    def _authorized(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise ApiError(99991663, "Invalid access token for authorization. Please make a request with token "
                                     "attached.", 400)

    async def _api(self, request: web.Request) -> web.Response:
        path, method = request.match_info["path"], request.method
        parts = path.split("/")
        try:
            self._authorized(request)
            if method == "POST" and path == "im/v1/messages":
                return self._ok(await self._create(request))
            if method == "POST" and parts[:3] == ["im", "v1", "messages"] and parts[-1] == "reply":
                return self._ok(await self._reply(parts[3], await request.json()))
            if method == "PATCH" and parts[:3] == ["im", "v1", "messages"] and len(parts) == 4:
                return self._ok(await self._patch(parts[3], await request.json()))
            if method == "GET" and parts[:3] == ["im", "v1", "messages"] and len(parts) == 6:
                return self._resource(parts[3], parts[5], request.query.get("type", ""))
            if method == "POST" and path == "im/v1/images":
                return self._ok(await self._upload(request, "image"))
            if method == "POST" and path == "im/v1/files":
                return self._ok(await self._upload(request, "file"))
            if method == "GET" and parts[:3] == ["contact", "v3", "users"]:
                return self._ok(self._user(parts[3], request.query.get("user_id_type", "open_id")))
            if method == "GET" and parts[:3] == ["im", "v1", "chats"]:
                return self._ok(self._chat(parts[3]))
            if method == "GET" and path == "bot/v3/info":
                self._fault("info")
                return web.json_response({"code": 0, "msg": "ok", "bot": {
                    "activate_status": 2, "app_name": "salesbot", "avatar_url": "", "ip_white_list": [],
                    "open_id": BOT_OPEN_ID}})
            raise ApiError(404, "404 page not found", 404)
        except ApiError as err:
            return web.json_response({"code": err.code, "msg": err.msg, "error": {"log_id": "20240101standin"}},
                                     status=err.status, headers=err.headers)

    @staticmethod
    def _ok(data: JSONDict) -> web.Response:
        return web.json_response({"code": 0, "msg": "success", "data": data})

    def _chat_for(self, receive_id: str, id_type: str) -> str:
        if id_type == "open_id":
            if receive_id not in self.people:
                raise ApiError(230013, "Bot has NO availability to this user.")
            return p2p_of(receive_id)
        if id_type != "chat_id":
            raise ApiError(99992402, "field validation failed")
        chat = self.chats.get(receive_id)
        if chat is None or (chat["mode"] == "group" and BOT_OPEN_ID not in chat["members"]):
            raise ApiError(230002, "Bot/User can NOT be out of the chat.")
        return receive_id

    async def _create(self, request: web.Request) -> JSONDict:
        raw = await request.read()
        body = json.loads(raw)
        id_type = request.query.get("receive_id_type", "")
        self.calls.append(("create", {"receive_id_type": id_type, **body}))
        chat = self._chat_for(str(body.get("receive_id")), id_type)
        self._fault("create", chat)
        self._check(body, len(raw))
        return self._store(chat, body, "send")

    async def _reply(self, message_id: str, body: JSONDict) -> JSONDict:
        self.calls.append(("reply", {"message_id": message_id, **body}))
        parent = self.messages.get(message_id)
        if parent is None:
            raise ApiError(230011, "The message was withdrawn.")
        self._fault("reply", parent["chat_id"])
        self._check(body, len(json.dumps(body, ensure_ascii=False).encode()))
        root = parent["root_id"] or parent["message_id"]
        thread = parent["thread_id"] or (f"omt_{next(self._ids):08x}" if body.get("reply_in_thread") else "")
        if body.get("reply_in_thread") and not parent["thread_id"]:
            parent["thread_id"] = thread
        return self._store(parent["chat_id"], body, "send", root=root, parent=message_id,
                           thread=thread if body.get("reply_in_thread") or parent["thread_id"] else "")

    async def _patch(self, message_id: str, body: JSONDict) -> JSONDict:
        self.calls.append(("patch", {"message_id": message_id, **body}))
        msg = self.messages.get(message_id)
        if msg is None or msg["sender"]["sender_type"] != "app":
            raise ApiError(230001, "Your request contains an invalid request parameter, ext=invalid message_id.")
        self._fault("patch", msg["chat_id"])
        if msg["msg_type"] != "interactive":
            raise ApiError(230001, "Your request contains an invalid request parameter, ext=message is not card.")
        card = self._card(str(body.get("content")))
        if not card.get("config", {}).get("update_multi"):
            raise ApiError(230099, "Failed to create card content, ext=only shared cards can be updated")
        if len(json.dumps(body, ensure_ascii=False).encode()) > MAX_CARD_BODY:
            raise ApiError(230025, "The length of the message content reaches its limit.")
        msg["body"]["content"] = body["content"]
        msg["updated"] = True
        msg["update_time"] = str(int(time.time() * 1000))
        self.events.append(Event("patch", msg))
        return {}

    def _check(self, body: JSONDict, size: int) -> None:
        kind, content = body.get("msg_type"), body.get("content")
        if not isinstance(content, str):
            raise ApiError(230001, "Your request contains an invalid request parameter, ext=content is empty.")
        limit = MAX_TEXT_BODY if kind == "text" else MAX_CARD_BODY
        if size > limit:
            raise ApiError(230025, "The length of the message content reaches its limit.")
        data = json.loads(content)
        if kind == "interactive":
            self._card(content)
        elif kind == "post":
            locales = [v for v in data.values() if isinstance(v, dict)]
            if not locales or not all(isinstance(p, list) and all(isinstance(r, dict) and r.get("tag")
                                                                  for r in p) for p in locales[0]["content"]):
                raise ApiError(230001, "Your request contains an invalid request parameter, ext=invalid post.")
        elif kind == "image" and data.get("image_key") not in self.resources:
            raise ApiError(230001, "Your request contains an invalid request parameter, ext=invalid image_key.")
        elif kind == "file" and data.get("file_key") not in self.resources:
            raise ApiError(230001, "Your request contains an invalid request parameter, ext=invalid file_key.")
        elif kind not in ("interactive", "post", "image", "file", "text"):
            raise ApiError(230001, "Your request contains an invalid request parameter, ext=invalid msg_type.")

    @staticmethod
    def _card(content: str) -> JSONDict:
        try:
            card = json.loads(content)
            elements = card["elements"]
            for el in elements:
                if el["tag"] == "markdown":
                    assert isinstance(el["content"], str)
                elif el["tag"] == "action":
                    for b in el["actions"]:
                        assert b["tag"] == "button" and b["text"]["tag"] == "plain_text"
                        assert b["type"] in ("default", "primary", "danger") and isinstance(b["value"], dict)
                else:
                    raise AssertionError(el["tag"])
        except (ValueError, KeyError, TypeError, AssertionError) as exc:
            raise ApiError(230099, f"Failed to create card content, ext=ErrCode: 200621; ErrMsg: {exc!r}") from exc
        return dict(card)

    def _store(self, chat: str, body: JSONDict, kind: str, *, root: str = "", parent: str = "",
               thread: str = "", sender: str | None = None) -> JSONDict:
        now = str(int(time.time() * 1000))
        mid = f"om_{next(self._ids):032x}"
        who = ({"id": self.app_id, "id_type": "app_id", "sender_type": "app", "tenant_key": TENANT} if sender is None
               else {"id": sender, "id_type": "open_id", "sender_type": "user", "tenant_key": TENANT})
        msg = {"message_id": mid, "root_id": root, "parent_id": parent, "thread_id": thread,
               "msg_type": body["msg_type"], "create_time": now, "update_time": now, "deleted": False,
               "updated": False, "chat_id": chat, "sender": who, "body": {"content": body["content"]},
               "mentions": [], "upper_message_id": ""}
        self.messages[mid] = msg
        if sender is None:
            self.events.append(Event(kind, msg))
        return msg

    async def _upload(self, request: web.Request, kind: str) -> JSONDict:
        form = await request.post()
        self._fault(kind)
        upload = form.get(kind)
        if not isinstance(upload, web.FileField):
            raise ApiError(234001, "Invalid request param.")
        data = upload.file.read()
        if kind == "image":
            if len(data) > 10 * 1024 * 1024 or form.get("image_type") != "message":
                raise ApiError(234001, "Invalid request param.")
            key = f"img_v3_{next(self._ids):08x}"
            self.resources[key] = (data, upload.filename or "image", upload.content_type or "image/png")
            self.calls.append(("image", {"image_key": key}))
            return {"image_key": key}
        if not data or len(data) > 30 * 1024 * 1024 or form.get("file_type") not in (
                "opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"):
            raise ApiError(234001, "Invalid request param.")
        key = f"file_v3_{next(self._ids):08x}"
        name = str(form.get("file_name") or upload.filename)
        self.resources[key] = (data, name, upload.content_type or "application/octet-stream")
        self.calls.append(("file", {"file_key": key, "file_type": form.get("file_type"), "file_name": name}))
        return {"file_key": key}

    def _resource(self, message_id: str, key: str, kind: str) -> web.Response:
        self._fault("resource")
        msg = self.messages.get(message_id)
        content = json.loads(msg["body"]["content"]) if msg else {}
        if kind not in ("file", "image") or key not in _keys(content) or key not in self.resources:
            raise ApiError(234003, "File not in msg.")
        data, name, mime = self.resources[key]
        return web.Response(body=data, content_type=mime,
                            headers={"Content-Disposition": f'attachment; filename="{name}"'} if name else {})

    def _user(self, user_id: str, id_type: str) -> JSONDict:
        self._fault("user")
        person = self.people.get(user_id) if id_type == "open_id" else None
        if person is None:
            raise ApiError(41050, "no user authority error")
        user: JSONDict = {"open_id": person.open_id, "union_id": "on_" + person.open_id[3:], "name": person.name,
                          "en_name": person.name, "status": {"is_activated": True}}
        if person.language:
            user["notification_option"] = {"channels": [], "language": person.language}
        return {"user": user}

    def _chat(self, chat_id: str) -> JSONDict:
        self._fault("chat")
        chat = self.chats.get(chat_id)
        if chat is None or (chat["mode"] == "group" and BOT_OPEN_ID not in chat["members"]):
            raise ApiError(232011, "Operator can NOT be out of the chat.")
        return {"chat_mode": chat["mode"], "name": chat["name"], "chat_type": "private", "owner_id_type": "open_id",
                "tenant_key": TENANT}

    # --- the long connection --------------------------------------------------------------------------------

    async def _endpoint(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("endpoint", {"AppID": body.get("AppID")}))
        if body.get("AppID") != self.app_id or body.get("AppSecret") != self.app_secret:
            return web.json_response({"code": 403, "msg": "forbidden"})
        device = f"{next(self._ids):019d}"
        ws_url = self.url.replace("http://", "ws://") + "/ws?" + urlencode(
            {"device_id": device, "service_id": SERVICE_ID, "access_key": "standin", "ticket": "standin"})
        return web.json_response({"code": 0, "msg": "ok", "data": {"URL": ws_url, "ClientConfig": {
            "ReconnectCount": -1, "ReconnectInterval": 1, "ReconnectNonce": 0, "PingInterval": 120}}})

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        peer = WsPeer(ws, request.query.get("device_id", ""))
        self.peers.append(peer)
        self.connected.set()
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.BINARY:
                continue
            frame = Frame()
            frame.ParseFromString(msg.data)
            headers = {h.key: h.value for h in frame.headers}
            if frame.method == FrameType.CONTROL.value and headers.get("type") == MessageType.PING.value:
                peer.pings += 1
                pong = Frame(SeqID=0, LogID=0, service=SERVICE_ID, method=FrameType.CONTROL.value)
                pong.headers.add(key="type", value=MessageType.PONG.value)
                pong.payload = json.dumps({"PingInterval": 120, "ReconnectCount": -1, "ReconnectInterval": 1,
                                           "ReconnectNonce": 0}).encode()
                await ws.send_bytes(pong.SerializeToString())
            elif frame.method == FrameType.DATA.value:
                waiter = peer.acks.pop(headers.get("message_id", ""), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(json.loads(frame.payload))
        self.peers.remove(peer)
        if not self.peers:
            self.connected.clear()
        return ws

    async def push(self, body: JSONDict, *, parts: int = 1) -> JSONDict:
        """Send an event down the long connection (in `parts` frames, as Feishu splits big ones); its ack."""
        peer = self.peers[-1]
        payload = json.dumps(body, ensure_ascii=False).encode()
        frame_id = f"{next(self._ids):016x}"
        waiter: asyncio.Future[JSONDict] = asyncio.get_running_loop().create_future()
        peer.acks[frame_id] = waiter
        size = -(-len(payload) // parts)
        for seq in range(parts):
            frame = Frame(SeqID=next(self._ids), LogID=next(self._ids), service=SERVICE_ID,
                          method=FrameType.DATA.value, payload=payload[seq * size:(seq + 1) * size])
            for key, value in (("type", MessageType.EVENT.value), ("message_id", frame_id), ("sum", str(parts)),
                               ("seq", str(seq)), ("trace_id", f"trace-{frame_id}")):
                frame.headers.add(key=key, value=value)
            await peer.ws.send_bytes(frame.SerializeToString())
        return await asyncio.wait_for(waiter, 10)

    # --- HTTP callbacks -------------------------------------------------------------------------------------

    async def post(self, body: JSONDict, *, signed: bool = True, age: float = 0.0, key: str | None = None,
                   encrypted: bool = True) -> tuple[int, JSONDict]:
        """POST an event to the callback URL as Feishu does (encrypted, signed); its status and answer.
        `age` backdates the signature; `key` signs with another key (a forger's)."""
        plain = json.dumps(body, ensure_ascii=False)
        raw = (json.dumps({"encrypt": encrypt(plain, self.encrypt_key)}) if encrypted else plain).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Request-Id": f"req-{next(self._ids)}"}
        if signed:
            stamp, nonce = str(int(time.time() - age)), f"{next(self._ids):x}{os.urandom(4).hex()}"
            headers.update({"X-Lark-Request-Timestamp": stamp, "X-Lark-Request-Nonce": nonce,
                            "X-Lark-Signature": sign(stamp, nonce, key or self.encrypt_key, raw)})
        async with aiohttp.ClientSession() as http, http.post(self.callback_url, data=raw, headers=headers) as resp:
            text = await resp.text()
            try:
                answer = json.loads(text) if text else {}
            except ValueError:
                answer = {"raw": text}
            return resp.status, answer

    # --- what people do -------------------------------------------------------------------------------------

    def header(self, event_type: str, token: str | None = None) -> JSONDict:
        """A schema 2.0 event header."""
        return {"event_id": os.urandom(16).hex(), "token": token or self.verification_token,
                "create_time": str(int(time.time() * 1000)), "event_type": event_type, "tenant_key": TENANT,
                "app_id": self.app_id}

    def message(self, who: Person, text: str = "", *, chat: str | None = None, mention: bool = False,
                kind: str = "text", content: JSONDict | None = None, thread_of: str | None = None) -> JSONDict:
        """im.message.receive_v1: `who` writes `text` (privately unless `chat` names a group), @bot first with
        `mention`; or sends a file, an image, a location (`kind`, `content`)."""
        where = chat or p2p_of(who.open_id)
        mentions = []
        if mention:
            text = f"@_user_1 {text}"
            mentions.append({"key": "@_user_1", "id": {"union_id": "on_bot", "user_id": "", "open_id": BOT_OPEN_ID},
                             "name": "salesbot", "tenant_key": TENANT})
        body = content if content is not None else {"text": text}
        root = self.messages[thread_of] if thread_of else None
        stored = self._store(where, {"msg_type": kind, "content": json.dumps(body, ensure_ascii=False)}, "said",
                             root=root["message_id"] if root else "", parent=root["message_id"] if root else "",
                             thread=root["thread_id"] if root else "", sender=who.open_id)
        message = {"message_id": stored["message_id"], "root_id": stored["root_id"],
                   "parent_id": stored["parent_id"], "create_time": stored["create_time"],
                   "update_time": stored["update_time"], "chat_id": where,
                   "chat_type": self.chats.get(where, {"mode": "p2p"})["mode"], "message_type": kind,
                   "content": stored["body"]["content"], "mentions": mentions, "user_agent": "Mozilla/5.0 Lark"}
        if stored["thread_id"]:
            message["thread_id"] = stored["thread_id"]
        sender = {"sender_id": {"union_id": "on_" + who.open_id[3:], "user_id": who.name, "open_id": who.open_id},
                  "sender_type": "user", "tenant_key": TENANT}
        return {"schema": "2.0", "header": self.header("im.message.receive_v1"),
                "event": {"sender": sender, "message": message}}

    def file_message(self, who: Person, name: str, data: bytes, mime: str, *, image: bool = False) -> JSONDict:
        """`who` sends a file (or an image) in the private chat."""
        key = f"{'img' if image else 'file'}_v3_{next(self._ids):08x}"
        self.resources[key] = (data, name, mime)
        content = {"image_key": key} if image else {"file_key": key, "file_name": name}
        return self.message(who, kind="image" if image else "file", content=content)

    def photo_post(self, who: Person, text: str, data: bytes, mime: str = "image/jpeg", *,
                   chat: str | None = None, mention: bool = False) -> JSONDict:
        """`who` sends a photo with words (rich text: the image, then the text), as Feishu's client does when a
        picture is pasted into a message; Feishu serves the image back without a file name."""
        key = f"img_v3_{next(self._ids):08x}"
        self.resources[key] = (data, "", mime)
        runs: list[JSONDict] = []
        if mention:
            runs.append({"tag": "at", "user_id": "@_user_1", "user_name": "salesbot", "style": []})
        runs.append({"tag": "text", "text": text, "style": []})
        content = {"title": "", "content": [[{"tag": "img", "image_key": key, "width": 1280, "height": 720}], runs]}
        return self.message(who, chat=chat, kind="post", content=content, mention=mention)

    def click(self, who: Person, message_id: str, label: str) -> JSONDict:
        """card.action.trigger: `who` presses the button labelled `label` on a card as it is now."""
        msg = self.messages[message_id]
        card = json.loads(msg["body"]["content"])
        value = next(b["value"] for el in card["elements"] if el["tag"] == "action" for b in el["actions"]
                     if b["text"]["content"] == label)
        return {"schema": "2.0", "header": self.header("card.action.trigger"),
                "event": {"operator": {"tenant_key": TENANT, "user_id": who.name, "open_id": who.open_id,
                                       "union_id": "on_" + who.open_id[3:]},
                          "token": f"c-{os.urandom(16).hex()}", "action": {"value": value, "tag": "button"},
                          "host": "im_message", "delivery_type": "url_callback" if self.callback_url else "ws",
                          "context": {"open_message_id": message_id, "open_chat_id": msg["chat_id"]}}}

    # --- what the tests look at -----------------------------------------------------------------------------

    def current(self, message_id: str) -> JSONDict:
        """A message as it is now (after patches)."""
        return self.messages[message_id]

    def in_chat(self, chat: str) -> list[JSONDict]:
        """The bot's messages in a chat, oldest first, as they are now."""
        return [m for m in self.messages.values() if m["chat_id"] == chat and m["sender"]["sender_type"] == "app"]


def _keys(content: Any) -> set[str]:
    """Every file_key and image_key a message's content holds (a rich-text message's images included)."""
    if isinstance(content, dict):
        found = {str(content[k]) for k in ("file_key", "image_key") if content.get(k)}
        return found.union(*(_keys(v) for v in content.values()))
    if isinstance(content, list):
        return set().union(*(_keys(v) for v in content))
    return set()


def text_of(message: JSONDict) -> str:
    """What a person reads in a message: a card's markdown (markers gone), a post's runs, an image, a file."""
    kind, content = message["msg_type"], json.loads(message["body"]["content"])
    if kind == "interactive":
        parts = [el["content"] for el in content["elements"] if el["tag"] == "markdown"]
        return "\n".join(parts).replace("**", "")
    if kind == "post":
        body = next(v for v in content.values() if isinstance(v, dict))
        return "\n".join("".join(r.get("text", "") for r in p) for p in body["content"])
    if kind == "image":
        return "🖼"
    if kind == "file":
        return "📎"
    return str(content.get("text", ""))


def buttons_of(message: JSONDict) -> list[str]:
    """The labels of a card's buttons."""
    if message["msg_type"] != "interactive":
        return []
    content = json.loads(message["body"]["content"])
    return [b["text"]["content"] for el in content["elements"] if el["tag"] == "action" for b in el["actions"]]
