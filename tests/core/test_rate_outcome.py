"""A flood over the rate limit is counted as "limited", not "ok": in the turn observer and at /metrics."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from starlette.testclient import TestClient

from bot.observe import observe
from bot.web import Parts, build
from handlers.context import Settings
from handlers.core import Core
from handlers.types import ChatRef, Incoming
from sales.demo import load_demo
from tests.conftest import FakeClock


def _limited(client: TestClient) -> float:
    text = client.get("/metrics").text
    found = re.search(r'^salesbot_turns_total\{outcome="limited",platform="console"\} ([\d.e+]+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_a_burst_over_the_limit_is_limited_in_the_observer_and_at_metrics(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=0, now=clock())
    seen: list[tuple[str, str]] = []

    def watch(incoming: Incoming, command: str, seconds: float, outcome: str) -> None:
        seen.append((command, outcome))
        observe(incoming, command, seconds, outcome)

    core = Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=3, rate_window_s=10),
                observer=watch)
    client = TestClient(build(Parts(engine=engine, core=core)))
    before = _limited(client)
    dave = ChatRef("console", "local", "dave")  # an English-speaking rep of the demo team
    answers = [core.handle(Incoming(chat=dave, user="dave", text="/help")) for _ in range(6)]
    assert [bool(a) for a in answers] == [True, True, True, True, False, False]
    assert "Slow down" in answers[3][0].text
    assert seen == [("help", "ok")] * 3 + [("help", "limited")] * 3
    assert _limited(client) == before + 3
    clock.advance(seconds=10)
    assert core.handle(Incoming(chat=dave, user="dave", text="/help")) and seen[-1] == ("help", "ok")
    assert _limited(client) == before + 3
