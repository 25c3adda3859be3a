"""Two `salesbot run --role web` processes and one worker on PostgreSQL, driven over HTTP like production:
Telegram webhooks (secret header) and signed Slack requests, each delivered twice. Nothing lost or doubled."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from sales.demo import load_demo
from storage.models import Activity, ChatIdentity, Customer, Outbox, User
from tests.processes import Procs, free_port, until, wait_healthy
from tests.standins.slack import BOT_TOKEN, DEMO_USERS, SIGNING_SECRET, SlackAPI, SlackSide, bind_demo
from tests.standins.telegram import BotApiStandIn

SECRET = "webhook-secret-0123456789"
NOTES = 8


async def test_two_web_processes_and_a_worker_lose_and_double_nothing(
        pg: Engine, procs: Procs, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    load_demo(pg, customers=20, now=now)
    bind_demo(pg, now)
    tg, sl = BotApiStandIn(), SlackAPI()
    await tg.start()
    await sl.start()
    for name, uid in DEMO_USERS.items():
        sl.add_user(uid, name)
    alice_tg, bob_tg = tg.user(7001, "Alice"), tg.user(7002, "Bob")
    with Session(pg) as s:
        ids = {u.name: u.id for u in s.exec(select(User)).all()}
        for person, tg_user in (("alice", alice_tg), ("bob", bob_tg)):
            s.add(ChatIdentity(platform="telegram", workspace=tg.token.split(":")[0], external_id=str(tg_user["id"]),
                               chat=str(tg_user["id"]), user_id=ids[person] or 0, created_at=now))
        s.commit()
        customer = s.exec(select(Customer).where(Customer.owner_id == ids["alice"]).order_by(Customer.id)).first()
        assert customer is not None
    ports = [free_port(), free_port()]
    base = {**os.environ, "DATABASE_URL": os.environ["SALESBOT_TEST_DATABASE_URL"], "SALESBOT_DEFAULT_LANG": "en",
            "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.url, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_BASE_URL": sl.api_url}
    logs = [tmp_path / "web1.log", tmp_path / "web2.log", tmp_path / "worker.log"]
    for port, log in zip(ports, logs, strict=False):
        env = {**base, "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram"}
        procs.start(["run", "--role", "web", "--port", str(port)], env, log)
    procs.start(["run", "--role", "worker", "--interval", "1", "--port", str(free_port())], base, logs[2])
    try:
        async with aiohttp.ClientSession() as http:
            for port in ports:
                await wait_healthy(http, port, procs, logs)
            sides = [SlackSide(sl, f"http://127.0.0.1:{p}/slack/events") for p in ports]
            for side in sides:
                await side.__aenter__()
            statuses = []
            hello = {"update_id": 870_000, **tg.message(bob_tg, "/start")}  # bob opens his chat with the bot
            async with http.post(f"http://127.0.0.1:{ports[1]}/telegram", json=hello,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                statuses.append(r.status)
            for i in range(NOTES):
                update = {"update_id": 880_000 + i, **tg.message(alice_tg, f"/note #{customer.id} tg note {i}")}
                for port in (ports[i % 2], ports[(i + 1) % 2]):  # the same update to both: a redelivery
                    async with http.post(f"http://127.0.0.1:{port}/telegram", json=update,
                                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                        statuses.append(r.status)
                body = sides[0].slash_body(DEMO_USERS["alice"], f"note #{customer.id} slack note {i}")
                first = await sides[i % 2].deliver(body, "application/x-www-form-urlencoded")
                retry = await sides[(i + 1) % 2].deliver(body, "application/x-www-form-urlencoded",
                                                         headers={"X-Slack-Retry-Num": "1",
                                                                  "X-Slack-Retry-Reason": "http_timeout"})
                statuses += [first.status, retry.status]
            forged = await http.post(f"http://127.0.0.1:{ports[0]}/telegram", json={"update_id": 1},
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert forged.status == 403
            assert set(statuses) == {200}, statuses
            # An approval request for bob: written by a web process, delivered once by the worker.
            for text in (f"/deal new #{customer.id} 产线 100000", f"/quote new #{customer.id} 设备 10 10000 discount 15%"):
                update = {"update_id": 890_000 + len(text), **tg.message(alice_tg, text)}
                async with http.post(f"http://127.0.0.1:{ports[0]}/telegram", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    assert r.status == 200
                await asyncio.sleep(1.0)  # one chat's updates are handled in order within a process

            def counted(kind: str) -> int:
                with Session(pg) as s:
                    return int(s.exec(select(func.count()).select_from(Activity).where(
                        col(Activity.summary).like(f"{kind} note %"))).one())

            assert await until(lambda: counted("tg") == NOTES and counted("slack") == NOTES)
            assert await until(lambda: any("approve" in str(m).lower() or "批准" in str(m)
                                            for m in tg.bot_messages(bob_tg["id"])))
            await asyncio.sleep(3)  # any double delivery would have arrived by now
            assert counted("tg") == NOTES and counted("slack") == NOTES
            requests = [m for m in tg.bot_messages(bob_tg["id"]) if "批准" in str(m) or "approve" in str(m).lower()]
            assert len(requests) == 1
            def unsent() -> list[tuple[object, ...]]:
                with Session(pg) as s:
                    return [(o.status, o.platform, o.chat, o.error, o.next_attempt_at, o.payload[:120])
                            for o in s.exec(select(Outbox).where(col(Outbox.status) != "sent")).all()]

            # Everything queued goes out (a row paced or retried on a loaded machine may still be on its way).
            assert await until(lambda: not unsent()), unsent()
            for side in sides:
                await side.__aexit__()
    finally:
        codes = procs.stop()
        await tg.stop()
        await sl.stop()
    assert codes == [0, 0, 0], "\n".join(p.read_text() for p in logs)
    for log in logs:
        text = log.read_text()
        assert "Traceback" not in text, text
        for secret in (SECRET, BOT_TOKEN, SIGNING_SECRET, tg.token):
            assert secret not in text, f"a secret in the logs of {log.name}"
