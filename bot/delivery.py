"""Sends outbox rows with retries, Retry-After handling and per-chat pacing, marking each sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from handlers.context import reply_from_json
from handlers.types import ChatRef, Reply
from storage.db import session_factory, transaction
from storage.queue import claim_outbox, mark_retry, mark_sent

log = logging.getLogger("salesbot.delivery")
MAX_ATTEMPTS = 8


class RetryAfter(Exception):
    """The platform asked us to wait this many seconds."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Undeliverable(Exception):
    """The platform refused for good (blocked bot, unknown chat): do not retry."""


Sender = Callable[[ChatRef, Reply], None]
AsyncSender = Callable[[ChatRef, Reply], Awaitable[None]]


def deliver_due(engine: Engine, senders: dict[str, Sender], now: datetime, limit: int = 50) -> int:
    """Send what is due for the platforms we have senders for; returns how many went out."""
    async def run() -> int:
        wrapped = {p: _as_async(fn) for p, fn in senders.items()}
        return await deliver_due_async(engine, wrapped, now, limit)

    return asyncio.run(run())


def _as_async(fn: Sender) -> AsyncSender:
    async def send(to: ChatRef, reply: Reply) -> None:
        fn(to, reply)

    return send


async def deliver_due_async(engine: Engine, senders: dict[str, AsyncSender], now: datetime, limit: int = 50) -> int:
    """Claim due outbox rows, send each through its platform's sender, and record the outcome."""
    factory = session_factory(engine)
    with transaction(factory) as session:
        rows = claim_outbox(session=session, now=now, platforms=tuple(senders), limit=limit)
    sent = 0
    for row in rows:
        to = ChatRef(platform=row.platform, workspace=row.workspace, chat=row.chat,  # type: ignore[arg-type]
                     thread=row.thread)
        try:
            await senders[row.platform](to, reply_from_json(row.payload, to))
        except RetryAfter as wait:
            _after(factory, row.id, now + timedelta(seconds=wait.seconds), str(wait), give_up=False)
            continue
        except Undeliverable as exc:
            _after(factory, row.id, now, str(exc), give_up=True)
            continue
        except Exception as exc:  # a network fault: back off and try again
            log.warning("delivery failed", extra={"outbox_id": row.id, "error": type(exc).__name__})
            backoff = timedelta(seconds=min(600, 2 ** row.attempts))
            _after(factory, row.id, now + backoff, repr(exc), give_up=row.attempts >= MAX_ATTEMPTS)
            continue
        with transaction(factory) as session:
            mark_sent(session=session, outbox_id=row.id or 0, now=now)
        sent += 1
    return sent


def _after(factory: sessionmaker[Session], outbox_id: int | None, at: datetime, error: str, give_up: bool) -> None:
    with transaction(factory) as session:
        mark_retry(session=session, outbox_id=outbox_id or 0, at=at, error=error, give_up=give_up)
