"""Sends outbox rows with retries, Retry-After handling and per-chat pacing, marking each sent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.logs import scrub
from handlers.outbox import reply_from_json
from handlers.types import ChatRef, Platform, Reply
from storage.db import session_factory, transaction
from storage.models import Outbox
from storage.queue import claim_outbox, extend_outbox, mark_retry, release_outbox

log = logging.getLogger("salesbot.delivery")
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
WORKER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"  # whose claims these are


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


async def deliver_due_async(engine: Engine, senders: dict[str, AsyncSender], now: datetime, limit: int = 50, *,
                            lease: timedelta = LEASE, stop: asyncio.Event | None = None,
                            worker: str = "") -> int:
    """Claim due outbox rows, send each through its platform's sender, and record the outcome.

    A paced chat may take longer than the lease (20 a minute in a Telegram group): before each send the claims
    still held are extended when a third of the lease has passed, and a row whose claim was lost (this process
    stalled past its lease and another took it over) is skipped, so no message goes out twice. When `stop` is
    set the batch ends before its next send and what was not sent is given back at once.
    """
    factory = session_factory(engine)
    worker = worker or WORKER
    with transaction(factory) as session:
        rows = claim_outbox(session=session, now=now, platforms=tuple(senders), limit=limit, lease=lease,
                            worker=worker)
    if not rows:
        return 0
    sent = 0
    held = {row.id or 0 for row in rows}
    started = beat = time.monotonic()
    try:
        with _Marks(engine, now) as marks:
            for row in rows:
                if stop is not None and stop.is_set():
                    break
                if time.monotonic() - beat > lease.total_seconds() / 3:
                    beat = time.monotonic()
                    until = now + timedelta(seconds=beat - started) + lease
                    with transaction(factory) as session:
                        held &= extend_outbox(session=session, ids=sorted(held), worker=worker, until=until)
                if (row.id or 0) not in held:
                    continue
                ok = await _until_stopped(_send_one(factory, senders, row, now), stop)
                if ok is None:
                    break  # stopped mid-send (a pacing wait, say): the row is given back with the rest
                held.discard(row.id or 0)
                if ok:
                    marks.sent(row.id or 0)
                    from bot import metrics  # prometheus_client: at the first delivery, not at every start

                    metrics.OUTBOX_SENT.inc()
                    sent += 1
    finally:
        if held:
            try:
                with transaction(factory) as session:
                    release_outbox(session=session, ids=sorted(held), worker=worker)
            except (OperationalError, InterfaceError) as exc:  # their lease ends and another pass takes them
                log.warning("claims not given back: database unavailable", extra={"error": type(exc).__name__})
    return sent


async def _until_stopped(work: Coroutine[Any, Any, bool], stop: asyncio.Event | None) -> bool | None:
    """The send's outcome, or None when `stop` was set first (the send is cancelled: a message the platform
    had already taken then goes out once more, as after a kill)."""
    if stop is None:
        return await work
    send = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({send, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if send.done():
        return send.result()
    send.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await send
    return None


class _Marks:
    """Marks sent messages one by one, each right after the platform took it, in its own short transaction,
    so a kill repeats one message at most. Core statements on one connection per batch: the ORM's per-statement
    overhead was most of delivery's time. On PostgreSQL each mark commits by itself (autocommit) without waiting
    for its WAL flush (synchronous_commit off, this connection only, reset after): a crash of the database
    server itself may forget the last fraction of a second of marks, and those messages go out once more after
    their lease; nothing is lost. A flushed commit per message would cap delivery at the disk's fsync rate."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine, self.now = engine, now
        self.pg = engine.dialect.name == "postgresql"

    def __enter__(self) -> _Marks:
        self.conn = self.engine.connect()
        if self.pg:
            self.conn.execution_options(isolation_level="AUTOCOMMIT")
            self.conn.exec_driver_sql("SET synchronous_commit TO OFF")
        return self

    def sent(self, outbox_id: int) -> None:
        if self.pg:
            self.conn.execute(_SENT, {"oid": outbox_id, "at": self.now})
            return
        with self.conn.begin():
            self.conn.execute(_SENT, {"oid": outbox_id, "at": self.now})

    def __exit__(self, failed: type[BaseException] | None, *exc: object) -> None:
        try:
            if failed is not None:
                # A mark failed (the database went away): the connection is not reused, so its setting dies
                # with it, and the error the caller sees is that one, not a second one from a reset.
                self.conn.invalidate()
            elif self.pg:
                self.conn.exec_driver_sql("RESET synchronous_commit")
        finally:
            self.conn.close()


async def _send_one(factory: sessionmaker[Session], senders: dict[str, AsyncSender], row: Outbox, now: datetime) -> bool:
    """Send one claimed row; False (the row rescheduled, or given up) when the platform did not take it."""
    # The row was written from a ChatRef (the outbox writer takes one): its platform is one ChatRef knows.
    to = ChatRef(platform=cast(Platform, row.platform), workspace=row.workspace, chat=row.chat, thread=row.thread)
    try:
        await senders[row.platform](to, reply_from_json(row.payload, to))
    except RetryAfter as wait:
        _after(factory, row.id, now + timedelta(seconds=wait.seconds), str(wait), give_up=False)
        return False
    except Undeliverable as exc:
        _after(factory, row.id, now, str(exc), give_up=True)
        return False
    except Exception as exc:  # a network fault: back off and try again
        log.warning("delivery failed", extra={"outbox_id": row.id, "error": type(exc).__name__})
        backoff = timedelta(seconds=min(600, 2 ** row.attempts))
        _after(factory, row.id, now + backoff, repr(exc), give_up=row.attempts >= MAX_ATTEMPTS)
        return False
    return True


_OUTBOX: Table = getattr(Outbox, "__table__")  # noqa: B009  (SQLModel does not declare it for type checkers)
_SENT = (update(_OUTBOX).where(_OUTBOX.c.id == bindparam("oid"))
         .values(status="sent", sent_at=bindparam("at"), lease_until=None))


def _after(factory: sessionmaker[Session], outbox_id: int | None, at: datetime, error: str, give_up: bool) -> None:
    with transaction(factory) as session:  # errors can quote a URL with the bot token in it
        mark_retry(session=session, outbox_id=outbox_id or 0, at=at, error=scrub(error), give_up=give_up)
    if give_up:
        from bot import metrics

        metrics.OUTBOX_FAILED.inc()
