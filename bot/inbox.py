"""The durable inbox's pump: webhook updates are stored (a committed `inbox` row) before the platform gets its
200, then handled by whichever web process claims them, once, in order per chat (storage/inbox.py).

`Inbox.put` is what an endpoint awaits before answering 200 (a database error propagates: the endpoint answers
503 and the platform delivers the update again). The pump claims the oldest unhandled row of each chat, runs
the platform's handler, extends the leases of what it holds while it works, and marks each row done. A handler
raising `Later` (the database went away mid-turn) leaves the row for another try; any other failure is logged
and the row marked failed, so one poisonous update never blocks its chat. Leases run on the real time (they
are between processes), never on a frozen business clock (SALESBOT_NOW).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.clock import system_now as real_now  # leases are between processes: never a frozen business clock
from storage.db import session_factory, transaction
from storage.inbox import (
    DEFAULT_LEASE,
    Claimed,
    claim_inbox,
    extend_inbox,
    finish_inbox,
    prune_inbox,
    release_inbox,
    store,
    waiting,
)

log = logging.getLogger("salesbot.inbox")
Handler = Callable[[str], Awaitable[None]]  # the stored payload (JSON text) → handled
KEEP_DONE = timedelta(days=2)


class Later(Exception):
    """The update could not be handled now (the database went away): it stays in the inbox for another try."""


def lease_from_env() -> timedelta:
    """SALESBOT_INBOX_LEASE_S: seconds a claimed update is held before another process may take it over."""
    try:
        seconds = float(os.environ.get("SALESBOT_INBOX_LEASE_S", ""))
    except ValueError:
        return DEFAULT_LEASE
    return timedelta(seconds=seconds) if seconds > 0 else DEFAULT_LEASE


class Inbox:
    """Stores updates and handles them: one pump per process, any number of processes."""

    def __init__(self, engine: Engine, *, lease: timedelta | None = None, poll: float | None = None,
                 concurrency: int = 16) -> None:
        self.engine = engine
        self.lease = lease or lease_from_env()
        # A claim is a write: on SQLite (one writer at a time, BEGIN IMMEDIATE) the pump claims when this process
        # stored something and otherwise only now and then, for what a dead process left behind.
        self.poll = poll or (1.0 if engine.dialect.name == "postgresql" else 10.0)
        self.concurrency = concurrency
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.handlers: dict[str, Handler] = {}
        self._factory = session_factory(engine)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._held: dict[int, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None
        self._home: asyncio.AbstractEventLoop | None = None  # the loop the pump runs on
        self._pruned = datetime.min.replace(tzinfo=UTC)

    def register(self, platform: str, handler: Handler) -> None:
        """Handle `platform`'s stored updates with `handler`."""
        self.handlers[platform] = handler

    # --- storing ----------------------------------------------------------------------------------------

    async def put(self, platform: str, event_key: str, chat_key: str, payload: str) -> bool:
        """Store one update, committed; False when it was stored before. Database errors propagate (→ 503)."""
        fresh = await asyncio.wait_for(asyncio.to_thread(self._write, platform, event_key, chat_key, payload),
                                       timeout=10)
        self.start()
        self._wake.set()
        return fresh

    def put_blocking(self, platform: str, event_key: str, chat_key: str, payload: str) -> bool:
        """`put` for a caller on another thread (a platform SDK's own loop): stored and committed when this
        returns, then the pump (started on its own loop) is woken. Database errors propagate."""
        fresh = self._write(platform, event_key, chat_key, payload)
        home = self._home
        if home is not None and not home.is_closed():
            home.call_soon_threadsafe(self._wake.set)
        return fresh

    def _write(self, platform: str, event_key: str, chat_key: str, payload: str) -> bool:
        with transaction(self._factory) as session:
            return store(session=session, platform=platform, event_key=event_key, chat_key=chat_key,
                         payload=payload, now=real_now())

    # --- the pump ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start pumping on the running loop (at most once)."""
        if self._loop is None and not self._stopping.is_set():
            self._home = asyncio.get_running_loop()
            self._loop = self._home.create_task(self._run())

    async def stop(self, wait: float = 8.0) -> None:
        """Stop claiming, let the turns in hand finish (up to `wait` s), give back what is still held."""
        self._stopping.set()
        self._wake.set()
        if self._loop is not None:
            await self._loop
        if self._held:
            await asyncio.wait(list(self._held.values()), timeout=wait)
        with contextlib.suppress(OperationalError, InterfaceError):
            await asyncio.to_thread(self._release)

    def _release(self) -> None:
        with transaction(self._factory) as session:
            released = release_inbox(session=session, worker=self.worker)
        if released:
            log.info("released claimed updates on the way out", extra={"count": released})

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until nothing is stored unhandled and nothing is in hand (tests); at once when not pumping."""
        def count() -> int:
            with self._factory() as session:
                return waiting(session=session)
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if self._loop is None or self._stopping.is_set():
                return
            try:
                if not self._held and await asyncio.to_thread(count) == 0:
                    return
            except (OperationalError, InterfaceError):
                return  # the database is away: nothing stored can be handled now either
            self._wake.set()
            await asyncio.sleep(0.02)

    async def _run(self) -> None:
        beat = asyncio.create_task(self._heartbeat())
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                claimed: list[Claimed] = []
                room = self.concurrency - len(self._held)
                if room > 0 and self.handlers:
                    try:
                        claimed = await asyncio.to_thread(self._claim, room)
                    except (OperationalError, InterfaceError) as exc:
                        log.warning("inbox pass skipped: database unavailable", extra={"error": type(exc).__name__})
                    except Exception:
                        log.exception("inbox pass failed")
                for row in claimed:
                    self._held[row.id] = asyncio.create_task(self._handle(row))
                # The next pass comes when something is stored or handled (each wakes the pump), else after poll.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    def _claim(self, limit: int) -> list[Claimed]:
        now = real_now()
        with transaction(self._factory) as session:
            rows = claim_inbox(session=session, now=now, worker=self.worker, platforms=tuple(self.handlers),
                               limit=limit, lease=self.lease)
            if now - self._pruned > timedelta(hours=1):
                self._pruned = now
                prune_inbox(session=session, before=now - KEEP_DONE)
        return rows

    async def _handle(self, row: Claimed) -> None:
        failed: bool | None = False
        try:
            await self.handlers[row.platform](row.payload)
        except Later:
            failed = None
        except (OperationalError, InterfaceError):
            failed = None
        except Exception:
            log.exception("stored update failed", extra={"platform": row.platform, "inbox_id": row.id})
            failed = True
        try:
            await asyncio.to_thread(self._after, row.id, failed)
        except (OperationalError, InterfaceError) as exc:  # the lease ends and another try comes
            log.warning("inbox row not marked: database unavailable", extra={"inbox_id": row.id,
                                                                              "error": type(exc).__name__})
        finally:
            self._held.pop(row.id, None)
            if failed is not None:
                self._wake.set()  # the chat's next update may go now
        # Left for later (the database away, the adapter not started): the pump's next pass takes it, not a spin.

    def _after(self, entry_id: int, failed: bool | None) -> None:
        with transaction(self._factory) as session:
            if failed is None:
                release_inbox(session=session, worker=self.worker, ids=[entry_id])
            else:
                finish_inbox(session=session, entry_id=entry_id, worker=self.worker, now=real_now(), failed=failed)

    async def _heartbeat(self) -> None:
        """Extend what this process holds, every third of a lease, so a long turn keeps its claim."""
        every = max(self.lease.total_seconds() / 3, 0.1)
        while True:
            await asyncio.sleep(every)
            ids = list(self._held)
            if not ids:
                continue
            # On a database error the claims lapse; another process takes them over, the core's event ids keep
            # each update's effects once.
            with contextlib.suppress(OperationalError, InterfaceError):
                await asyncio.to_thread(self._extend, ids)

    def _extend(self, ids: list[int]) -> None:
        with transaction(self._factory) as session:
            extend_inbox(session=session, ids=ids, worker=self.worker, until=real_now() + self.lease)
