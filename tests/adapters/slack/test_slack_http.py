"""Slack over HTTP: acks before the work, retries change nothing, forged/replayed/malformed requests refused."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, func, inspect, text
from sqlmodel import Session, SQLModel, select

from bot.adapters.slack import views
from handlers.context import Settings
from handlers.core import Core
from handlers.types import Incoming, Reply
from sales.demo import load_demo
from storage.models import Activity, Customer, User
from tests.conftest import FakeClock
from tests.standins.slack import DEMO_USERS, STRANGER, bind_demo, dm_of, running, sign

ALICE = DEMO_USERS["alice"]
WORK_SECONDS = 1.2


class SlowCore(Core):
    """The real core, each turn taking longer than Slack's patience for an ack would allow."""

    durations: list[float]

    def handle(self, incoming: Incoming, **kw: Any) -> list[Reply]:
        started = time.perf_counter()
        time.sleep(WORK_SECONDS)
        try:
            return super().handle(incoming, **kw)
        finally:
            self.durations.append(time.perf_counter() - started)


def _alice_customer(engine: Engine) -> Customer:
    with Session(engine) as s:
        alice = s.exec(select(User).where(User.name == "alice")).one()
        return s.exec(select(Customer).where(Customer.owner_id == alice.id).order_by(Customer.id)).first()


def _visit_values(customer: Customer, note: str) -> dict[str, dict[str, Any]]:
    return {"customer": {views.CUSTOMER_PICKER: {"type": "external_select", "selected_option": {
                "text": {"type": "plain_text", "text": customer.name}, "value": str(customer.id)}}},
            "kind": {"kind": {"type": "static_select", "selected_option": {"value": "visit"}}},
            "text": {"text": {"type": "plain_text_input", "value": note}},
            "followup": {"date": {"type": "datepicker", "selected_date": None}}}


def _snapshot(engine: Engine) -> dict[str, int]:
    """Row counts of every table: what a refused request must leave as it was."""
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {t: conn.execute(select(func.count()).select_from(SQLModel.metadata.tables[t])).scalar_one()
                for t in SQLModel.metadata.tables if t in present}


@pytest.mark.slow
async def test_every_command_click_and_submission_is_acked_under_a_second_at_p99(
        engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=30, now=clock())
    bind_demo(engine, clock())
    # 75 inputs of five people (one person's are handled in order, one at a time: 15 turns of 1.2 s each) at one frozen instant: the per-person rate limit (issue 10) is not under test here
    core = SlowCore(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0))
    core.durations = []
    customer = _alice_customer(engine)
    people = list(DEMO_USERS.values())
    async with running(core, workers=48) as r:
        side, api = r.side, r.api
        choices = {}
        for user in people:
            await r.ok(await side.slash(user, "lang"))
            choices[user] = api.last(dm_of(user))
        view = {**views.visit_modal("en"), "id": "V0PERF"}
        bodies: list[tuple[str, str]] = []
        for i in range(75):
            user = people[i % len(people)]
            if i % 3 == 0:
                bodies.append((side.slash_body(user, "followups"), "application/x-www-form-urlencoded"))
            elif i % 3 == 1 or user != ALICE:
                bodies.append((side.click_body(user, choices[user], "English"), "application/x-www-form-urlencoded"))
            else:
                sub = {**view, "id": f"V0PERF{i:03d}"}
                bodies.append((side.submit_body(user, sub, _visit_values(customer, f"演示第 {i} 次")),
                               "application/x-www-form-urlencoded"))
        core.durations.clear()
        gate = asyncio.Semaphore(10)

        async def one(body: str, ctype: str) -> float:
            async with gate:
                sent = await side.deliver(body, ctype)
                assert sent.status == 200, sent
                return sent.seconds

        acks = sorted(await asyncio.gather(*(one(b, c) for b, c in bodies)))
        done_at_ack = len(core.durations)
        await r.settle()
    p99 = acks[int(len(acks) * 0.99) - 1]
    print(f"\nacks over {len(acks)} requests: p50 {acks[len(acks) // 2] * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {acks[-1] * 1000:.0f} ms; work per turn ≥ {min(core.durations):.2f} s")
    assert p99 < 1.0
    assert len(core.durations) == 75 and min(core.durations) > 1.0
    assert done_at_ack < 75  # the acks did not wait for the work
    with Session(engine) as s:
        logged = s.exec(select(Activity).where(Activity.summary.startswith("演示第"))).all()  # type: ignore[attr-defined]
        assert len(logged) == 5  # alice's forms


