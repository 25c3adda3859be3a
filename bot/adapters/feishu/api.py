"""The Feishu Open API calls the adapter makes, through lark-oapi's client, with its failures classified the
way the outbox understands them (RetryAfter on a rate limit, Undeliverable on a refusal for good)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
import lark_oapi as lark
from lark_oapi.api.contact.v3 import GetUserRequest
from lark_oapi.api.im.v1 import (
    CreateFileRequest,
    CreateFileRequestBody,
    CreateImageRequest,
    CreateImageRequestBody,
    CreateMessageRequest,
    CreateMessageRequestBody,
    GetChatRequest,
    GetMessageResourceRequest,
    PatchMessageRequest,
    PatchMessageRequestBody,
    ReplyMessageRequest,
    ReplyMessageRequestBody,
)
from lark_oapi.core.cache import ICache
from lark_oapi.core.exception import ObtainAccessTokenException
from lark_oapi.core.token import TokenManager

from bot.adapters.feishu import render
from bot.delivery import RetryAfter, Undeliverable
from handlers.types import Attachment

log = logging.getLogger("salesbot.feishu")
# Rate limits: the gateway's HTTP 429 (99991400, with x-ogw-ratelimit-reset), a chat's (230020) and the
# tenant's message quota (11232). Waiting is what helps.
RATE_LIMITED = frozenset({99991400, 230020, 11232})
# Refusals that trying again will not change: the bot is not in the chat or may not reach the person, the
# message is gone or not ours, the content is refused.
PERMANENT = frozenset({230001, 230002, 230006, 230011, 230013, 230017, 230018, 230025, 230027, 230028,
                       230099, 231003, 234001, 10014, 10003})
TIMEOUT = 30.0


class FeishuError(Exception):
    """A call the Open API answered with a non-zero code (or a bad status)."""

    def __init__(self, code: int, msg: str, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code, self.msg, self.status, self.retry_after = code, msg, status, retry_after


def classify(err: Exception) -> Exception:
    """A failure as delivery understands it: RetryAfter, Undeliverable, or itself (back off and retry)."""
    if isinstance(err, FeishuError):
        if err.status == 429 or err.code in RATE_LIMITED:
            return RetryAfter(err.retry_after if err.retry_after is not None else 1.0)
        if err.code in PERMANENT:
            return Undeliverable(f"refused: {err.code} {err.msg}")
    return err


class _Tokens(ICache):  # type: ignore[misc]
    """This client's tenant_access_token, kept until shortly before it expires (the SDK's cache is global)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}

    def get(self, key: str) -> str:
        value, until = self._values.get(key, ("", 0.0))
        return value if until > time.time() else ""

    def set(self, key: str, value: str, expire: int) -> None:
        self._values[key] = (value, float(expire))


@dataclass(frozen=True, slots=True)
class Profile:
    """What contact/v3 says about a person: their name and language (None when it does not say)."""

    name: str | None
    locale: str | None


def receive_id_type(chat: str) -> str:
    """How im/v1/messages names a receiver: a person's open_id (ou_), union_id (on_), else a chat_id (oc_)."""
    return {"ou_": "open_id", "on_": "union_id"}.get(chat[:3], "chat_id")


