"""/metrics counts what this process did: outbox messages sent and given up on, reminders claimed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select
from starlette.testclient import TestClient

from bot.clock import ReminderClock
from bot.web import Parts, build
from handlers.context import Settings
from handlers.core import Core
from handlers.outbox import to_user
from handlers.types import Reply
from sales.demo import load_demo, seed_due_followups
from sales.names import directory
from storage.db import session_factory, transaction
from storage.models import User
from tests.conftest import FakeClock
from tests.standins.telegram import BotApiStandIn, bind_demo_team, running, standing


def counter(client: TestClient, name: str) -> float:
    """A counter's value in the /metrics text (0 before its first increment)."""
    text = client.get("/metrics").text
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    directory._cache.clear()
    async with standing() as stand_in:
        yield stand_in


async def test_a_delivery_shows_in_the_sent_and_failed_counters(engine: Engine, clock: FakeClock,
                                                                api: BotApiStandIn) -> None:
    load_demo(engine, customers=5, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    client = TestClient(build(Parts(engine=engine, core=core)))
    people = bind_demo_team(engine, api, clock)
    api.blocked.add(people["bob"]["id"])
    sent, failed = counter(client, "salesbot_outbox_sent_total"), counter(client, "salesbot_outbox_failed_total")
    async with running(api, core, "polling") as tg:
        with transaction(session_factory(engine)) as s:
            for name in ("alice", "carol", "bob"):
                user = s.exec(select(User).where(col(User.name) == name)).one()
                to_user(s, user, Reply(text=f"hello {name}"), now=clock(), prefer="telegram")
        assert await tg.bot.deliver() == 2
    assert counter(client, "salesbot_outbox_sent_total") == sent + 2
    assert counter(client, "salesbot_outbox_failed_total") == failed + 1  # bob blocked the bot: given up


def test_a_sweep_shows_in_the_reminders_claimed_counter(engine: Engine, clock: FakeClock) -> None:
    seed_due_followups(engine, n=7, now=clock(), users=2)
    client = TestClient(build(Parts(engine=engine, core=Core(engine, clock=clock))))
    before = counter(client, "salesbot_reminders_claimed_total")
    result = ReminderClock(engine, now=clock).sweep()
    assert result.claimed >= 7
    assert counter(client, "salesbot_reminders_claimed_total") == before + result.claimed



def test_metrics_labels_come_from_the_command_registry_whatever_is_typed() -> None:
    import random
    import string

    from bot import metrics
    from bot.observe import observe
    from handlers.core import command_of
    from handlers.registry import COMMANDS, load_all
    from handlers.types import ChatRef, Incoming

    load_all()
    rng = random.Random(16)
    alphabet = string.ascii_letters + string.digits + "_@\ud800é"
    sizes = []
    for _ in range(2):
        for i in range(5000):  # what strangers (rate-limited or not) and users may type after a slash
            word = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
            incoming = Incoming(chat=ChatRef("console", "local", f"u{i}"), user=f"u{i}", text=f"/{word} x")
            observe(incoming, command_of(incoming), 0.001, "limited" if i % 2 else "ok")
        sizes.append(len(metrics.render().splitlines()))
    for name in ("today", "visit", "VISIT@salesbot"):
        incoming = Incoming(chat=ChatRef("console", "local", "u"), user="u", text=f"/{name} x")
        assert command_of(incoming) == name.split("@")[0].lower()
    text = metrics.render().decode()
    labels = set(re.findall(r'command="([^"]*)"', text))
    names = {c.name for c in COMMANDS.values()}
    assert labels <= names | {"other", "click", "text"}, labels - names
    assert "other" in labels
    assert sizes[0] == sizes[1] == len(text.splitlines()) < 200, sizes  # 10,000 random commands later: bounded
