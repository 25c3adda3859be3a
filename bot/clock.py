"""The clock: APScheduler only says *when*; reminders are rows, claimed with a lease and turned into outbox rows.

One sweep: create what has come due (`sales.reminders.plan`, idempotent by dedupe key), then claim due
reminders in batches (`storage.reminders_queue.claim_reminders`, committed at once so the locks are short),
and for each batch, in one transaction: check each reminder again (`sales.reminders.due.resolve`), write its
outbox rows and mark it done, the marking guarded by our claim. A process that dies after claiming holds
its reminders until the lease ends; then any process takes them over. Nothing is sent here: delivery reads
the outbox (`bot.delivery`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session

from bot import metrics
from handlers import outbox
from handlers.context import Settings
from handlers.notices import build
from sales.cards.saving import forget_undecided
from sales.privacy import flag_past_retention
from sales.reminders import People, plan, plan_digests
from sales.reminders.due import resolve
from storage.db import session_factory, transaction
from storage.reminders_queue import (
    DEFAULT_LEASE,
    Claim,
    claim_reminders,
    defer_reminder,
    finish_reminders,
    release_reminders,
)
from storage.status import mark_sweep

log = logging.getLogger("salesbot.clock")
Now = Callable[[], datetime]


def system_now() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def worker_name() -> str:
    """This process's name on its claims: host, pid and a random tag (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class Sweep:
    """What one sweep did."""

    planned: int = 0
    claimed: int = 0
    enqueued: int = 0  # reminders that became outbox rows
    messages: int = 0  # outbox rows written (a team digest may be several)
    dropped: int = 0
    deferred: int = 0
    lost: int = 0  # claims another process took over after our lease ended
    by_kind: dict[str, int] = field(default_factory=dict)


