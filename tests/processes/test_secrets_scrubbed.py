"""Token-shaped text never reaches the logs or the outbox table, configured as a secret or not."""

from __future__ import annotations

import io
import logging

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import select

from bot import logs
from bot.delivery import deliver_due
from handlers.types import ChatRef, Reply
from storage.db import session_factory, transaction
from storage.models import Outbox
from tests.conftest import FakeClock

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_a_platform_error_quoting_the_token_is_stored_without_it(engine: Engine, clock: FakeClock) -> None:
    with transaction(session_factory(engine)) as s:
        s.add(Outbox(platform="telegram", workspace="1", chat="42", payload='{"text": "hi"}',
                     next_attempt_at=clock(), created_at=clock()))

    def refuses(to: ChatRef, reply: Reply) -> None:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage: the token `{TOKEN}` was rejected")

    assert deliver_due(engine, {"telegram": refuses}, clock()) == 0
    with session_factory(engine)() as s:
        row = s.exec(select(Outbox)).one()
    assert row.error and "sendMessage" in row.error and TOKEN not in row.error and "AAHdq" not in row.error


def test_logs_scrub_token_shapes_and_url_passwords_nobody_configured() -> None:
    out = io.StringIO()
    logs.setup("INFO", secrets=(), stream=out)
    try:
        logging.getLogger("t").warning("failed: %s and %s and %s", f"bot{TOKEN}/getMe",
                                       "xoxb-1111-2222-abcdefghijkl", "postgresql://app:s3cr3t-pw@db/crm")
    finally:
        logging.getLogger().handlers.clear()
    line = out.getvalue()
    assert "getMe" in line and "@db/crm" in line
    for secret in (TOKEN, "xoxb-1111", "s3cr3t-pw"):
        assert secret not in line


@given(st.text(alphabet="0123456789 ,.:-+¥万元年月日", max_size=60))
def test_ordinary_figures_dates_and_phones_are_left_alone(text: str) -> None:
    assert logs.scrub(text) == text
