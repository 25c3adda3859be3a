"""SIGTERM stops a worker delivering to a paced group chat within 10 s, giving back what it had claimed."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.outbox import put
from handlers.types import ChatRef, Reply
from storage.db import session_factory, transaction
from storage.models import Outbox
from tests.processes import Procs, free_port, until, wait_healthy
from tests.standins.telegram import BotApiStandIn


def _sent(tg: BotApiStandIn) -> int:
    return sum(1 for e in tg.events if e.kind == "send" and e.chat_id == -100777)


async def test_sigterm_stops_a_paced_worker_within_10_s_and_releases_its_claims(
        engine: Engine, procs: Procs, tmp_path: Path) -> None:
    tg = BotApiStandIn()
    await tg.start()
    tg.group(-100777, "sales")
    group = ChatRef("telegram", tg.token.split(":")[0], "-100777")
    with transaction(session_factory(engine)) as s:
        for i in range(60):
            put(s, group, Reply(text=f"paced {i:03d}"), now=datetime.now(UTC) - timedelta(seconds=1))
    port = free_port()
    url = os.environ.get("SALESBOT_TEST_DATABASE_URL") if engine.dialect.name == "postgresql" else str(engine.url)
    env = {**os.environ, "DATABASE_URL": url or "", "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.url}
    log = tmp_path / "worker.log"
    try:
        procs.start(["run", "--role", "worker", "--port", str(port), "--interval", "1"], env, log)
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, port, procs, [log])
        assert await until(lambda: _sent(tg) >= 2, 60), log.read_text()
        started = time.monotonic()
        procs.procs[0].send_signal(signal.SIGTERM)
        code = procs.procs[0].wait(timeout=30)
        took = time.monotonic() - started
    finally:
        procs.stop()
        await tg.stop()
    with Session(engine) as s:
        rows = s.exec(select(Outbox).order_by(col(Outbox.id))).all()
    statuses = [r.status for r in rows]
    print(f"\nSIGTERM with a paced batch in hand: exited in {took:.1f} s, sent {statuses.count('sent')}, "
          f"given back {statuses.count('pending')}, still claimed {statuses.count('sending')}")
    assert code == 0 and took < 10, log.read_text()
    assert statuses.count("sending") == 0 and statuses.count("pending") > 0
    assert all(r.claimed_by is None and r.lease_until is None for r in rows if r.status == "pending")
    assert statuses.count("sent") == _sent(tg)
