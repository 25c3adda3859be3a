"""One ASGI app (Starlette, served by uvicorn on PORT): Slack, the Telegram webhook, the Feishu callback, the lead
API, the customers' survey page, health, metrics; the worker role serves health and metrics only (`build_probes`)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import leads_api, metrics, tickets_api
from bot.adapters.slack.adapter import Slack
from bot.adapters.slack.parse import ParseError, body_from_http
from bot.adapters.telegram.app import SECRET_HEADER, TelegramBot
from bot.inbox import Inbox
from bot.surveys import Door
from bot.surveys import routes as survey_routes
from handlers.core import Core
from storage.migrate import at_head
from storage.status import last_sweep, outbox_backlog, ping, reminders_due

if TYPE_CHECKING:  # lark-oapi takes seconds to import: only when Feishu is configured
    from bot.adapters.feishu.events import Callback

log = logging.getLogger("salesbot.web")
MAX_BODY = 1024 * 1024


@dataclass
class Parts:
    """What the web app serves: the core and whichever platforms are configured."""

    engine: Engine
    core: Core
    slack: Slack | None = None
    slack_secret: str = ""
    telegram: TelegramBot | None = None
    telegram_path: str = "/telegram"
    feishu: Callback | None = None
    leads_token: str = ""
    tickets_token: str = ""  # POST /api/tickets (SALESBOT_TICKETS_TOKEN); unset: every post is 401
    survey_door: Door | None = None  # the survey page's rate limit (its default unless told)
    inbox: Inbox | None = None  # the durable inbox of Telegram updates and Slack events (made by build)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.limit:
            await Response("request body too large", status_code=413)(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await Response("request body too large", status_code=413)(scope, receive, send)
        except ClientDisconnect:  # a slow upload the client gave up on: nothing to answer, nothing to trace
            log.info("request dropped by the client before its body arrived", extra={"path": scope.get("path")})


def probes(engine: Engine, now: Callable[[], datetime]) -> list[Route]:
    """GET /healthz and GET /metrics: served by every `salesbot run` process, whatever its role."""

    async def healthz(request: Request) -> Response:
        def check() -> tuple[bool, int, datetime | None]:
            with Session(engine) as session:
                ping(session=session)
                backlog, sweep = outbox_backlog(session=session), last_sweep(session=session)
            return at_head(engine), backlog, sweep
        try:
            head, backlog, sweep = await asyncio.wait_for(asyncio.to_thread(check), timeout=5)
        except Exception:
            return JSONResponse({"database": "unreachable"}, status_code=503)
        body = {"database": "ok", "migrations": "head" if head else "behind", "outbox_backlog": backlog,
                "last_clock_sweep": sweep.isoformat() if sweep else None}
        return JSONResponse(body, status_code=200 if head else 503)

    async def metrics_view(request: Request) -> Response:
        def gauges() -> tuple[int, int]:
            with Session(engine) as session:
                return outbox_backlog(session=session), reminders_due(session=session, now=now())
        try:
            backlog, due = await asyncio.to_thread(gauges)
            metrics.OUTBOX_BACKLOG.set(backlog)
            metrics.REMINDERS_DUE.set(due)
        except Exception:
            log.warning("metrics: database unreachable")
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    return [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics_view, methods=["GET"])]


def build_probes(engine: Engine, now: Callable[[], datetime]) -> ASGIApp:
    """The worker's app: health and metrics only, no chat endpoints and no lead API."""
    return BodyLimit(Starlette(routes=probes(engine, now)))


def build(parts: Parts) -> ASGIApp:
    """The Starlette app with every route this process serves, behind the body limit."""
    engine = parts.engine

    async def db_ok() -> bool:
        def check() -> None:
            with Session(engine) as session:
                ping(session=session)
        try:
            await asyncio.wait_for(asyncio.to_thread(check), timeout=3)
            return True
        except Exception:
            return False

    routes = [*probes(engine, lambda: parts.core.clock()), Route(
        "/api/leads", leads_api.endpoint(engine, lambda: parts.core.clock(), parts.leads_token), methods=["POST"]),
        Route("/api/tickets", tickets_api.endpoint(engine, lambda: parts.core.clock(), parts.tickets_token,
                                                   parts.core.settings), methods=["POST"]),
        *survey_routes(engine, lambda: parts.core.clock(), parts.core.settings, parts.survey_door)]
    inbox = _inbox(parts)
    if parts.slack is not None:
        routes.append(Route("/slack/events", _slack_endpoint(parts.slack, parts.slack_secret, db_ok, inbox),
                            methods=["POST"]))
    if parts.telegram is not None:
        routes.append(Route(parts.telegram_path, _telegram_endpoint(parts.telegram, inbox), methods=["POST"]))
    if parts.feishu is not None:
        routes.append(Route("/feishu/events", _feishu_endpoint(parts.feishu, db_ok), methods=["POST"]))
    return BodyLimit(Starlette(routes=routes))


