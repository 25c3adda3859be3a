"""Telegram's command menus (setMyCommands) at the adapter's start: per language, and per role in each bound
person's private chat, against the Bot API stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from tests.conftest import FakeClock
from tests.standins.telegram import BotApiStandIn, bind_demo_team, running, standing


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    """The local Bot API, listening."""
    async with standing() as stand_in:
        yield stand_in


def names(api: BotApiStandIn, scope: str, lang: str = "") -> list[str]:
    return [c["command"] for c in api.menus[(scope, lang)]]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_menus_per_language_and_per_role_are_set_at_start(engine: Engine, clock: FakeClock,
                                                                api: BotApiStandIn, mode: str) -> None:
    load_demo(engine, customers=5, now=clock())
    people = bind_demo_team(engine, api, clock)
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with running(api, core, mode) as tg:
        assert tg.bot.menus_task is not None
        assert await tg.bot.menus_task == 3 + len(people)
    # everyone (a stranger too): what works before /join, in English and in Chinese
    assert names(api, "default") == names(api, "default", "zh") == names(api, "default", "en") \
        == ["help", "join", "start"]
    assert api.menus[("default", "zh")][0]["description"] != api.menus[("default", "en")][0]["description"]
    alice, dave, fay, carol = (f"chat:{people[n]['id']}" for n in ("alice", "dave", "fay", "carol"))
    assert names(api, alice)[:3] == ["today", "followups", "visit"] and "config" not in names(api, alice)
    assert "config" in names(api, carol) and "paid" in names(api, fay) and "visit" not in names(api, fay)
    assert "paid" not in names(api, dave)
    said = {c["command"]: c["description"] for c in api.menus[(alice, "")]}  # alice reads Chinese
    assert said["today"] != {c["command"]: c["description"] for c in api.menus[(dave, "")]}["today"]
    assert all(1 <= len(c["description"]) <= 256 for menu in api.menus.values() for c in menu)