class ReminderClock:
    """Creates, claims and enqueues reminders; `start()` runs it on an AsyncIOScheduler every `interval` s."""

    def __init__(self, engine: Engine, *, now: Now = system_now, settings: Settings | None = None,
                 worker: str | None = None, lease: timedelta = DEFAULT_LEASE, batch: int = 500,
                 interval: float = 30.0, digest_interval: float = 60.0) -> None:
        self.engine = engine
        self.now = now
        self.settings = settings or Settings()
        self.worker = worker or worker_name()
        self.lease = lease
        self.batch = batch
        self.interval = interval
        self.digest_interval = digest_interval
        self._factory = session_factory(engine)
        self._busy = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None

    # -- the work (synchronous: run in a thread by the jobs) --

    def plan(self, *, digests: bool = True) -> int:
        """Create every reminder whose moment has come."""
        def once(session: Session) -> int:
            return plan(session, now=self.now(), default_tz=self.settings.default_tz, digests=digests,
                        cadence_per_day=self.settings.cadence_per_day).total
        return self._retrying(once)

    def plan_digests(self) -> int:
        """Create today's digests whose hour has come."""
        def once(session: Session) -> int:
            flag_past_retention(session, self.now())  # PIPL: flags each record once when its retention has passed
            forget_undecided(session, self.now())  # business cards left undecided for two days, photos included
            return plan_digests(session, now=self.now(), default_tz=self.settings.default_tz).total
        return self._retrying(once)

    def _retrying(self, work: Callable[[Session], int], tries: int = 3) -> int:
        # Planning is idempotent: a transaction another process's planning made fail (a deadlock, a
        # serialization failure) is simply planned again.
        for attempt in range(1, tries + 1):
            try:
                with transaction(self._factory) as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt == tries or exc.connection_invalidated:
                    raise
                log.warning("planning collided with another process; again", extra={"error": type(exc.orig).__name__})
        return 0

    def enqueue_due(self, result: Sweep | None = None, *, max_batches: int | None = None) -> Sweep:
        """Claim due reminders batch by batch and turn them into outbox rows, until none is left."""
        out = result or Sweep()
        done_batches = 0
        while max_batches is None or done_batches < max_batches:
            now = self.now()
            with transaction(self._factory) as session:
                claimed = claim_reminders(session=session, now=now, worker=self.worker, limit=self.batch,
                                          lease=self.lease)
            if not claimed:
                break
            done_batches += 1
            out.claimed += len(claimed)
            metrics.REMINDERS_CLAIMED.inc(len(claimed))
            try:
                self._enqueue(claimed, now, out)
            except DBAPIError:
                raise  # the database, not a reminder: the claims come back when their lease ends
            except Exception:
                log.exception("a batch of reminders failed; trying them one by one")
                for one in claimed:
                    try:
                        self._enqueue([one], now, out)
                    except DBAPIError:
                        raise
                    except Exception:
                        log.exception("reminder dropped: it fails to render", extra={"reminder_id": one.id})
                        with transaction(self._factory) as session:
                            out.dropped += len(finish_reminders(session=session, ids=[one.id],
                                                                worker=self.worker, status="cancelled"))
        return out

    def _enqueue(self, claimed: list[Claim], now: datetime, out: Sweep) -> None:
        """One transaction: check the claimed reminders, write their outbox rows, mark them (if still ours)."""
        with transaction(self._factory) as session:
            people = People.load(session, self.settings.default_tz)
            dues = resolve(session, claimed, people, now)
            built = build(session, dues, people=people, now=now, settings=self.settings)
            ours = finish_reminders(session=session, ids=sorted(built.rows), worker=self.worker, status="done")
            dropped = finish_reminders(session=session, ids=built.dropped, worker=self.worker, status="cancelled")
            deferred = {rid for rid, until in built.deferred.items()
                        if defer_reminder(session=session, reminder_id=rid, worker=self.worker, until=until)}
            rows = [r for rid in sorted(ours) for r in built.rows[rid]]
            outbox.put_rows(session, rows)  # a Core executemany: no ORM bookkeeping per row
        lost = len(built.rows) + len(built.dropped) + len(built.deferred) - len(ours) - len(dropped) - len(deferred)
        if lost:
            log.warning("claims lost to another process after the lease", extra={"count": lost})
        out.enqueued += len(ours)
        out.messages += len(rows)
        out.dropped += len(dropped)
        out.deferred += len(deferred)
        out.lost += lost
        for d in dues:
            if d.reminder.id in ours:
                out.by_kind[d.reminder.kind] = out.by_kind.get(d.reminder.kind, 0) + 1

    def sweep(self) -> Sweep:
        """One pass: create what is due (digests included), then claim and enqueue everything due."""
        result = Sweep(planned=self.plan())
        return self.enqueue_due(result)

    def _mark_sweep(self) -> None:
        with transaction(self._factory) as session:
            mark_sweep(session=session, now=self.now())

    def release(self) -> int:
        """Give back what this process still holds (a graceful stop)."""
        with transaction(self._factory) as session:
            return release_reminders(session=session, worker=self.worker)

    # -- the schedule --

    async def _reminders_job(self) -> None:
        async with self._busy:
            try:
                result = Sweep(planned=await asyncio.to_thread(self.plan, digests=False))
                await asyncio.to_thread(self.enqueue_due, result)
                await asyncio.to_thread(self._mark_sweep)
            except (OperationalError, InterfaceError) as exc:
                log.warning("reminder sweep skipped: database unavailable", extra={"error": type(exc).__name__})
            except Exception:
                log.exception("reminder sweep failed")  # the next tick tries again; claims expire by lease

    async def _digests_job(self) -> None:
        async with self._busy:
            try:
                if await asyncio.to_thread(self.plan_digests):
                    await asyncio.to_thread(self.enqueue_due)
            except (OperationalError, InterfaceError) as exc:
                log.warning("digest planning skipped: database unavailable", extra={"error": type(exc).__name__})
            except Exception:
                log.exception("digest planning failed")

    def start(self) -> AsyncIOScheduler:
        """Run the two jobs on an AsyncIOScheduler (memory job store) in the running event loop."""
        scheduler = AsyncIOScheduler(jobstores={"default": MemoryJobStore()}, timezone=UTC)
        first = datetime.now(UTC)
        scheduler.add_job(self._reminders_job, "interval", seconds=self.interval, id="reminders",
                          max_instances=1, coalesce=True, misfire_grace_time=None, next_run_time=first)
        scheduler.add_job(self._digests_job, "interval", seconds=self.digest_interval, id="digests",
                          max_instances=1, coalesce=True, misfire_grace_time=None, next_run_time=first)
        scheduler.start()
        self._scheduler = scheduler
        return scheduler

    async def stop(self) -> int:
        """Stop taking work, let the sweep in hand finish, then release whatever is still claimed."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.pause()
        async with self._busy:  # waits for the job in hand; no new one starts while paused
            if self._scheduler is not None and self._scheduler.running:
                self._scheduler.shutdown(wait=False)
            self._scheduler = None
            released = await asyncio.to_thread(self.release)
        if released:
            log.info("released claimed reminders", extra={"count": released})
        return released
