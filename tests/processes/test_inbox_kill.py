"""A web process killed (SIGKILL) with 20 updates of one chat in hand: after a restart none is lost, none doubled,
and they were handled in the order Telegram sent them."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from sales.demo import load_demo
from storage.inbox import InboxEntry
from storage.models import Activity, ChatIdentity, Customer, User
from tests.processes import Procs, free_port, until, wait_healthy
from tests.standins.telegram import BotApiStandIn

SECRET = "inbox-kill-webhook-secret-42"


async def test_a_killed_web_process_loses_and_doubles_nothing_it_acknowledged(
        pg: Engine, procs: Procs, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    load_demo(pg, customers=10, now=now)
    tg = BotApiStandIn()
    await tg.start()
    alice = tg.user(7101, "Alice")
    with Session(pg) as s:
        user = s.exec(select(User).where(User.name == "alice")).one()
        s.add(ChatIdentity(platform="telegram", workspace=tg.token.split(":")[0], external_id="7101", chat="7101",
                           user_id=user.id or 0, created_at=now))
        s.commit()
        customer = s.exec(select(Customer).where(Customer.owner_id == user.id).order_by(Customer.id)).first()
        assert customer is not None
    port = free_port()
    env = {**os.environ, "DATABASE_URL": os.environ["SALESBOT_TEST_DATABASE_URL"], "TELEGRAM_BOT_TOKEN": tg.token,
           "TELEGRAM_API_BASE_URL": tg.url, "TELEGRAM_WEBHOOK_SECRET": SECRET, "SALESBOT_INBOX_LEASE_S": "3",
           "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram"}
    updates = [{"update_id": 770_000 + i, **tg.message(alice, f"/note #{customer.id} kill note {i:02d}")}
               for i in range(20)]

    def notes() -> list[str]:
        with Session(pg) as s:
            return list(s.exec(select(Activity.summary).where(col(Activity.summary).like("kill note %"))
                               .order_by(col(Activity.id))).all())

    first, second = tmp_path / "first.log", tmp_path / "second.log"
    try:
        async with aiohttp.ClientSession() as http:
            procs.start(["run", "--role", "web", "--port", str(port)], env, first)
            await wait_healthy(http, port, procs, [first])
            for u in updates:
                async with http.post(f"http://127.0.0.1:{port}/telegram", json=u,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    assert r.status == 200
            procs.procs[0].send_signal(signal.SIGKILL)  # acknowledged, and most of it still in hand
            procs.procs[0].wait(timeout=10)
            in_hand = 20 - len(notes())
            procs.procs.clear()
            procs.start(["run", "--role", "web", "--port", str(port)], env, second)
            await wait_healthy(http, port, procs, [second])
            assert await until(lambda: len(notes()) >= 20, 60)
            await until(lambda: False, 2)  # anything doubled would show now
    finally:
        codes = procs.stop()
        await tg.stop()
    got = notes()
    with Session(pg) as s:
        left = s.exec(select(func.count()).select_from(InboxEntry).where(
            col(InboxEntry.status).in_(("pending", "working")))).one()
    print(f"\nkilled with {in_hand} of 20 updates in hand: handled {len(got)}, lost {20 - len(set(got))}, "
          f"doubled {len(got) - len(set(got))}, left in the inbox {left}")
    assert in_hand > 0
    assert got == [f"kill note {i:02d}" for i in range(20)]  # none lost, none doubled, in order
    assert left == 0
    assert codes == [0], second.read_text()
    assert "Traceback" not in second.read_text()
