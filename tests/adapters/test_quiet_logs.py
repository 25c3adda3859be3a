"""What the logs do not carry: a dropped upload is one line without a traceback; at DEBUG, no message text."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import logs
from bot.web import Parts, build
from handlers.core import Core
from tests.conftest import FakeClock

TOKEN = "leads-token-0123456789"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logs.LIBRARIES}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, lvl in levels.items():
        logging.getLogger(name).setLevel(lvl)


async def test_a_dropped_slow_upload_logs_one_line_without_a_traceback(
        engine: Engine, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    app = build(Parts(engine=engine, core=Core(engine, clock=clock), leads_token=TOKEN))
    messages = iter([{"type": "http.request", "body": b'{"company": "', "more_body": True},
                     {"type": "http.disconnect"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/leads", "raw_path": b"/api/leads", "query_string": b"",
             "headers": [(b"authorization", f"Bearer {TOKEN}".encode()), (b"content-type", b"application/json")],
             "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
    with caplog.at_level(logging.DEBUG):
        await app(scope, receive, send)
    mine = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [r.getMessage() for r in mine] == ["request dropped by the client before its body arrived"]
    assert all(r.exc_info is None for r in caplog.records)


def test_debug_logs_carry_no_message_text(restore_logging: None) -> None:
    out = io.StringIO()
    logs.setup("DEBUG", stream=out)
    secret_text = "客户王总的手机 13912345678"
    logging.getLogger("telegram.ext.ExtBot").debug("Calling Bot API endpoint `sendMessage` with %s", secret_text)
    logging.getLogger("slack_sdk.web.async_base_client").debug("Sending a request: body=%s", secret_text)
    logging.getLogger("sqlalchemy.engine.Engine").debug("[parameters: %s]", secret_text)
    logging.getLogger("salesbot.turn").debug("our own debug line")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["our own debug line"]
    assert secret_text not in out.getvalue()
