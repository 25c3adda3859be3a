"""`salesbot run`: the chat adapters, the clock and delivery in one asyncio process.

Adapters plug in without this file changing: a module `bot.adapters.telegram`, `bot.adapters.slack` or
`bot.adapters.feishu` (any module named in ADAPTER_MODULES; the platform is its last name) may define

    def make_adapter(cfg: Config, core: Core) -> Adapter | None   # None when not configured
    def make_sender(cfg: Config) -> AsyncSender | None             # async (ChatRef, Reply) -> None

`serve()` starts every adapter, the clock (bot.clock) and a delivery loop (bot.delivery.deliver_due_async
through the senders by platform). SIGTERM or SIGINT stops taking work (scheduler paused, no new delivery
batch), lets the sweep in hand finish, ends the delivery batch before its next send (a send waiting on a
paced chat is cancelled) and gives back the outbox rows it had not sent, releases still-claimed reminders,
then stops the adapters in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TextIO

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.clock import Now, ReminderClock, system_now
from bot.delivery import AsyncSender, deliver_due_async
from handlers.context import Settings
from handlers.markup import to_plain
from handlers.types import ChatRef, Reply
from storage.reminders_queue import DEFAULT_LEASE

log = logging.getLogger("salesbot.run")
ADAPTER_MODULES = ("bot.adapters.telegram", "bot.adapters.slack", "bot.adapters.feishu")


@dataclass(frozen=True)
class Adapter:
    """A chat platform's listener: started before the clock, stopped after it."""

    name: str
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]


def console_sender(out: TextIO | None = None) -> AsyncSender:
    """Delivery to console users: print to this process's standard output (there is no live terminal)."""
    async def send(to: ChatRef, reply: Reply) -> None:
        stream = out or sys.stdout
        lines = [f"→ {to.chat}: " + to_plain(reply.text).replace("\n", "\n    ")]
        flat = [b for row in reply.buttons for b in row]
        if flat:
            lines.append("    " + "  ".join(f"[{i}] {b.label}" for i, b in enumerate(flat, 1)))
        stream.write("\n".join(lines) + "\n")
        stream.flush()  # printed is delivered: a kill after this line may repeat this one message only

    return send


def discover(cfg: Any, core: Any) -> tuple[list[Adapter], dict[str, AsyncSender]]:
    """The adapters and senders the platform modules offer for this configuration."""
    adapters: list[Adapter] = []
    senders: dict[str, AsyncSender] = {}
    for name in ADAPTER_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        platform = name.rsplit(".", 1)[-1]
        make_sender = getattr(mod, "make_sender", None)
        sender = make_sender(cfg) if callable(make_sender) else None
        if sender is not None:
            senders[platform] = sender
        make_adapter = getattr(mod, "make_adapter", None)
        adapter = make_adapter(cfg, core) if callable(make_adapter) and core is not None else None
        if adapter is not None:
            adapters.append(adapter)
    return adapters, senders


async def deliver_all(engine: Engine, senders: dict[str, AsyncSender], now: Now, limit: int = 200) -> int:
    """Delivery passes until one sends nothing; how many went out."""
    total = 0
    while True:
        n = await deliver_due_async(engine, senders, now(), limit)
        total += n
        if n == 0:
            return total


async def _delivery_loop(engine: Engine, senders: dict[str, AsyncSender], now: Now, stop: asyncio.Event,
                         pause: float) -> None:
    while not stop.is_set():
        try:
            sent = await deliver_due_async(engine, senders, now(), 200, stop=stop)
        except (OperationalError, InterfaceError) as exc:
            log.warning("delivery pass skipped: database unavailable", extra={"error": type(exc).__name__})
            sent = 0
        except Exception:
            log.exception("delivery pass failed")
            sent = 0
        if sent == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
        else:
            await asyncio.sleep(0)  # a sender that never waits (the console) must not starve signals and jobs


async def serve(engine: Engine, *, senders: dict[str, AsyncSender], adapters: Sequence[Adapter] = (),
                now: Now = system_now, settings: Settings | None = None, interval: float = 30.0,
                digest_interval: float = 60.0, delivery_pause: float = 1.0, lease: timedelta = DEFAULT_LEASE,
                stop: asyncio.Event | None = None, handle_signals: bool = True, work: bool = True,
                role: str = "") -> ReminderClock:
    """Run adapters, clock and delivery until `stop` is set (or SIGTERM/SIGINT); returns the stopped clock.

    With `work` False (the web role) only the adapters run: no clock, no outbox delivery.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    started: list[Adapter] = []
    warming = None
    if adapters:
        from handlers import warm

        warming = warm.start(engine)  # the first chart and fuzzy lookup of this process are not paid by a person
    clock = ReminderClock(engine, now=now, settings=settings, lease=lease, interval=interval,
                          digest_interval=digest_interval)
    try:
        for a in adapters:
            await a.start()
            started.append(a)
        if work:
            clock.start()
            delivery = asyncio.create_task(_delivery_loop(engine, senders, now, stop, delivery_pause))
        log.info("salesbot running", extra={"role": role or ("all" if work else "web"), "count": len(started)})
        await stop.wait()
        if work:
            await clock.stop()
            await delivery
    finally:
        if clock.release():  # e.g. after an adapter failed to start
            log.info("released claimed reminders on the way out")
        for a in reversed(started):
            try:
                await a.stop()
            except Exception:
                log.exception("adapter failed to stop", extra={"adapter": a.name})
        if warming is not None:
            await asyncio.to_thread(warming.finish)
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
    return clock
