"""The Slack app: Bolt listeners registered the starter-template way, and the process-level start, stop and sender.

`register(app, core)` wires one small listener per kind, each `await ack()` first and the work after (on the
`Slack` adapter it returns, whose `send(to, reply)` is the outbox sender for
`bot.delivery.deliver_due_async`). Over HTTP, `embed(core, cfg)` registers them for `/slack/events` of the
process's web server (bot/web.py); with SLACK_APP_TOKEN, `start(core, cfg)` connects in Socket Mode. `stop()`
stops either.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import parse, surfaces, views
from bot.adapters.slack.adapter import Slack
from bot.adapters.slack.parse import ParseError
from bot.config import Config
from bot.delivery import AsyncSender
from handlers.core import Core
from handlers.types import ChatRef, Reply
from storage.db import make_engine

log = logging.getLogger("salesbot.slack")
DEFAULT_BASE_URL = "https://slack.com/api/"
COMMAND = "/crm"


def make_client(token: str, base_url: str | None = None) -> AsyncWebClient:
    """The Web API client: retries once on 429 (after Retry-After) and on connection errors."""
    url = (base_url or DEFAULT_BASE_URL).rstrip("/") + "/"
    client = AsyncWebClient(token=token, base_url=url, timeout=15)
    client.retry_handlers.clear()
    client.retry_handlers.extend([AsyncConnectionErrorRetryHandler(max_retry_count=2),
                                  AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
    return client


def make_app(client: AsyncWebClient, signing_secret: str) -> AsyncApp:
    """The Bolt app; listeners ack and return, so Bolt may answer only after they finished."""
    return AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True,
                    ignoring_self_events_enabled=True)


def register(app: AsyncApp, core: Core, **options: Any) -> Slack:
    """Wire every listener: one small listener per kind, `await ack()` first, the work after."""
    slack = Slack(app, core, **options)

    @app.command(COMMAND)
    async def on_command(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        try:
            p = parse.slash(body, slack.commands())
        except ParseError as err:
            log.warning("refused slash command: %s", err)
            return
        line = str(p.extra["line"]).lower()
        if line in ("visit", "call", "note"):
            slack.spawn(surfaces.open_visit(slack, p, kind=line))
        elif line in ("quote", "quote new"):
            slack.spawn(surfaces.open_quote(slack, p))
        elif line in ("invoice", "invoice request"):
            slack.spawn(surfaces.open_invoice(slack, p))
        else:
            slack.spawn(slack.turn(p))

    @app.action(re.compile(r"^crm\."))
    async def on_button(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        try:
            p = parse.action(body)
        except ParseError as err:
            log.warning("refused click: %s", err)
            return
        slack.spawn(slack.turn(p))

    @app.action(views.OPEN_VISIT)
    async def on_open_visit(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        try:
            slack.spawn(surfaces.open_visit(slack, parse.action(body)))
        except ParseError as err:
            log.warning("refused click: %s", err)

    @app.action(views.OPEN_QUOTE)
    async def on_open_quote(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        try:
            slack.spawn(surfaces.open_quote(slack, parse.action(body)))
        except ParseError as err:
            log.warning("refused click: %s", err)

    @app.action(views.OPEN_INVOICE)
    async def on_open_invoice(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        try:
            slack.spawn(surfaces.open_invoice(slack, parse.action(body)))
        except ParseError as err:
            log.warning("refused click: %s", err)

    @app.view(re.compile(f"^({views.VISIT}|{views.QUOTE}|{views.INVOICE})$"))
    async def on_submit(ack: Any, body: dict[str, Any]) -> None:
        try:
            p = parse.submission(body)
        except ParseError as err:
            log.warning("refused submission: %s", err)
            await ack()
            return
        errors = await surfaces.check_modal(slack, p)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        work = surfaces.submitted(p)
        if work is not None:
            slack.spawn(slack.turn(work))

    @app.shortcut("log_visit")
    async def on_log_visit(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        try:
            p = parse.shortcut(body)
        except ParseError as err:
            log.warning("refused shortcut: %s", err)
            return
        slack.spawn(surfaces.open_visit(slack, p, text=str(p.extra["text"])))

    @app.options(re.compile(f"^({views.CUSTOMER_PICKER}|{views.DEAL_PICKER}|{views.ORDER_PICKER})$"))
    async def on_options(ack: Any, body: dict[str, Any]) -> None:
        try:
            p = parse.suggestion(body)
            await ack(options=await surfaces.options(slack, p))
        except (ParseError, Exception) as err:
            log.warning("no options: %s", err)
            await ack(options=[])

    @app.event("message")
    async def on_message(ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        _event(slack, body, context)

    @app.event("app_mention")
    async def on_mention(ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        _event(slack, body, context)

    @app.event("app_home_opened")
    async def on_home(ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        _event(slack, body, context)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.warning("bolt error: %s", type(error).__name__)

    return slack


STORED_EVENTS = ("message", "app_mention", "app_home_opened")  # what bot/web.py keeps in the durable inbox


def stored_keys(body: dict[str, Any]) -> tuple[str, str] | None:
    """An Events API body's event id and chat (the inbox's keys), when it is an event we keep; else None."""
    ev = body.get("event")
    if body.get("type") != "event_callback" or not isinstance(ev, dict) or ev.get("type") not in STORED_EVENTS:
        return None
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        return None
    where = ev.get("channel") if isinstance(ev.get("channel"), str) else ev.get("user")
    return event_id, f"{body.get('team_id')}:{where}"


async def handle_stored(slack: Slack, payload: str) -> None:
    """One event from the durable inbox, handled to its end (bot.inbox.Later when the database went away)."""
    from bot.inbox import Later
    from handlers.core import Unavailable

    body = json.loads(payload)
    bots = [a.get("user_id") for a in body.get("authorizations") or () if isinstance(a, dict) and a.get("is_bot")]
    try:
        p = parse.event(body, slack.commands(), bot_user=bots[0] if bots else None)
    except ParseError as err:
        log.warning("refused event: %s", err)
        return
    try:
        if p.kind in ("message", "mention"):
            await slack.turn(p, stored=True)
        elif p.kind == "home":
            await surfaces.publish_home(slack, p.team, p.user)
    except Unavailable as exc:
        raise Later() from exc


def _event(slack: Slack, body: dict[str, Any], context: Any) -> None:
    try:
        p = parse.event(body, slack.commands(), bot_user=getattr(context, "bot_user_id", None))
    except ParseError as err:
        log.warning("refused event: %s", err)
        return
    if p.kind in ("message", "mention"):
        slack.spawn(slack.turn(p))
    elif p.kind == "home":
        slack.spawn(surfaces.publish_home(slack, p.team, p.user))


# --- the process-level API used by bot/run.py (`salesbot run`, `salesbot clock`) ------------------------------

_current: Slack | None = None


async def start(core: Core, cfg: Any = None, **options: Any) -> Slack:
    """Start the adapter in Socket Mode (SLACK_APP_TOKEN); over HTTP the web server embeds it instead (embed)."""
    global _current
    cfg = cfg or Config()
    token = cfg.slack_bot_token.get_secret_value() if cfg.slack_bot_token else ""
    if not token or not cfg.slack_app_token:
        raise RuntimeError("Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN")
    secret = cfg.slack_signing_secret.get_secret_value() if cfg.slack_signing_secret else ""
    app = make_app(make_client(token, cfg.slack_api_base_url), secret or "socket-mode")
    slack = register(app, core, **options)
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    slack.socket = AsyncSocketModeHandler(app, cfg.slack_app_token.get_secret_value())
    await slack.socket.connect_async()
    _current = slack
    return slack


async def embed(core: Core, cfg: Any) -> Slack:
    """Register the listeners for a web server of the caller's (bot/web.py): no server, no socket of its own."""
    global _current
    token = cfg.slack_bot_token.get_secret_value() if cfg.slack_bot_token else ""
    secret = cfg.slack_signing_secret.get_secret_value() if cfg.slack_signing_secret else ""
    if not token or not secret:
        raise RuntimeError("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are needed for the HTTP endpoint")
    slack = register(make_app(make_client(token, cfg.slack_api_base_url), secret), core)
    _current = slack
    return slack


async def stop() -> None:
    """Stop the running adapter."""
    global _current
    if _current is not None:
        await _current.close()
        _current = None


def sender(cfg: Any) -> AsyncSender:
    """An outbox sender that works with or without a started adapter (e.g. `salesbot clock --once`)."""
    idle: list[Slack] = []

    async def send_any(to: ChatRef, reply: Reply) -> None:
        if _current is not None:
            await _current.send(to, reply)
            return
        if not idle:
            token = cfg.slack_bot_token.get_secret_value()
            engine = make_engine(cfg.database_url)
            app = make_app(make_client(token, cfg.slack_api_base_url), "sending-only")
            idle.append(Slack(app, Core(engine, settings=cfg.core()), workers=2, deliver_after_turn=False))
        await idle[0].send(to, reply)

    return send_any
