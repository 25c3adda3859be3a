"""`salesbot run` with Feishu configured, as real processes on PostgreSQL against the stand-in: the web role
takes HTTP callbacks (FEISHU_MODE=http), the all role dials the long connection, the worker only sends."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.outbox import reply_to_json
from handlers.types import Reply
from sales.demo import load_demo
from storage.models import Outbox
from tests.processes import Procs, free_port, until, wait_healthy
from tests.standins.feishu import APP_ID, APP_SECRET, ENCRYPT_KEY, VERIFICATION_TOKEN, p2p_of, text_of
from tests.standins.feishu_run import bind_demo, standing


async def test_every_role_runs_feishu(pg: Engine, procs: Procs, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    load_demo(pg, customers=10, now=now)
    async with standing() as api:
        team = bind_demo(pg, api, lambda: now)
        alice, bob, fay = team["alice"], team["bob"], team["fay"]
        base = {**os.environ, "DATABASE_URL": os.environ["SALESBOT_TEST_DATABASE_URL"], "SALESBOT_DEFAULT_LANG": "en",
                "FEISHU_APP_ID": APP_ID, "FEISHU_APP_SECRET": APP_SECRET, "FEISHU_API_BASE_URL": api.url,
                "FEISHU_VERIFICATION_TOKEN": VERIFICATION_TOKEN, "FEISHU_ENCRYPT_KEY": ENCRYPT_KEY}
        for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "FEISHU_MODE"):
            base.pop(name, None)
        web, everything, worker = free_port(), free_port(), free_port()
        logs = [tmp_path / f"{n}.log" for n in ("web", "all", "worker")]
        procs.start(["run", "--role", "web", "--port", str(web)], {**base, "FEISHU_MODE": "http"}, logs[0])
        procs.start(["run", "--role", "all", "--port", str(everything), "--interval", "1"], base, logs[1])
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, web, procs, logs)
            await wait_healthy(http, everything, procs, logs)
            assert await until(lambda: len(api.peers) == 1), "the all role dialled the long connection"

            api.callback_url = f"http://127.0.0.1:{web}/feishu/events"
            assert (await api.post(api.message(alice, "/lang en")))[0] == 200
            assert (await api.post(api.message(alice, "/lang zh"), age=900))[0] == 401
            assert await until(lambda: [text_of(m) for m in api.in_chat(p2p_of(alice.open_id))] ==
                               ["OK, English from now on."])

            assert await api.push(api.message(bob, "/lang en")) == {"code": 200}
            # A long wait: on a loaded CI machine (the whole suite on 2 cores) a reply that found the stand-in slow is
            # parked and sent again by the delivery loop.
            assert await until(lambda: [text_of(m) for m in api.in_chat(p2p_of(bob.open_id))] ==
                               ["OK, English from now on."], 90), _seen(api, bob.open_id, logs)

            procs.start(["run", "--role", "worker", "--port", str(worker), "--interval", "1"], base, logs[2])
            await wait_healthy(http, worker, procs, logs)
            procs.procs[1].terminate()  # only the worker delivers from now on
            procs.procs[1].wait(30)
            assert await until(lambda: not api.peers)
            with Session(pg) as s:
                s.add(Outbox(platform="feishu", workspace=APP_ID, chat=fay.open_id,
                             payload=reply_to_json(Reply(text="from the worker")), next_attempt_at=now,
                             created_at=now))
                s.commit()
            assert await until(lambda: [text_of(m) for m in api.in_chat(p2p_of(fay.open_id))] == ["from the worker"])
            assert not api.peers, "the worker only sends"
    with Session(pg) as s:
        assert {r.status for r in s.exec(select(Outbox).where(col(Outbox.platform) == "feishu")).all()} == {"sent"}
    written = "\n".join(p.read_text() for p in logs)
    for secret in (APP_SECRET, ENCRYPT_KEY, VERIFICATION_TOKEN, api.token):
        assert secret not in written


def _seen(api: object, open_id: str, logs: list[Path]) -> str:
    """What the chat holds and what the processes logged: a failure says which process did what."""
    chat = [text_of(m) for m in api.in_chat(p2p_of(open_id))]  # type: ignore[attr-defined]
    return f"chat: {chat}\n" + "\n".join(f"--- {p.name}\n{p.read_text()}" for p in logs if p.exists())
