"""The demo book's deals move and close like real ones: its funnel shows a believable sales cycle."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from storage.models import Customer, Deal, StageChange
from tests.conftest import FakeClock
from tests.transcript import Transcript


def test_demo_deals_close_after_their_moves_within_sixteen_weeks(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    load_demo(engine, customers=200, now=now)
    with Session(engine) as s:
        deals = s.exec(select(Deal)).all()
        born = {c.id: c.created_at for c in s.exec(select(Customer)).all()}
        moves: dict[int, list[StageChange]] = defaultdict(list)
        for m in s.exec(select(StageChange).order_by(col(StageChange.id))).all():
            moves[m.deal_id].append(m)
    closed = [d for d in deals if d.closed_at is not None]
    assert len(closed) > 10 and len(deals) > len(closed)
    for d in deals:
        history = moves[d.id]
        at = [m.at for m in history]
        assert at == sorted(set(at)), f"deal #{d.id}: moves out of order {at}"
        assert born[d.customer_id] <= d.created_at == at[0] and at[-1] <= now and history[-1].to_stage == d.stage
        if d.closed_at is not None:
            assert at[-1] <= d.closed_at <= now, f"deal #{d.id} closed before its last move"
            assert timedelta(weeks=2) <= d.closed_at - d.created_at <= timedelta(weeks=16), f"deal #{d.id}"


def test_the_funnel_of_the_demo_shows_a_cycle_of_weeks_not_a_year(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=200, now=clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
    t.say("@bob: /lang en")
    out = t.say(f"@bob: /report funnel {clock().year}")
    found = re.search(r"average cycle ([\d.]+) days", out)
    assert found, out
    assert 14 <= float(found.group(1)) <= 112, out
