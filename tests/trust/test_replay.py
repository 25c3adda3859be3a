"""Replay: every inbound event of a scripted day delivered four times (two racing each other, one right after,
one three events later, as Slack retries and Telegram redeliveries do): duplicates created 0."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from handlers.context import Settings
from handlers.core import Core
from handlers.types import Incoming
from tests.conftest import FakeClock
from tests.trust import day
from tests.trust.chat import figure

CUSTOMERS = 6


def test_every_event_delivered_four_times_creates_nothing_twice(engine: Engine, clock: FakeClock) -> None:
    day.setup(engine)
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    n = CUSTOMERS * day.STEPS_PER_CUSTOMER
    later: dict[int, list[Incoming]] = {}
    deliveries = answered_again = unanswered = 0

    def again(inc: Incoming) -> None:
        nonlocal deliveries, answered_again
        deliveries += 1
        answered_again += bool(core.handle(inc))

    with ThreadPoolExecutor(2) as pool:
        for i in range(n):
            clock.now = day.at(i)
            inc = day.event(engine, i)
            racing = list(pool.map(core.handle, [inc, inc]))
            deliveries += 2
            unanswered += not any(racing)
            answered_again += sum(bool(r) for r in racing) - 1 if any(racing) else 0
            again(inc)
            later.setdefault(i + 3, []).append(inc)
            for old in later.pop(i, []):
                again(old)
    for rest in later.values():
        for old in rest:
            again(old)

    dups = day.duplicates(engine)
    got = day.tally(engine)
    want = {k: v * CUSTOMERS for k, v in day.EXPECTED.items()} | {"approved": CUSTOMERS}
    figure(f"replay [{engine.dialect.name}]", f"{n} events × 4 = {deliveries} deliveries: duplicates created {dups}, "
                                              f"repeats answered {answered_again}, rows as after one delivery each: "
                                              f"{'yes' if got == want else 'no'}")
    assert deliveries == 4 * n and unanswered == 0
    assert dups == 0 and answered_again == 0
    assert got == want, got
