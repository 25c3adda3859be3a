"""Operator commands for the clock: `salesbot clock [--once]`, `salesbot run`, `salesbot outbox`."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bot.cli.cards import warm_up_adapter
from bot.cli.errors import USAGE, CliError
from bot.cli.start import clock_from_env
from bot.clock import ReminderClock
from bot.config import Config
from bot.delivery import AsyncSender
from bot.run import console_sender, deliver_all, discover, serve
from handlers.i18n import N_
from handlers.markup import to_plain
from handlers.outbox import reply_from_json
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Outbox, User

log = logging.getLogger("salesbot.cli")


def _setup() -> tuple[Config, Engine]:
    cfg = Config()
    engine = make_engine(cfg.database_url)
    upgrade(engine)
    return cfg, engine


def _json_logs(cfg: Config) -> None:
    """Log JSON lines with every configured token and secret redacted (`salesbot run` and `salesbot clock`)."""
    from bot import logs

    secrets = [s.get_secret_value() for s in (cfg.telegram_token, cfg.telegram_webhook_secret, cfg.slack_bot_token,
                                              cfg.slack_signing_secret, cfg.slack_app_token, cfg.leads_token, cfg.tickets_token,
                                              cfg.feishu_app_secret, cfg.feishu_verification_token,
                                              cfg.feishu_encrypt_key) if s]
    logs.setup(cfg.log_level, secrets=secrets)


def _senders(cfg: Config) -> dict[str, AsyncSender]:
    _, found = discover(cfg, None)
    return {"console": console_sender(), **found}


def clock(
    once: Annotated[bool, typer.Option("--once", help="one sweep and one delivery pass, then exit (cron, tests)")] = False,
    lease: Annotated[float, typer.Option(help="seconds a claim is held before another process may take it")] = 60.0,
    batch: Annotated[int, typer.Option(help="reminders claimed per transaction")] = 500,
    interval: Annotated[float, typer.Option(help="seconds between sweeps (without --once)")] = 30.0,
) -> None:
    """Create due reminders and digests, claim them, queue them, and deliver the outbox."""
    cfg, engine = _setup()
    _json_logs(cfg)
    now = clock_from_env()
    senders = _senders(cfg)
    if not once:
        asyncio.run(serve(engine, senders=senders, now=now, settings=cfg.core(),
                          interval=interval, lease=timedelta(seconds=lease)))
        return
    rc = ReminderClock(engine, now=now, settings=cfg.core(), lease=timedelta(seconds=lease), batch=batch)
    result = rc.sweep()
    delivered = asyncio.run(deliver_all(engine, senders, now))
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(result.by_kind.items())) or "none"
    typer.echo(f"clock: {result.planned} created, {result.enqueued} queued ({kinds}), {result.dropped} dropped, "
               f"{delivered} delivered", err=True)


def run(
    role: Annotated[str, typer.Option(help="all: everything; web: chat and HTTP only; worker: clock and delivery, "
                                      "plus /healthz and /metrics")] = "all",
    port: Annotated[int | None, typer.Option(help="the HTTP port, any role (default: PORT, else 8080)")] = None,
    interval: Annotated[float, typer.Option(help="seconds between reminder sweeps")] = 30.0,
    lease: Annotated[float, typer.Option(help="seconds a claim is held before another process may take it")] = 60.0,
) -> None:
    """Run salesbot: the web server and chat adapters, the clock and delivery (SIGTERM stops it gracefully)."""
    from bot.observe import observe
    from bot.roles import ROLES, role_adapters
    from handlers.core import Core

    if role not in ROLES:
        raise CliError(N_("--role must be one of {roles}"), code=USAGE, roles=", ".join(ROLES))
    cfg, engine = _setup()
    _json_logs(cfg)
    now = clock_from_env()
    settings = dataclasses.replace(cfg.core(), background_exports=role in ("web", "all"))
    core = Core(engine, clock=now, settings=settings, observer=observe)
    _, found = discover(cfg, None)
    senders = {"console": console_sender(), **found}
    adapters = role_adapters(role, cfg, core, port=port or cfg.port)
    if role != "worker":
        adapters.append(warm_up_adapter())  # the business card model, loaded once the rest is up
    log.info("starting", extra={"role": role, "count": len(adapters)})
    asyncio.run(serve(engine, senders=senders, adapters=adapters, now=now, settings=cfg.core(),
                      interval=interval, lease=timedelta(seconds=lease), work=role != "web", role=role))


def outbox(
    failed: Annotated[bool, typer.Option("--failed", help="only what was given up on: refused for good "
                                         "(blocked, unknown chat) or out of attempts")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 50,
) -> None:
    """What was sent to whom and when, and what failed and why."""
    _, engine = _setup()
    q = select(Outbox).order_by(col(Outbox.id).desc()).limit(limit)
    if failed:
        # "failed" is the only status delivery gives up with (storage.queue.mark_retry); `error` says why
        q = q.where(col(Outbox.status) == "failed")
    with Session(engine) as session:
        rows = list(session.execute(q).scalars())
        names = {u.id: u.name for u in session.execute(select(User)).scalars()}
    for r in rows:
        text = to_plain(reply_from_json(r.payload).text)
        item = {"id": r.id, "status": r.status, "to": names.get(r.user_id) if r.user_id else None,
                "platform": r.platform, "chat": r.chat, "attempts": r.attempts, "created_at": r.created_at.isoformat(),
                "sent_at": r.sent_at.isoformat() if r.sent_at else None, "error": r.error, "text": text}
        if as_json:
            typer.echo(json.dumps(item, ensure_ascii=False))
        else:
            when = r.sent_at or r.created_at
            who = item["to"] or f"{r.platform}:{r.chat}"
            err = f"  ✗ {r.error}" if r.error else ""
            typer.echo(f"#{r.id} {r.status:<8} {when:%Y-%m-%d %H:%M}Z → {who}: {text.splitlines()[0][:70] if text else ''}{err}")


def register(app: typer.Typer) -> None:
    """Add the clock's commands to the `salesbot` CLI."""
    app.command()(clock)
    app.command()(run)
    app.command()(outbox)
