"""Which parts a `salesbot run` process runs: all (default), web (chat and HTTP), worker (clock and delivery,
plus an HTTP server for /healthz and /metrics)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from sqlalchemy import Engine
from starlette.types import ASGIApp

from bot import web
from bot.clock import Now
from bot.config import Config
from bot.run import Adapter
from handlers.core import Core

log = logging.getLogger("salesbot.roles")
ROLES = ("all", "web", "worker")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: `bot.run.serve` owns SIGTERM and stops us in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def platform_adapters(cfg: Config, core: Core, *, port: int, host: str = "0.0.0.0") -> list[Adapter]:
    """The web server on PORT (Slack over HTTP, the Telegram webhook, the Feishu callback, the lead API,
    health, metrics), plus Telegram long polling when no webhook URL is set, Slack Socket Mode when an app
    token is set and Feishu's long connection unless FEISHU_MODE=http."""
    from bot.adapters import slack as slack_pkg
    from bot.adapters import telegram as telegram_pkg

    adapters: list[Adapter] = []
    parts = web.Parts(engine=core.engine, core=core,
                      leads_token=cfg.leads_token.get_secret_value() if cfg.leads_token else "",
                      tickets_token=cfg.tickets_token.get_secret_value() if cfg.tickets_token else "")
    starters: list[Any] = []
    if cfg.telegram_token is not None:
        if cfg.telegram_webhook_url:
            from bot.adapters.telegram import app as tg

            parts.telegram = tg.from_config(cfg, core)
            parts.telegram_path = urlsplit(cfg.telegram_webhook_url).path or "/telegram"
            secret = cfg.telegram_webhook_secret.get_secret_value() if cfg.telegram_webhook_secret else ""
            bot, url = parts.telegram, cfg.telegram_webhook_url
            starters.append((lambda: bot.start_embedded(secret=secret, url=url), bot.stop))
        else:
            adapter = telegram_pkg.make_adapter(cfg, core)
            if adapter is not None:
                adapters.append(adapter)  # long polling: run it in one process only
    if cfg.slack_bot_token is not None:
        if cfg.slack_app_token is not None:
            adapter = slack_pkg.make_adapter(cfg, core)
            if adapter is not None:
                adapters.append(adapter)
        else:
            from bot.adapters.slack import app as sl

            parts.slack_secret = cfg.slack_signing_secret.get_secret_value() if cfg.slack_signing_secret else ""
            starters.append((lambda: _embed_slack(parts, cfg, core), sl.stop))

    if cfg.feishu_on:
        from bot.adapters import feishu as feishu_pkg

        if cfg.feishu_mode == "http":
            from bot.adapters.feishu import app as fs
            from bot.adapters.feishu import events as fe

            feishu = fs.from_config(cfg, core)
            parts.feishu = fe.callback(feishu, cfg)
            starters.append((feishu.start, feishu.stop))
        else:
            adapter = feishu_pkg.make_adapter(cfg, core)
            if adapter is not None:
                adapters.append(adapter)  # the long connection: any number of processes may dial it

    async def begin() -> None:
        for start, _ in starters:
            await start()

    async def end() -> None:
        for _, stop in reversed(starters):
            await stop()

    adapters.insert(0, _http("web", lambda: web.build(parts), host=host, port=port, before=begin, after=end))
    return adapters


def worker_adapters(engine: Engine, now: Now, *, port: int, host: str = "0.0.0.0") -> list[Adapter]:
    """The worker's HTTP server on PORT: GET /healthz and GET /metrics only, so its counters can be scraped."""
    return [_http("metrics", lambda: web.build_probes(engine, now), host=host, port=port)]


def role_adapters(role: str, cfg: Config, core: Core, *, port: int, host: str = "0.0.0.0") -> list[Adapter]:
    """What `salesbot run --role ROLE` starts besides the clock and delivery: all and web the chat and HTTP
    adapters, worker the health and metrics server."""
    if role == "worker":
        return worker_adapters(core.engine, core.clock, port=port, host=host)
    return platform_adapters(cfg, core, port=port, host=host)


async def _nothing() -> None:
    return None


def _http(name: str, app: Callable[[], ASGIApp], *, host: str, port: int,
          before: Callable[[], Awaitable[None]] = _nothing,
          after: Callable[[], Awaitable[None]] = _nothing) -> Adapter:
    """uvicorn serving `app()` (built once `before` has run) as an adapter; stopping lets requests in hand finish."""
    servers: list[_Server] = []
    task: list[asyncio.Task[None]] = []

    async def start() -> None:
        await before()
        server = _Server(uvicorn.Config(app(), host=host, port=port, log_config=None,
                                        access_log=False, lifespan="off"))
        servers.append(server)
        task.append(asyncio.create_task(server.serve()))
        while not server.started and not task[0].done():
            await asyncio.sleep(0.05)
        if task[0].done():
            task[0].result()  # the port was taken, say: raise it
        log.info(f"{name} server listening", extra={"path": f"{host}:{port}"})

    async def stop() -> None:
        for server in servers:
            server.should_exit = True  # stop taking requests; those in hand finish
        if task:
            await task[0]
        await after()

    return Adapter(name=name, start=start, stop=stop)


async def _embed_slack(parts: web.Parts, cfg: Config, core: Core) -> None:
    from bot.adapters.slack import app as sl

    parts.slack = await sl.embed(core, cfg)
