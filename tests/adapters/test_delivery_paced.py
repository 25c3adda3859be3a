"""A paced chat's batch outlasts its lease: the claims are extended while sending, so two workers never send one
message twice; a stop ends the batch before its next send and gives back the rest."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.delivery import deliver_due_async
from handlers.outbox import put
from handlers.types import ChatRef, Reply
from storage.db import session_factory, transaction
from storage.models import Outbox

GROUP = ChatRef("telegram", "1", "-100777")


def _queue(engine: Engine, n: int) -> None:
    now = datetime.now(UTC) - timedelta(seconds=1)
    with transaction(session_factory(engine)) as s:
        for i in range(n):
            put(s, GROUP, Reply(text=f"paced {i:03d}"), now=now)


@pytest.mark.slow  # seconds of paced sends
async def test_two_workers_on_a_paced_chat_never_send_a_message_twice(engine: Engine) -> None:
    _queue(engine, 120)
    sent: Counter[str] = Counter()
    # a batch of 50 at 60 ms a message takes 3 s: 2.5 leases, renewed as it goes; a stall of the test's event
    # loop under 0.8 s (a busy machine) must not make another worker take over rows (a 0.4 s lease flaked)
    lease = timedelta(seconds=1.2)

    async def paced(to: ChatRef, reply: Reply) -> None:
        await asyncio.sleep(0.06)
        sent[reply.text] += 1

    async def worker(name: str) -> None:
        for _ in range(200):
            await deliver_due_async(engine, {"telegram": paced}, datetime.now(UTC), 50, lease=lease, worker=name)
            if sum(sent.values()) >= 120:
                return
            await asyncio.sleep(0.05)

    await asyncio.gather(worker("w1"), worker("w2"), worker("w3"))
    twice = {t: n for t, n in sent.items() if n > 1}
    print(f"\n120 messages, 3 workers, batches of 50 outlasting a 1.2 s lease: sent {sum(sent.values())}, "
          f"distinct {len(sent)}, twice {len(twice)}")
    assert len(sent) == 120 and not twice


async def test_a_stop_ends_the_batch_and_gives_back_what_was_not_sent(engine: Engine) -> None:
    _queue(engine, 30)
    stop = asyncio.Event()
    count = 0

    async def slow(to: ChatRef, reply: Reply) -> None:
        nonlocal count
        count += 1
        if count == 3:
            stop.set()

    n = await deliver_due_async(engine, {"telegram": slow}, datetime.now(UTC), 50, stop=stop)
    assert n == 3
    with Session(engine) as s:
        rows = s.exec(select(Outbox).order_by(col(Outbox.id))).all()
    assert [r.status for r in rows] == ["sent"] * 3 + ["pending"] * 27
    assert all(r.lease_until is None and r.claimed_by is None and r.attempts == 0 for r in rows[3:])