def _inbox(parts: Parts) -> Inbox:
    """The durable inbox, its handlers registered, pumping already when a loop runs (a restart's leftovers)."""
    from bot.adapters.slack.app import handle_stored

    inbox = parts.inbox = parts.inbox or Inbox(parts.engine)
    if parts.telegram is not None:
        parts.telegram.inbox = inbox
        inbox.register("telegram", parts.telegram.handle_stored)
    slack = parts.slack
    if slack is not None:
        slack.inbox = inbox

        async def slack_stored(payload: str) -> None:
            await handle_stored(slack, payload)
        inbox.register("slack", slack_stored)
    if inbox.handlers:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return inbox  # started by the first stored update
        inbox.start()
    return inbox


def _slack_endpoint(slack: Slack, secret: str, db_ok: Any, inbox: Inbox) -> Any:
    from bot.adapters.slack.app import stored_keys, submission_errors

    verifier = SignatureVerifier(secret)
    handler = AsyncSlackRequestHandler(slack.app)

    async def endpoint(request: Request) -> Response:
        # Nothing unsigned or stale is read: the headers first, then at most MAX_BODY bytes, then the signature.
        stamp = request.headers.get("x-slack-request-timestamp", "")
        if (not request.headers.get("x-slack-signature") or not stamp.isdigit()
                or abs(time.time() - int(stamp)) > 60 * 5):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        raw = await bounded_body(request)
        if raw is None:
            return JSONResponse({"error": "request body too large"}, status_code=413)
        if not verifier.is_valid_request(raw, dict(request.headers)):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            body = body_from_http(raw.decode("utf-8"),
                                  request.headers.get("content-type", "").split(";")[0].strip())
        except (UnicodeDecodeError, ParseError, RecursionError):
            return JSONResponse({"error": "malformed payload"}, status_code=400)
        keys = stored_keys(body)
        if keys is not None:
            try:  # stored and committed before Slack hears 200: a process that dies now loses nothing
                if body.get("type") == "view_submission":
                    # A modal's missing fields travel in the ack (the modal stays open): checked before storing.
                    errors = await submission_errors(slack, body)
                    if errors:
                        return JSONResponse({"response_action": "errors", "errors": errors})
                await inbox.put("slack", keys[0], keys[1], json.dumps(body))
            except Exception as exc:
                log.warning("slack request not stored: database unavailable", extra={"error": type(exc).__name__})
                return JSONResponse({"error": "try again shortly"}, status_code=503)
            return Response(status_code=200)
        if not await db_ok():
            # Not acknowledged: Slack retries, and the retry is handled once the database is back.
            return JSONResponse({"error": "try again shortly"}, status_code=503)
        response: Response = await handler.handle(request)
        return response

    return endpoint


def _telegram_endpoint(bot: TelegramBot, inbox: Inbox) -> Any:
    async def endpoint(request: Request) -> Response:
        if not bot.secret_ok(request.headers.get(SECRET_HEADER, "")):
            return Response(status_code=403)
        try:
            payload = json.loads(await request.body())
            update_id, chat = bot.check(payload)
        except (ValueError, RecursionError):  # not JSON, nested past Python's limit, or no update
            return JSONResponse({"error": "not a Telegram update"}, status_code=400)
        try:  # stored and committed before Telegram hears 200: a process that dies now loses nothing
            await inbox.put("telegram", update_id, chat, json.dumps(payload))
        except Exception as exc:
            log.warning("update not stored: database unavailable", extra={"error": type(exc).__name__})
            return Response(status_code=503)  # Telegram keeps the update and sends it again
        return Response(status_code=200)

    return endpoint


async def bounded_body(request: Request, limit: int = MAX_BODY) -> bytes | None:
    """The request body, read no further than `limit` bytes (None when it is longer)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    raw = b"".join(chunks)
    request._body = raw  # what request.body() answers from now on (Bolt reads it again)
    return raw


def _feishu_endpoint(callback: Callback, db_ok: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        headers, body = dict(request.headers), await request.body()
        refused = callback.check(headers, body, time.time())  # the signature's age: real time, not the clock
        if refused is not None:
            return Response(refused[1], status_code=refused[0], media_type="application/json")
        event = callback.to_store(body)
        if event is not None:
            try:  # stored and committed before Feishu hears 200: a process that dies now loses nothing
                status, content = await callback.store(event)
            except Exception as exc:
                log.warning("feishu event not stored: database unavailable", extra={"error": type(exc).__name__})
                return Response(status_code=503)  # not taken: Feishu sends the event again later
            return Response(content, status_code=status, media_type="application/json")
        if not await db_ok():
            return Response(status_code=503)
        status, content = callback.dispatch(headers, body)
        return Response(content, status_code=status, media_type="application/json")

    return endpoint
