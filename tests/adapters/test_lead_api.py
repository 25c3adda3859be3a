"""The lead API's door: the Bearer scheme, 400 with a reason for bad input and nothing personal in the logs, a
conflict that names nothing, and 300 posts at once without a 500."""

from __future__ import annotations

import asyncio
import logging
import random
import string

import aiohttp
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.web import Parts, build
from handlers.core import Core
from sales.demo import load_demo
from storage.models import Customer, Lead
from tests.conftest import FakeClock
from tests.standins.web import Served

TOKEN = "leads-token-0123456789"
AUTH = {"authorization": f"Bearer {TOKEN}"}
NAMES = ["".join(random.Random(n).choice(string.ascii_lowercase) for _ in range(10)).title()
         for n in range(200)]


@pytest.fixture
def client(engine: Engine, clock: FakeClock) -> TestClient:
    load_demo(engine, customers=5, now=clock())
    return TestClient(build(Parts(engine=engine, core=Core(engine, clock=clock), leads_token=TOKEN)))


def _leads(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(Lead)).one())


def test_the_bearer_scheme_is_required(client: TestClient) -> None:
    lead = {"company": "方正科技有限公司"}
    assert client.post("/api/leads", json=lead, headers={"authorization": TOKEN}).status_code == 401
    assert client.post("/api/leads", json=lead, headers={"authorization": f"Basic {TOKEN}"}).status_code == 401
    r = client.post("/api/leads", json=lead, headers={"authorization": f"bearer {TOKEN}"})
    assert r.status_code == 201


def test_bad_input_is_400_with_a_reason_and_nothing_personal_is_logged(
        client: TestClient, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    phone, email = "13912345678", "wang.secret@example.com"
    cases = [
        (b'{"company": "A\\u0000B", "phone": "13912345678", "email": "wang.secret@example.com"}', "control"),
        (('{"company": "C", "phone": "%s"}' % ("1" * 100_000)).encode(), "phone: at most 40"),
        (b'{"company": "C", "person": "' + b"x" * 101 + b'"}', "person: at most 100"),
        (b'{"company": "C", "phone": "call me maybe"}', "phone"),
        (b'{"company": "C", "email": "not-an-address"}', "email"),
        (b'{"company": "\\ud800 lone"}', "not valid text"),
        (b'{"company": ["A"]}', "company: expected a string"),
        (b'{"company": "C", "phone": "13912345678", "email": "wang.secret@example.com"', "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (b"[1]", "JSON object"),
        (b"{}", "company is required"),
    ]
    with caplog.at_level(logging.DEBUG):
        for body, reason in cases:
            r = client.post("/api/leads", content=body, headers=AUTH)
            assert r.status_code == 400, (body[:40], r.status_code, r.text)
            assert reason in r.json()["reason"], (reason, r.json())
    assert _leads(engine) == 0
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert phone not in logged and email not in logged and "Traceback" not in logged


def test_a_conflict_names_nothing_that_exists(client: TestClient, engine: Engine) -> None:
    with Session(engine) as s:
        customer = s.exec(select(Customer).order_by(Customer.id)).first()
        assert customer is not None
        name = customer.name
    first = client.post("/api/leads", json={"company": "新起点贸易有限公司", "phone": "13800138000"}, headers=AUTH)
    assert first.status_code == 201
    by_phone = client.post("/api/leads", json={"company": "别的公司", "phone": "13800138000"}, headers=AUTH)
    by_customer = client.post("/api/leads", json={"company": name}, headers=AUTH)
    assert by_phone.status_code == by_customer.status_code == 409
    assert by_phone.json() == by_customer.json() == {"error": "duplicate",
                                                     "reason": "a lead like this one was received before"}


@pytest.mark.slow
async def test_300_posts_at_once_never_500(engine: Engine, clock: FakeClock) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL's case (SQLite serializes them)")
    load_demo(engine, customers=5, now=clock())
    served = Served(build(Parts(engine=engine, core=Core(engine, clock=clock), leads_token=TOKEN)))
    url = await served.start()
    try:
        async with aiohttp.ClientSession() as http:
            async def post(i: int) -> int:
                j = i % 200  # each company twice
                lead = {"company": NAMES[j], "source": "转介绍", "budget": "50万",
                        "size": "600人", "phone": f"1390000{j:04d}"}
                async with http.post(f"{url}/api/leads", json=lead, headers=AUTH) as r:
                    return r.status
            statuses = await asyncio.gather(*(post(i) for i in range(300)))
    finally:
        await served.close()
    counts = {s: statuses.count(s) for s in set(statuses)}
    print(f"\n300 posts at once: {counts}")
    assert set(statuses) <= {201, 409}, counts
