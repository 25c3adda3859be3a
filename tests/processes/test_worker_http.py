"""`salesbot run --role worker` serves GET /healthz and GET /metrics on --port (its delivery and reminder
counters can be scraped), and nothing else: no chat endpoints, no lead API."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import Engine

from storage.db import session_factory, transaction
from storage.models import Outbox
from tests.processes import Procs, free_port, wait_healthy

LEADS = "leads-token-for-the-worker-test"


def _sent(metrics: str) -> float:
    found = re.search(r"^salesbot_outbox_sent_total ([\d.e+]+)$", metrics, re.M)
    return float(found.group(1)) if found else 0.0


async def test_the_worker_serves_health_and_metrics_only(engine: Engine, procs: Procs, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with transaction(session_factory(engine)) as s:  # a console message due: the worker delivers it
        s.add(Outbox(platform="console", workspace="local", chat="alice", payload='{"text": "hi"}',
                     next_attempt_at=now - timedelta(seconds=1), created_at=now))
    port, nobody = free_port(), free_port()
    # Every platform configured, so a web process would serve /slack/events and /telegram: the worker must not.
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "SALESBOT_LEADS_TOKEN": LEADS, "TELEGRAM_BOT_TOKEN": "123456:worker-test-token-not-for-real-use",
           "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{nobody}", "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
           "SLACK_BOT_TOKEN": "xoxb-worker-test", "SLACK_SIGNING_SECRET": "worker-test-signing-secret",
           "SLACK_API_BASE_URL": f"http://127.0.0.1:{nobody}/api/"}
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("PORT", None)
    log = tmp_path / "worker.log"
    procs.start(["run", "--role", "worker", "--port", str(port), "--interval", "1"], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, port, procs, [log])
            async with http.get(f"{base}/healthz") as r:
                health = await r.json()
            assert health["database"] == "ok" and health["migrations"] == "head"

            async def scrape() -> str:
                async with http.get(f"{base}/metrics") as r:
                    assert r.status == 200 and r.headers["content-type"].startswith("text/plain")
                    return await r.text()

            scraped = await scrape()
            for _ in range(200):  # the worker's own delivery shows in its own /metrics
                if _sent(scraped) >= 1:
                    break
                await asyncio.sleep(0.1)
                scraped = await scrape()
            assert _sent(scraped) == 1.0, scraped
            assert "salesbot_reminders_claimed_total" in scraped
            assert "salesbot_reminders_due" in scraped

            for path in ("/slack/events", "/telegram", "/api/leads"):
                async with http.post(f"{base}{path}", data=b"{}", headers={"Authorization": f"Bearer {LEADS}"}) as r:
                    assert r.status == 404, path
    finally:
        codes = procs.stop()
    text = log.read_text()
    assert codes == [0], text
    assert "Traceback" not in text, text
    assert "→ alice: hi" in text  # delivered by the console sender, once
    assert text.count("→ alice: hi") == 1
