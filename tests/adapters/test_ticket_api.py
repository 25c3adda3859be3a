"""The ticket API's door: the Bearer scheme, 400 with a reason and nothing personal in the logs, an Idempotency-Key
that opens one ticket however often it is posted, the customer found by the duplicate rules without the answer
saying so, and posts at once without a 500."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bot.web import Parts, build
from handlers.core import Core
from sales.demo import load_demo
from storage.models import Contact, Customer, Outbox, Ticket, User
from tests.conftest import FakeClock
from tests.standins.web import Served

TOKEN = "tickets-token-0123456789"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def _app(engine: Engine, clock: FakeClock, token: str = TOKEN) -> TestClient:
    return TestClient(build(Parts(engine=engine, core=Core(engine, clock=clock), tickets_token=token)))


@pytest.fixture
def client(engine: Engine, clock: FakeClock) -> TestClient:
    load_demo(engine, customers=5, now=clock())
    return _app(engine, clock)


def _tickets(engine: Engine) -> list[Ticket]:
    with Session(engine) as s:
        return list(s.exec(select(Ticket).order_by(col(Ticket.id))).all())


def test_the_bearer_scheme_is_required(client: TestClient, engine: Engine, clock: FakeClock) -> None:
    body = {"company": "方正科技有限公司", "problem": "设备异响"}
    assert client.post("/api/tickets", json=body, headers={"authorization": TOKEN}).status_code == 401
    assert client.post("/api/tickets", json=body, headers={"authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.post("/api/tickets", json=body).status_code == 401
    assert client.post("/api/tickets", json=body, headers={"authorization": f"bearer {TOKEN}"}).status_code == 201
    unset = _app(engine, clock, token="")  # no SALESBOT_TICKETS_TOKEN: nobody gets in
    assert unset.post("/api/tickets", json=body, headers={"authorization": "Bearer "}).status_code == 401


def test_bad_input_is_400_with_a_reason_and_nothing_personal_is_logged(
        client: TestClient, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    phone, email = "13912345678", "wang.secret@example.com"
    cases = [
        (b'{"company": "A\\u0000B", "problem": "x", "phone": "13912345678", "email": "wang.secret@example.com"}',
         "control"),
        (('{"company": "C", "problem": "x", "phone": "%s"}' % ("1" * 100_000)).encode(), "phone: at most 40"),
        (b'{"company": "C", "problem": "' + b"x" * 4001 + b'"}', "problem: at most 4000"),
        (b'{"company": "C", "problem": "x", "priority": "P9"}', "priority"),
        (b'{"company": "C", "problem": "x", "phone": "call me maybe"}', "phone"),
        (b'{"company": "C", "problem": "x", "email": "not-an-address"}', "email"),
        (b'{"company": "\\ud800 lone", "problem": "x"}', "not valid text"),
        (b'{"company": "C", "problem": "\\udfff"}', "not valid text"),
        (b'{"company": ["A"], "problem": "x"}', "company: expected a string"),
        (b'{"company": "C", "problem": {"a": 1}}', "problem: expected a string"),
        (b'{"company": "C", "problem": "x", "phone": "13912345678", "email": "wang.secret@example.com"', "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "not JSON"),
        (b"[1]", "JSON object"),
        (b'{"company": "C"}', "problem is required"),
        (b'{"problem": "x"}', "company is required"),
    ]
    with caplog.at_level(logging.DEBUG):
        for body, reason in cases:
            r = client.post("/api/tickets", content=body, headers=AUTH)
            assert r.status_code == 400, (body[:40], r.status_code, r.text)
            assert reason in r.json()["reason"], (reason, r.json())
        for bad in ("k" * 101, "a b", b"\xe9t\xe9"):
            r = client.post("/api/tickets", json={"company": "C", "problem": "x"},
                            headers={**AUTH, "idempotency-key": bad})  # type: ignore[arg-type]
            assert r.status_code == 400 and "Idempotency-Key" in r.json()["reason"], bad
    assert _tickets(engine) == []
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert phone not in logged and email not in logged and "Traceback" not in logged


def test_one_key_opens_one_ticket_and_another_body_under_it_is_refused(client: TestClient, engine: Engine) -> None:
    body = {"company": "新起点贸易有限公司", "problem": "机器不开机", "priority": "p1", "phone": "13800138000"}
    key = {**AUTH, "Idempotency-Key": "form-42-abc"}
    first = client.post("/api/tickets", json=body, headers=key)
    again = client.post("/api/tickets", json=body, headers=key)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json() == again.json() == {"id": first.json()["id"], "priority": "P1"}
    other = client.post("/api/tickets", json={**body, "problem": "别的问题"}, headers=key)
    assert other.status_code == 409
    assert other.json() == {"error": "conflict", "reason": "this Idempotency-Key was used for another ticket"}
    assert len(_tickets(engine)) == 1
    no_key = [client.post("/api/tickets", json=body, headers=AUTH).status_code for _ in range(2)]
    assert no_key == [201, 201] and len(_tickets(engine)) == 3  # without a key each post is a ticket


def test_the_customer_is_found_by_the_duplicate_rules_and_the_answer_says_nothing(
        client: TestClient, engine: Engine) -> None:
    with Session(engine) as s:
        customer = s.exec(select(Customer).order_by(col(Customer.id))).first()
        assert customer is not None
        s.add(Contact(customer_id=customer.id or 0, name="王工", phone="+8613900001111", created_at=customer.created_at))
        s.commit()
        name, cid, owner = customer.name, customer.id, customer.owner_id
    by_name = client.post("/api/tickets", json={"company": name + " ", "problem": "a"}, headers=AUTH)
    by_phone = client.post("/api/tickets", json={"company": "别的写法", "problem": "b", "phone": "139 0000 1111"},
                           headers=AUTH)
    unknown = client.post("/api/tickets", json={"company": "从没见过的公司", "problem": "c"}, headers=AUTH)
    assert by_name.status_code == by_phone.status_code == unknown.status_code == 201
    assert {tuple(sorted(r.json())) for r in (by_name, by_phone, unknown)} == {("id", "priority")}
    got = [(t.customer_id, t.assignee_id, t.source, t.priority) for t in _tickets(engine)]
    assert got == [(cid, owner, "api", "P3"), (cid, owner, "api", "P3"), (None, None, "api", "P3")]
    with Session(engine) as s:
        told = {u.name for u in s.exec(select(User).join(Outbox, col(Outbox.user_id) == col(User.id))).all()}
        owner_name = s.get(User, owner).name  # type: ignore[union-attr]
    assert owner_name in told and "bob" in told  # the owner; the manager of the unmatched one


@pytest.mark.slow
async def test_posts_at_once_never_500_and_one_key_is_one_ticket(engine: Engine, clock: FakeClock) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL's case (SQLite serializes them)")
    load_demo(engine, customers=5, now=clock())
    served = Served(build(Parts(engine=engine, core=Core(engine, clock=clock), tickets_token=TOKEN)))
    url = await served.start()
    try:
        async with aiohttp.ClientSession() as http:
            async def post(i: int) -> int:
                body = {"company": f"公司{i % 20}", "problem": "漏水", "priority": "P2"}
                headers = {**AUTH, "Idempotency-Key": f"k-{i % 20}"}
                async with http.post(f"{url}/api/tickets", json=body, headers=headers) as r:
                    return r.status
            statuses = await asyncio.gather(*(post(i) for i in range(120)))
    finally:
        await served.close()
    counts = {s: statuses.count(s) for s in set(statuses)}
    print(f"\n120 posts at once, 20 keys: {counts}")
    assert set(statuses) <= {200, 201}, counts
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 20
