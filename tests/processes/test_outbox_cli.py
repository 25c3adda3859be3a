"""`salesbot outbox --failed` lists the messages delivery gave up on, with why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import OperationalError

from bot.delivery import RetryAfter, Undeliverable, deliver_due
from handlers.outbox import reply_to_json
from handlers.types import ChatRef, Reply
from storage.db import make_engine, session_factory, transaction
from storage.models import Outbox
from tests.processes import salesbot

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def test_outbox_failed_lists_what_delivery_gave_up_on(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "outbox.db"
    shutil.copy(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    with transaction(session_factory(engine)) as s:
        for chat in ("taken", "blocked", "busy"):
            s.add(Outbox(platform="console", workspace="local", chat=chat, payload=reply_to_json(Reply(text=chat)),
                         next_attempt_at=NOW, created_at=NOW))

    def send(to: ChatRef, reply: Reply) -> None:
        if to.chat == "blocked":
            raise Undeliverable("unreachable: bot was blocked by the user")
        if to.chat == "busy":
            raise RetryAfter(30)

    assert deliver_due(engine, {"console": send}, NOW) == 1
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    everything = subprocess.run([*salesbot(), "outbox", "--json"], env=env, capture_output=True, text=True,
                                timeout=120)
    assert everything.returncode == 0, everything.stderr
    statuses = {r["chat"]: r["status"] for r in map(json.loads, everything.stdout.splitlines())}
    assert statuses == {"taken": "sent", "blocked": "failed", "busy": "pending"}
    failed = subprocess.run([*salesbot(), "outbox", "--failed", "--json"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert failed.returncode == 0, failed.stderr
    rows = [json.loads(line) for line in failed.stdout.splitlines()]
    assert [(r["chat"], r["status"]) for r in rows] == [("blocked", "failed")]
    assert rows[0]["error"] == "unreachable: bot was blocked by the user"


def test_the_database_going_away_during_a_mark_raises_that_and_nothing_else(pg_engine: Engine) -> None:
    """The delivery loop logs 'database unavailable' for this error; a second error from resetting the dead
    connection used to hide it behind a traceback."""
    engine = make_engine(str(pg_engine.url.render_as_string(hide_password=False)))
    with transaction(session_factory(engine)) as s:
        s.exec(delete(Outbox))  # type: ignore[call-overload]
        s.add(Outbox(platform="console", workspace="local", chat="c", payload=reply_to_json(Reply(text="hi")),
                     next_attempt_at=NOW, created_at=NOW))

    def send_then_lose_the_marks_connection(to: ChatRef, reply: Reply) -> None:
        with pg_engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                               " AND datname = current_database() AND query LIKE 'SET synchronous_commit%'"))

    with pytest.raises(OperationalError):
        deliver_due(engine, {"console": send_then_lose_the_marks_connection}, NOW)
    later = NOW + timedelta(hours=1)  # past the claim's lease: the message goes out again, once
    assert deliver_due(engine, {"console": lambda to, reply: None}, later) == 1
    engine.dispose()
