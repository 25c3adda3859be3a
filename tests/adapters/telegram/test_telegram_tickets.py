"""A ticket in Telegram: opened with its priority asked by buttons, handed to a colleague who is told, resolved by a
status button, through the real PTB Application against the local Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from sales.names import directory
from tests.conftest import FakeClock
from tests.standins.telegram import BotApiStandIn, bind_demo_team, expect, running, standing


@pytest.fixture(autouse=True)
def fresh_name_index() -> None:
    """A fresh customer-name index per test (the PostgreSQL fixture truncates tables between tests)."""
    directory._cache.clear()


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    """The local Bot API, listening."""
    async with standing() as stand_in:
        yield stand_in


@pytest.mark.slow
async def test_a_ticket_in_telegram(engine: Engine, clock: FakeClock, api: BotApiStandIn) -> None:
    load_demo(engine, customers=5, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    people = bind_demo_team(engine, api, clock)
    bob, dave = people["bob"], people["dave"]
    names = {p["id"]: n for n, p in people.items()}
    async with running(api, core, "polling", names) as tg:
        expect(await tg.say(bob, "/lang en"), "OK, English")
        expect(await tg.say(bob, "/customer add 华东精密机械有限公司 grade A"), "Created customer")
        seen = await tg.say(bob, "/ticket new 华东精密 主轴异响")
        expect(seen, "Which priority?", "[P1 urgent]  [P2 high]  [P3 normal]")
        seen = await tg.press(bob, seen.messages(bob["id"])[-1], "P2 high")
        expect(seen, "Ticket #1 opened for 华东精密机械有限公司 (P2), assigned to bob")
        expect(await tg.say(bob, "/ticket 1 assign dave"), "Ticket #1 is now dave's.",
               "→ dave: Ticket #1 (华东精密机械有限公司, P2) is yours now: 主轴异响")
        seen = await tg.say(dave, "/ticket 1")
        expect(seen, "Ticket #1 · 华东精密机械有限公司 · P2 · new", "[Start]  [Wait for customer]  [Resolve]")
        seen = await tg.press(dave, seen.messages(dave["id"])[-1], "Resolve")
        expect(seen, "Ticket #1: resolved.", "[Close]  [Reopen]  [Comment]")