async def test_an_event_delivered_four_times_creates_one_activity(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=30, now=clock())
    bind_demo(engine, clock())
    customer = _alice_customer(engine)
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with running(core) as r:
        side, api = r.side, r.api
        event = side.dm_event(ALICE, f"visit #{customer.id} 带样机拜访，周五再联系")
        # the original and Slack's retries 1-3; two arrive while the original is still being handled
        first = await asyncio.gather(side.event(event, event_id="Ev0RETRY"),
                                     side.event(event, event_id="Ev0RETRY", retry=1))
        await r.settle()
        later = [await side.event(event, event_id="Ev0RETRY", retry=n) for n in (2, 3)]
        await r.settle()
        assert all(s.status == 200 for s in [*first, *later])
        answers = [m for m in api.in_channel(dm_of(ALICE)) if "已记录拜访" in m.plain()]
        assert len(answers) == 1
    with Session(engine) as s:
        acts = s.exec(select(Activity).where(Activity.summary == "带样机拜访，周五再联系")).all()
        assert len(acts) == 1


async def test_forged_replayed_and_malformed_requests_are_refused_and_change_nothing(
        engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=10, now=clock())
    bind_demo(engine, clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with running(core) as r:
        side, api = r.side, r.api
        before, calls = _snapshot(engine), len(api.calls)
        body = side.slash_body(ALICE, "customer add 伪造科技 grade A")
        form = "application/x-www-form-urlencoded"
        now = int(time.time())
        refused = [
            await side.deliver(body, form, signature=sign(body, now, secret="not-the-secret")),  # forged
            await side.deliver(body, form, signature="v0=" + "0" * 64),
            await side.deliver(body, form, timestamp=now - 6 * 60),  # replayed: 6 minutes old
            await side.deliver(body, form, signature=""),
        ]
        assert [s.status for s in refused] == [401, 401, 401, 401]
        malformed = [
            await side.deliver("payload=%7Bnot-json", form),
            await side.deliver(urlencode({"payload": json.dumps([1, 2])}), form),
            await side.deliver(urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": 5},
                                                                 "actions": []})}), form),
            await side.deliver(json.dumps({"type": "event_callback", "team_id": "T0STANDIN", "event_id": "Ev1",
                                           "event": {"type": "message", "channel": "D0ALICE", "channel_type": "im",
                                                     "user": ["x"], "text": "visit x", "ts": "1.2"}}),
                               "application/json"),
            await side.deliver(urlencode({"command": "/crm", "team_id": "T0STANDIN", "text": "today"}), form),
            await side.deliver("{\"type\": ", "application/json"),
        ]
        assert [s.status for s in malformed] == [400] * len(malformed)
        assert all("Traceback" not in s.body for s in refused + malformed)
        await r.settle()
        assert _snapshot(engine) == before
        assert len(api.calls) == calls


async def test_a_stranger_gets_one_ephemeral_line_and_can_join(engine: Engine, clock: FakeClock) -> None:
    from sales import invites
    from storage.db import session_factory, transaction

    load_demo(engine, customers=10, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    with transaction(session_factory(engine)) as s:
        code = invites.make_invite(s, role="rep", name=None, by=None, now=clock()).code
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.event(side.dm_event(STRANGER, "见了华东的张总")))
        assert len(api.ephemeral) == 1 and "/join" in api.ephemeral[0]["text"]
        assert not api.in_channel(dm_of(STRANGER))
        await r.ok(await side.slash(STRANGER, f"join {code}"))
        assert "Welcome, Stranger" in api.responses[-1]["text"] or "Welcome, stranger" in api.responses[-1]["text"]
        await r.ok(await side.slash(STRANGER, "help"))
        assert "/visit" in api.last(dm_of(STRANGER)).plain()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM chatidentity WHERE external_id = :u"),
                            {"u": STRANGER}).scalar_one() == 1
