"""A paced chat's batch outlasts its lease: the claims are extended while sending, so two workers never send one
message twice; a stop ends the batch before its next send and gives back the rest."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def _deliver_in_a_process(url: str, name: str, log: str, total: int, lease_s: float) -> None:
    """A delivery worker of its own (a forked process, its own engine): batches of 10 with a short lease, a
    sender that sometimes waits its pace for longer than the lease before the platform takes the message."""
    import os

    from storage.db import make_engine

    engine = make_engine(url)

    async def paced(to: ChatRef, reply: Reply) -> None:
        n = int(reply.text.split()[-1])
        await asyncio.sleep(lease_s * 1.5 if n % 10 == 0 else 0.02)  # a paced group chat's turn, say
        with open(log, "a", encoding="utf-8") as f:  # the platform took it (one O_APPEND write: one line)
            f.write(f"{reply.text}\n")

    def taken() -> int:
        with open(log, encoding="utf-8") as f:
            return len(set(f.read().split("\n")) - {""})

    async def run() -> None:
        for _ in range(400):
            await deliver_due_async(engine, {"telegram": paced}, datetime.now(UTC), 10,
                                    lease=timedelta(seconds=lease_s), worker=name)
            if taken() >= total:
                return
            await asyncio.sleep(0.05)

    asyncio.run(run())
    engine.dispose()
    os._exit(0)


@pytest.mark.slow  # seconds of paced sends in three processes
def test_three_delivery_processes_with_a_short_lease_never_send_one_message_twice(engine: Engine,
                                                                                  tmp_path: Path) -> None:
    import multiprocessing

    # a lease a stall of the machine (2 shared cores) does not outlast: the heartbeat extends it every 0.5 s
    total, lease_s = 50, 1.5
    _queue(engine, total)
    log = tmp_path / "taken.log"
    log.write_text("")
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    mp = multiprocessing.get_context("fork")
    procs = [mp.Process(target=_deliver_in_a_process, args=(url, f"p{i}", str(log), total, lease_s))
             for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    sent = Counter(line for line in log.read_text().split("\n") if line)
    twice = {t: n for t, n in sent.items() if n > 1}
    with Session(engine) as s:
        marked = len(s.exec(select(Outbox).where(col(Outbox.status) == "sent")).all())
    print(f"\n{total} messages, 3 processes, batches of 10, a {lease_s} s lease, every tenth send waiting "
          f"{lease_s * 1.5:.1f} s: taken {sum(sent.values())}, distinct {len(sent)}, twice {len(twice)}, "
          f"marked sent {marked}")
    assert all(p.exitcode == 0 for p in procs)
    assert len(sent) == total and not twice, twice
    assert marked == total
