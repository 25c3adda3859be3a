"""How events reach the adapter: lark-oapi's dispatcher, fed by the long connection (a WebSocket the bot dials
out on, the default) or by the HTTP callback, whose requests are checked first (signature, freshness, token)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

import lark_oapi as lark
import lark_oapi.ws.client as ws_client
import websockets
from lark_oapi.core.utils import AESCipher
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse

from bot.adapters.feishu import parse
from bot.adapters.feishu.app import Feishu
from bot.run import Adapter

log = logging.getLogger("salesbot.feishu")
STALE_AFTER = 300  # seconds: a callback signed longer ago (or ahead) than this is refused as a replay
HANDLED = frozenset({parse.MESSAGE, parse.CARD_ACTION})
_HEADERS = ("X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature")


def dispatcher(feishu: Feishu, *, encrypt_key: str = "", token: str = "") -> Any:
    """lark's EventDispatcherHandler with our listeners: each stores the event's JSON in the adapter's inbox and
    returns, so Feishu has its acknowledgement (within its 3 seconds) only once the event is kept."""

    def on_message(data: Any) -> None:
        feishu.hand_over(json.loads(lark.JSON.marshal(data)))

    def on_card(data: Any) -> Any:
        feishu.hand_over(json.loads(lark.JSON.marshal(data)))
        return P2CardActionTriggerResponse({})  # the card is updated by the turn, with the API

    def ignore(data: Any) -> None:
        return None

    lark.logger.handlers.clear()  # the SDK prints to stdout; its records go to our JSON logs instead
    return (lark.EventDispatcherHandler.builder(encrypt_key, token)
            .register_p2_im_message_receive_v1(on_message)
            .register_p2_card_action_trigger(on_card)
            .register_p2_im_message_message_read_v1(ignore)
            .register_p2_im_chat_access_event_bot_p2p_chat_entered_v1(ignore)
            .build())


class LongConnection:
    """lark.ws.Client in a thread of its own: the SDK runs its client on the module-level event loop of
    lark_oapi.ws.client and blocks in start(), so that loop is this thread's (one app per process)."""

    def __init__(self, feishu: Feishu, *, app_secret: str, domain: str) -> None:
        self.feishu, self.app_secret, self.domain = feishu, app_secret, domain
        self.client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    async def start(self) -> None:
        """Dial out; events flow to the adapter until stop()."""
        self._thread = threading.Thread(target=self._run, name="feishu-ws", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._ready.wait, 10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_when_closed)
        asyncio.set_event_loop(loop)
        ws_client.loop = loop
        self._loop = loop
        try:
            self.client = lark.ws.Client(self.feishu.workspace, self.app_secret, log_level=lark.LogLevel.WARNING,
                                         event_handler=dispatcher(self.feishu), domain=self.domain)
            lark.logger.handlers.clear()
            self._ready.set()
            self.client.start()
        except RuntimeError:
            pass  # stop() stopped the loop under start()
        except Exception:
            log.exception("feishu long connection ended")
        finally:
            self._ready.set()
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def stop(self) -> None:
        """Close the WebSocket and end the thread."""
        loop, client = self._loop, self.client
        if loop is None or self._thread is None:
            return

        async def close() -> None:
            lark.logger.setLevel(logging.CRITICAL)  # the SDK reports its own closing as an error
            if client is not None:
                client._auto_reconnect = False  # the SDK has no public way to close its connection
                conn = client._conn
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            loop.stop()

        with contextlib.suppress(RuntimeError):  # the loop is already closed
            asyncio.run_coroutine_threadsafe(close(), loop)
        await asyncio.to_thread(self._thread.join, 10)
        self._thread = None


