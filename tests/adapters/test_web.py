"""The one web app: health, metrics, the lead API, unknown paths and oversized bodies."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.web import Parts, build
from handlers.core import Core
from sales.demo import load_demo
from storage.models import Lead
from tests.conftest import FakeClock

TOKEN = "leads-token-0123456789"


@pytest.fixture
def client(engine: Engine, clock: FakeClock) -> TestClient:
    load_demo(engine, customers=5, now=clock())
    return TestClient(build(Parts(engine=engine, core=Core(engine, clock=clock), leads_token=TOKEN)))


def test_health_says_database_migrations_backlog_and_sweep(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"database": "ok", "migrations": "head", "outbox_backlog": 0, "last_clock_sweep": None}


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    r = client.get("/metrics")
    assert r.status_code == 200 and "salesbot_outbox_backlog 0.0" in r.text
    assert "salesbot_handle_seconds" in r.text


def test_unknown_paths_are_404_and_big_bodies_413(client: TestClient) -> None:
    assert client.get("/nothing-here").status_code == 404
    assert client.post("/slack/events", content=b"{}").status_code == 404  # Slack is not configured here
    big = b"x" * (1024 * 1024 + 1)
    r = client.post("/api/leads", content=big, headers={"authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 413 and "Traceback" not in r.text


def test_the_lead_api_takes_a_lead_with_its_token_only(client: TestClient, engine: Engine) -> None:
    lead = {"company": "远望科技有限公司", "person": "陈总", "phone": "13800138000", "source": "官网"}
    assert client.post("/api/leads", json=lead).status_code == 401
    assert client.post("/api/leads", json=lead, headers={"authorization": "Bearer wrong"}).status_code == 401
    ok = client.post("/api/leads", json=lead, headers={"authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 201 and ok.json()["id"] > 0
    again = client.post("/api/leads", json=lead, headers={"authorization": f"Bearer {TOKEN}"})
    assert again.status_code == 409 and again.json() == {"error": "duplicate",
                                                          "reason": "a lead like this one was received before"}
    bad = client.post("/api/leads", content=b"not json", headers={"authorization": f"Bearer {TOKEN}"})
    assert bad.status_code == 400
    assert client.post("/api/leads", json={"person": "x"},
                       headers={"authorization": f"Bearer {TOKEN}"}).status_code == 400
    with Session(engine) as s:
        rows = s.exec(select(Lead)).all()
        assert [r.company for r in rows] == ["远望科技有限公司"] and rows[0].phone == "+8613800138000"
    assert json.loads(ok.text)["status"] in ("new", "MQL", "SQL")
