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
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import parse, surfaces, views
from bot.adapters.slack.adapter import Slack
from bot.adapters.slack.parse import Parsed, ParseError
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


EDIT_LINE = re.compile(r"^(?:deal|customer|contact)\s+(?:edit|修改|编辑|改)\s+\S", re.I)


async def _edits(slack: Slack, p: Parsed) -> None:
    """A submitted edit modal: its edit lines, one turn each, in order."""
    for work in await surfaces.submitted_edits(slack, p):
        await slack.turn(work)


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
        elif line in ("ticket", "ticket new"):
            slack.spawn(surfaces.open_ticket(slack, p))
        elif EDIT_LINE.match(line):
            slack.spawn(surfaces.open_edit(slack, p))
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

    def on_open(opener: Callable[[Slack, Parsed], Coroutine[Any, Any, None]]) -> Callable[..., Awaitable[None]]:
        """A Home or card button that opens a form: acknowledged at once, the modal opened in the background."""
        async def listener(ack: Any, body: dict[str, Any]) -> None:
            await ack()
            try:
                slack.spawn(opener(slack, parse.action(body)))
            except ParseError as err:
                log.warning("refused click: %s", err)
        return listener

    for action_id, opener in ((views.OPEN_VISIT, surfaces.open_visit), (views.OPEN_QUOTE, surfaces.open_quote),
                              (views.OPEN_TICKET, surfaces.open_ticket), (views.OPEN_INVOICE, surfaces.open_invoice)):
        app.action(action_id)(on_open(opener))

    @app.view(re.compile(f"^({'|'.join([*FORM_CALLBACKS, *views.EDITS.values()])})$"))
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
        if p.extra["callback_id"] in views.EDITS.values():
            slack.spawn(_edits(slack, p))
            return
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
# A slash command that only opens a modal is not stored: it changes nothing, and its trigger_id lasts 3 seconds,
# so a try after a crash could not open the modal anyway (the person types it again).
MODAL_LINES = ("visit", "call", "note", "quote", "quote new", "ticket", "ticket new", "invoice", "invoice request")
FORM_CALLBACKS = (views.VISIT, views.QUOTE, views.TICKET, views.INVOICE)  # an edit modal's save is answered in memory


def opens_modal(line: str) -> bool:
    """Whether a slash command's line only opens a modal (nothing stored for it)."""
    return line in MODAL_LINES or bool(EDIT_LINE.match(line))


def stored_keys(body: dict[str, Any]) -> tuple[str, str] | None:
    """A checked body's idempotency key and chat (the inbox's keys) when bot/web.py stores it before the ack:
    message, mention and App Home events, slash commands (but those opening a modal), `crm.*` button clicks and
    the visit, quote, ticket and invoice modals' submissions; None for the rest (Bolt answers those in memory)."""
    kind = body.get("type")
    try:
        if kind == "event_callback":
            return _event_keys(body)
        if kind is None and "command" in body:
            p = parse.slash(body, ())
            return None if opens_modal(str(p.extra["line"]).lower()) else _keys(p)
        if kind == "block_actions":
            p = parse.action(body)
            return _keys(p) if str(p.extra["action_id"]).startswith("crm.") else None
        if kind == "view_submission":
            p = parse.submission(body)
            if p.extra["callback_id"] not in FORM_CALLBACKS:
                return None
            return f"view:{p.extra['view_id']}", f"{p.team}:{p.user}"
    except ParseError:
        return None
    return None


def _keys(p: parse.Parsed) -> tuple[str, str] | None:
    if p.incoming is None or not p.incoming.event_id:
        return None
    return p.incoming.event_id, f"{p.team}:{p.channel or p.user}"


def _event_keys(body: dict[str, Any]) -> tuple[str, str] | None:
    ev = body.get("event")
    if not isinstance(ev, dict) or ev.get("type") not in STORED_EVENTS:
        return None
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        return None
    where = ev.get("channel") if isinstance(ev.get("channel"), str) else ev.get("user")
    return event_id, f"{body.get('team_id')}:{where}"


async def submission_errors(slack: Slack, body: dict[str, Any]) -> dict[str, str]:
    """What a modal submission lacks (answered within the ack, so the modal stays open); {} when it may go."""
    return await surfaces.check_modal(slack, parse.submission(body))


async def handle_stored(slack: Slack, payload: str) -> None:
    """One stored body (an event, a slash command, a click, a submission), handled to its end
    (bot.inbox.Later when the database went away)."""
    from bot.inbox import Later
    from handlers.core import Unavailable

    body = json.loads(payload)
    try:
        p = _stored_parse(slack, body)
    except ParseError as err:
        log.warning("refused stored payload: %s", err)
        return
    try:
        if p is None:
            return
        if p.kind == "home":
            await surfaces.publish_home(slack, p.team, p.user)
        elif p.kind in ("message", "mention", "command", "action", "view"):
            await slack.turn(p, stored=True)
    except Unavailable as exc:
        raise Later() from exc


def _stored_parse(slack: Slack, body: dict[str, Any]) -> parse.Parsed | None:
    kind = body.get("type")
    if kind == "event_callback":
        bots = [a.get("user_id") for a in body.get("authorizations") or () if isinstance(a, dict) and a.get("is_bot")]
        return parse.event(body, slack.commands(), bot_user=bots[0] if bots else None)
    if kind is None and "command" in body:
        return parse.slash(body, slack.commands())
    if kind == "block_actions":
        return parse.action(body)
    if kind == "view_submission":
        return surfaces.submitted(parse.submission(body))
    return None


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