class FeishuApi:
    """lark.Client for one app, on the domain FEISHU_API_BASE_URL names."""

    def __init__(self, app_id: str, app_secret: str, domain: str = lark.FEISHU_DOMAIN) -> None:
        self.app_id = app_id
        self.domain = domain.rstrip("/")
        lark.logger.handlers.clear()  # the SDK prints to stdout; its records go to our JSON logs instead
        self.client: Any = (lark.Client.builder().app_id(app_id).app_secret(app_secret).domain(self.domain)
                            .timeout(TIMEOUT).cache(_Tokens()).log_level(lark.LogLevel.WARNING).build())

    async def _token(self) -> None:
        # The SDK fetches the token with a blocking call the first time and every two hours: not on the loop.
        try:
            await asyncio.to_thread(TokenManager.get_self_tenant_token, self.client.config)
        except ObtainAccessTokenException as exc:
            raise FeishuError(int(exc.code or -1), str(exc.msg)) from exc

    async def _call(self, method: Any, request: Any) -> Any:
        await self._token()
        try:
            resp = await method(request)
        except (ValueError, json.JSONDecodeError) as exc:  # not JSON: a proxy's error page, say
            raise FeishuError(-1, f"unreadable answer: {exc}") from exc
        if not resp.success():
            raise _error(resp)
        return resp

    async def send(self, chat: str, message: render.Outgoing | tuple[str, str], *, uuid: str | None = None) -> str:
        """im/v1/messages: post to a chat or a person; the new message's id."""
        msg_type, content = _parts(message)
        body = CreateMessageRequestBody.builder().receive_id(chat).msg_type(msg_type).content(content)
        if uuid:
            body = body.uuid(uuid[:50])
        request = CreateMessageRequest.builder().receive_id_type(receive_id_type(chat)).request_body(
            body.build()).build()
        resp = await self._call(self.client.im.v1.message.acreate, request)
        return str(resp.data.message_id)

    async def reply(self, message_id: str, message: render.Outgoing | tuple[str, str], *,
                    in_thread: bool = False) -> str:
        """im/v1/messages/:id/reply: answer a message (in its thread with `in_thread`); the new message's id."""
        msg_type, content = _parts(message)
        body = ReplyMessageRequestBody.builder().msg_type(msg_type).content(content).reply_in_thread(in_thread)
        request = ReplyMessageRequest.builder().message_id(message_id).request_body(body.build()).build()
        resp = await self._call(self.client.im.v1.message.areply, request)
        return str(resp.data.message_id)

    async def patch(self, message_id: str, card: render.Outgoing) -> None:
        """PATCH im/v1/messages/:id: replace a card we posted (shared cards only) with another."""
        body = PatchMessageRequestBody.builder().content(card.body()).build()
        request = PatchMessageRequest.builder().message_id(message_id).request_body(body).build()
        await self._call(self.client.im.v1.message.apatch, request)

    async def upload(self, att: Attachment) -> tuple[str, str]:
        """An image (im/v1/images) or a file (im/v1/files) uploaded: the message type and content to send it."""
        if render.is_image(att):
            image = CreateImageRequestBody.builder().image_type("message").image(io.BytesIO(att.data)).build()
            resp = await self._call(self.client.im.v1.image.acreate,
                                    CreateImageRequest.builder().request_body(image).build())
            return "image", render.image_content(str(resp.data.image_key))
        file = (CreateFileRequestBody.builder().file_type(render.file_type(att)).file_name(att.name)
                .file(io.BytesIO(att.data)).build())
        resp = await self._call(self.client.im.v1.file.acreate, CreateFileRequest.builder().request_body(file).build())
        return "file", render.file_content(str(resp.data.file_key))

    async def download(self, message_id: str, key: str, kind: str) -> tuple[bytes, str | None, str]:
        """A file or image a person sent (im/v1/messages/:id/resources/:key): bytes, name, MIME type."""
        request = GetMessageResourceRequest.builder().message_id(message_id).file_key(key).type(kind).build()
        resp = await self._call(self.client.im.v1.message_resource.aget, request)
        mime = str((resp.raw.headers or {}).get("content-type") or (resp.raw.headers or {}).get("Content-Type")
                   or "application/octet-stream").split(";")[0].strip()
        return resp.file.getvalue(), resp.file_name, mime

    async def profile(self, open_id: str) -> Profile:
        """contact/v3/users/:id: a person's name and the language Feishu keeps for them."""
        request = GetUserRequest.builder().user_id(open_id).user_id_type("open_id").build()
        resp = await self._call(self.client.contact.v3.user.aget, request)
        user = resp.data.user
        option = getattr(user, "notification_option", None)
        language = getattr(option, "language", None) if option is not None else None
        return Profile(name=getattr(user, "name", None) or None, locale=str(language) if language else None)

    async def chat_mode(self, chat_id: str) -> str:
        """im/v1/chats/:id: "p2p" for a private chat with the bot, "group" or "topic" for a group."""
        resp = await self._call(self.client.im.v1.chat.aget, GetChatRequest.builder().chat_id(chat_id).build())
        return str(resp.data.chat_mode or "group")

    async def bot_open_id(self) -> str:
        """bot/v3/info: the bot's own open_id (to know when a group message mentions it)."""
        request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.GET).uri("/open-apis/bot/v3/info")
                   .token_types({lark.AccessTokenType.TENANT}).build())
        await self._token()
        resp = await self.client.arequest(request)
        try:
            data = json.loads(resp.raw.content)
        except (ValueError, AttributeError) as exc:
            raise FeishuError(-1, "unreadable answer") from exc
        if data.get("code") != 0:
            raise FeishuError(int(data.get("code") or -1), str(data.get("msg")), resp.raw.status_code)
        return str(data["bot"]["open_id"])


NETWORK = (httpx.HTTPError, OSError)  # what a call may raise before Feishu answers


def _parts(message: render.Outgoing | tuple[str, str]) -> tuple[str, str]:
    return (message.msg_type, message.body()) if isinstance(message, render.Outgoing) else message


def _error(resp: Any) -> FeishuError:
    raw = resp.raw
    status = int(getattr(raw, "status_code", 0) or 0)
    headers = {str(k).lower(): str(v) for k, v in (getattr(raw, "headers", None) or {}).items()}
    wait = None
    for name in ("x-ogw-ratelimit-reset", "retry-after"):
        try:
            wait = float(headers[name])
            break
        except (KeyError, ValueError):
            continue
    return FeishuError(int(resp.code if resp.code is not None else -1), str(resp.msg or ""), status, wait)