def _quiet_when_closed(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # The SDK's receive task ends with the connection's closing exception, which nobody collects.
    if isinstance(context.get("exception"), websockets.exceptions.ConnectionClosed):
        return
    loop.default_exception_handler(context)


def refusal(headers: Mapping[str, str], body: bytes, *, encrypt_key: str, token: str, now: float) -> str | None:
    """Why an HTTP callback is not Feishu's (None when it is): unsigned, stale, badly signed, or without our
    verification token. Only the one-time url_verification of the callback address may come unsigned."""
    lower = {k.lower(): v for k, v in headers.items()}
    stamp, nonce, signature = (lower.get(h.lower(), "") for h in _HEADERS)
    if not (stamp and nonce and signature):
        plain = plaintext(body, encrypt_key)
        return None if plain and plain.get("type") == "url_verification" and _token_ok(plain, token) else "unsigned"
    if not stamp.isdigit() or abs(now - int(stamp)) > STALE_AFTER:
        return "stale"
    expected = hashlib.sha256((stamp + nonce + encrypt_key).encode() + body).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "bad signature"
    plain = plaintext(body, encrypt_key)
    return None if plain is not None and _token_ok(plain, token) else "bad token"

def plaintext(body: bytes, encrypt_key: str) -> dict[str, Any] | None:
    """A callback's JSON, decrypted when it came encrypted ({"encrypt": …})."""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("encrypt"), str):
            data = json.loads(AESCipher(encrypt_key).decrypt_str(data["encrypt"]))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _token_ok(plain: dict[str, Any], token: str) -> bool:
    header = plain.get("header")
    sent = header.get("token") if isinstance(header, dict) else plain.get("token")
    return bool(token) and isinstance(sent, str) and hmac.compare_digest(sent.encode(), token.encode())


class Callback:
    """The HTTP callback (POST /feishu/events of the web app): checked, then dispatched like the long
    connection's events."""

    def __init__(self, feishu: Feishu, *, encrypt_key: str, token: str) -> None:
        if not encrypt_key or not token:
            raise ValueError("the HTTP callback needs FEISHU_ENCRYPT_KEY and FEISHU_VERIFICATION_TOKEN")
        self.feishu, self.encrypt_key, self.token = feishu, encrypt_key, token
        self.handler = dispatcher(feishu, encrypt_key=encrypt_key, token=token)

    def check(self, headers: Mapping[str, str], body: bytes, now: float) -> tuple[int, bytes] | None:
        """The answer to a request that is not Feishu's (401), or None to go on."""
        why = refusal(headers, body, encrypt_key=self.encrypt_key, token=self.token, now=now)
        if why is None:
            return None
        log.warning("feishu callback refused", extra={"outcome": why})
        return 401, json.dumps({"msg": why}).encode()

    def to_store(self, body: bytes) -> dict[str, Any] | None:
        """A checked request's event when it is one we handle (a message, a card's button): stored before 200."""
        plain = plaintext(body, self.encrypt_key) or {}
        return plain if plain.get("schema") == "2.0" and parse.event_type(plain) in HANDLED else None

    async def store(self, event: dict[str, Any]) -> tuple[int, bytes]:
        """Keep a handled event in the inbox (committed; a database error propagates) and answer as the SDK
        would: a message's `{"msg":"success"}`, a card click's empty card response (the turn patches the card)."""
        await self.feishu.keep(event)
        return 200, b"{}" if parse.event_type(event) == parse.CARD_ACTION else b'{"msg":"success"}'

    def dispatch(self, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
        """Hand a checked request to the SDK's dispatcher (which answers url_verification itself)."""
        plain = plaintext(body, self.encrypt_key) or {}
        if plain.get("schema") == "2.0" and parse.event_type(plain) not in HANDLED:
            return 200, b'{"msg":"ignored"}'  # an event we did not ask for: taken, so it is not sent again
        raw = lark.RawRequest()
        raw.uri = "/feishu/events"
        lower = {k.lower(): v for k, v in headers.items()}
        raw.headers = {h: lower.get(h.lower(), "") for h in _HEADERS}
        raw.body = body
        resp = self.handler.do(raw)
        return int(resp.status_code), bytes(resp.content or b"")


def adapter(feishu: Feishu, cfg: Any) -> Adapter:
    """The adapter for `salesbot run`: started, and in the default mode dialling the long connection."""

    async def start() -> None:
        await feishu.start()
        if cfg.feishu_mode == "ws":
            conn = LongConnection(feishu, app_secret=cfg.feishu_app_secret.get_secret_value(),
                                  domain=cfg.feishu_api_base_url.rstrip("/"))
            await conn.start()
            feishu.on_stop(conn.stop)

    return Adapter(name="feishu", start=start, stop=feishu.stop)


def callback(feishu: Feishu, cfg: Any) -> Callback:
    """The HTTP callback FEISHU_ENCRYPT_KEY and FEISHU_VERIFICATION_TOKEN describe."""
    key, token = cfg.feishu_encrypt_key, cfg.feishu_verification_token
    return Callback(feishu, encrypt_key=key.get_secret_value() if key else "",
                    token=token.get_secret_value() if token else "")
