"""`salesbot clock` logs as `salesbot run` does: JSON lines, every configured secret redacted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from storage.db import make_engine, session_factory, transaction
from storage.models import Outbox
from tests.processes import free_port, salesbot

TOKEN = "123456:clock-token-must-never-be-logged"
LEADS = "leads-secret-for-the-clock-test"
NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def test_clock_once_writes_json_log_lines_without_secrets(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "clock.db"
    shutil.copy(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    with transaction(session_factory(engine)) as s:  # a Telegram message due, for a Bot API nobody answers
        s.add(Outbox(platform="telegram", workspace="1", chat="42", payload='{"text": "hi"}', next_attempt_at=NOW,
                     created_at=NOW))
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "SALESBOT_NOW": NOW.isoformat(),
           "SALESBOT_LOG_LEVEL": "DEBUG",  # PTB logs its API URL, token included, at DEBUG
           "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}",
           "SALESBOT_LEADS_TOKEN": LEADS}
    done = subprocess.run([*salesbot(), "clock", "--once"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout + done.stderr and LEADS not in done.stdout + done.stderr
    lines = done.stderr.splitlines()
    summary = [line for line in lines if line.startswith("clock: ")]
    assert len(summary) == 1 and "0 delivered" in summary[0]  # the command's own result, for cron
    records = [json.loads(line) for line in lines if line not in summary]  # every other line is a JSON record
    events = [r["event"] for r in records]
    assert "delivery failed" in events, events
    # the platform libraries log at INFO even at DEBUG (no message text, no API URL); any secret left is redacted
    assert not any(TOKEN in json.dumps(r) or LEADS in json.dumps(r) for r in records), records
