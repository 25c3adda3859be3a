"""The web endpoints' front door: an update is stored before its 200, junk is 400, a database away is 503, an
unsigned Slack body is refused before it is read."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.adapters.slack.app import make_app, make_client, register
from bot.adapters.telegram.app import TelegramBot
from bot.web import Parts, build
from handlers.core import Core
from storage.db import make_engine
from storage.inbox import InboxEntry
from tests.conftest import FakeClock
from tests.standins.slack import SIGNING_SECRET, sign

SECRET = "webhook-secret-0123456789"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def _bot(core: Core) -> TelegramBot:
    bot = TelegramBot(core, token="123456:TEST-token-for-the-front-door")
    bot._secret = SECRET  # what start_embedded sets; the application is never started here
    return bot


def _update(n: int, text: str = "/today") -> dict[str, Any]:
    return {"update_id": n, "message": {"message_id": n, "date": int(time.time()), "text": text,
                                        "chat": {"id": 7101, "type": "private"},
                                        "from": {"id": 7101, "is_bot": False, "first_name": "A"}}}


@pytest.fixture
def telegram(engine: Engine, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(build(Parts(engine=engine, core=Core(engine, clock=clock), telegram=_bot(Core(engine))))) as c:
        yield c


def _stored(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(InboxEntry)).one())


def test_an_update_is_stored_once_before_its_200_and_junk_is_400(telegram: TestClient, engine: Engine) -> None:
    assert telegram.post("/telegram", json=_update(1), headers=HEADERS).status_code == 200
    assert _stored(engine) == 1
    assert telegram.post("/telegram", json=_update(1), headers=HEADERS).status_code == 200  # a redelivery
    assert _stored(engine) == 1
    deep = b"[" * 100_000 + b"]" * 100_000
    for body in (b"{}", deep, b"not json", b'{"update_id": "7"}', b'{"update_id": 8, "message": 5}', b"[]"):
        r = telegram.post("/telegram", content=body, headers=HEADERS)
        assert r.status_code == 400, (body[:20], r.status_code)
    assert telegram.post("/telegram", json=_update(2), headers={}).status_code == 403
    assert _stored(engine) == 1


def test_while_the_database_is_unreachable_every_update_gets_503(tmp_path: Path, clock: FakeClock) -> None:
    gone = make_engine(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite")
    with TestClient(build(Parts(engine=gone, core=Core(gone, clock=clock), telegram=_bot(Core(gone))))) as c:
        statuses = [c.post("/telegram", json=_update(100 + i), headers=HEADERS).status_code for i in range(20)]
    assert statuses == [503] * 20


def _slack_app(engine: Engine, clock: FakeClock) -> Any:
    core = Core(engine, clock=clock)
    slack = register(make_app(make_client("xoxb-front-door", "http://127.0.0.1:9/api/"), SIGNING_SECRET), core)
    parts = Parts(engine=engine, core=core, slack=slack, slack_secret=SIGNING_SECRET)
    app = build(parts)
    return app, slack, parts


async def test_an_unsigned_chunked_slack_body_is_refused_before_it_is_read(engine: Engine, clock: FakeClock) -> None:
    app, slack, _ = _slack_app(engine, clock)
    read = 0
    chunk = b"x" * 65536

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < 17}  # 1.06 MiB in all

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/slack/events", "raw_path": b"/slack/events",
             "query_string": b"", "headers": [(b"transfer-encoding", b"chunked"), (b"content-type", b"application/json")],
             "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
    await app(scope, receive, send)
    assert sent[0]["status"] == 401 and read == 0
    await slack.close()


async def test_a_signed_slack_event_is_stored_before_its_200(engine: Engine, clock: FakeClock) -> None:
    app, slack, parts = _slack_app(engine, clock)
    assert parts.inbox is not None
    await parts.inbox.stop()  # stored, not handled: there is no Slack to answer here
    body = json.dumps({"type": "event_callback", "team_id": "T0", "event_id": "Ev0STORED",
                       "event": {"type": "message", "channel": "D0X", "user": "U0X", "text": "hi", "ts": "1.0"}})
    stamp = int(time.time())
    headers = {"X-Slack-Signature": sign(body, stamp), "X-Slack-Request-Timestamp": str(stamp),
               "Content-Type": "application/json"}

    def post() -> int:
        with TestClient(app) as c:
            return c.post("/slack/events", content=body, headers=headers).status_code
    assert await asyncio.to_thread(post) == 200
    assert _stored(engine) == 1
    await slack.close()
