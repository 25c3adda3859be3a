"""A burst at one chat and at a group: PTB's AIORateLimiter (plus the per-chat limiter) keeps the pace the
stand-in enforces, waits out a 429, and every message arrives exactly once."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from bot.adapters.telegram.limits import Limits
from handlers.context import Settings
from handlers.core import Core
from handlers.types import ChatRef, Reply
from tests.conftest import FakeClock
from tests.standins.telegram import ApiError, BotApiStandIn, Fault, conforms, running, standing

CHAT = (1, 0.25)  # one message per 0.25 s in a chat
GROUP = (3, 1.0)  # three per second in a group
OVERALL = (5, 1.0)  # five per second for the bot: below the two together, so it binds too
GROUP_ID = -1001234567890


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    async with standing() as stand_in:
        yield stand_in


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # no database work here: one engine is enough
async def test_a_burst_keeps_the_configured_pace_waits_out_a_429_and_loses_nothing(
        engine: Engine, clock: FakeClock, api: BotApiStandIn) -> None:
    alice = api.user(7001, "alice")
    api.started.add(alice["id"])
    api.group(GROUP_ID, "Sales team")
    api.limits = {"chat": CHAT, "group": GROUP, "overall": OVERALL}  # Telegram's flood control, scaled down
    fault = Fault("sendMessage", ApiError(429, "Too Many Requests: retry after 1", retry_after=1), chat_id=7001,
                  after=3)
    api.faults.append(fault)
    limits = Limits(overall=OVERALL, group=GROUP, chat=CHAT, max_retries=3)
    core = Core(engine, clock=clock, settings=Settings())
    async with running(api, core, "polling", limits=limits) as live:
        ws = str(api.me["id"])
        private = [(ChatRef("telegram", ws, "7001"), f"private {i}") for i in range(8)]
        group = [(ChatRef("telegram", ws, str(GROUP_ID)), f"group {i}") for i in range(8)]
        started = time.monotonic()
        await asyncio.gather(*(live.bot.send(to, Reply(text=text)) for to, text in private + group))
        took = time.monotonic() - started

    sends = [a for a in api.arrivals if a.method == "send"]
    texts = Counter(a.message["text"] for a in sends)
    assert texts == Counter(text for _, text in private + group), "every message exactly once"
    assert api.violations == [], "the stand-in never had to refuse for pace"
    at = {chat: [a.at for a in sends if a.chat_id == chat] for chat in (7001, GROUP_ID)}
    for chat_times in at.values():  # one chat: one at a time, a quarter of a second apart
        assert min(b - a for a, b in itertools.pairwise(chat_times)) >= CHAT[1] / CHAT[0]
    assert conforms(at[GROUP_ID], *GROUP, slack=api.slack)
    assert conforms([a.at for a in sends], *OVERALL, slack=api.slack)
    # the 429 was waited out: the refused message came back after retry_after, nothing went to that chat
    # meanwhile (the stand-in would have refused it), and the chat's messages kept their order
    (refused_at,) = fault.hits
    refused = [p["text"] for t, m, p in api.calls if m == "sendMessage" and t <= refused_at][-1]
    (retried,) = [a.at for a in sends if a.message["text"] == refused]
    assert retried >= refused_at + 1.0
    assert not [a for a in sends if a.chat_id == 7001 and refused_at < a.at < refused_at + 1.0]
    assert [a.message["text"] for a in sends if a.chat_id == 7001] == [text for _, text in private]
    # 16 messages at five a second, with a burst of five and a one-second pause: seconds, not minutes
    assert 2.0 <= took < 15, took


def test_the_stand_ins_check_would_catch_a_burst_with_no_limiter() -> None:
    assert not conforms([0.0 + i * 0.001 for i in range(16)], *OVERALL, slack=0.5)
    assert conforms([i * 0.2 for i in range(16)], *OVERALL, slack=0.5)
