"""The demo book's deals move and close like real ones: its funnel shows a believable sales cycle."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from storage.models import (
    Activity,
    Customer,
    Deal,
    FollowUp,
    Installment,
    Payment,
    Quote,
    SalesOrder,
    StageChange,
    Team,
)
from tests.conftest import FakeClock
from tests.transcript import Transcript

BEFORE_LOST = ("prospect", "qualified", "proposal", "negotiation")


def test_demo_deals_close_after_their_moves_within_sixteen_weeks(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    load_demo(engine, customers=200, now=now)
    with Session(engine) as s:
        deals = s.exec(select(Deal)).all()
        born = {c.id: c.created_at for c in s.exec(select(Customer)).all()}
        moves: dict[int | None, list[StageChange]] = defaultdict(list)
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


def _history(s: Session) -> dict[int | None, list[StageChange]]:
    moves: dict[int | None, list[StageChange]] = defaultdict(list)
    for m in s.exec(select(StageChange).order_by(col(StageChange.id))).all():
        moves[m.deal_id].append(m)
    return moves


def _local_day(at: datetime, s: Session) -> date:
    return at.astimezone(ZoneInfo(s.exec(select(Team.tz)).one())).date()


def test_nothing_happens_to_a_demo_customer_before_it_exists(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    load_demo(engine, customers=200, now=now)
    with Session(engine) as s:
        customers = {c.id: c for c in s.exec(select(Customer)).all()}
        acts: dict[int | None, list[datetime]] = defaultdict(list)
        for a in s.exec(select(Activity)).all():
            acts[a.customer_id].append(a.at)
        followups = s.exec(select(FollowUp)).all()
        deals = s.exec(select(Deal)).all()
        quotes = s.exec(select(Quote)).all()
    young = [c for c in customers.values() if now - c.created_at < timedelta(days=90)]
    assert young and all(acts[c.id] for c in young), "the check needs young customers with activities"
    for c in customers.values():
        assert all(c.created_at <= at <= now for at in acts[c.id]), f"customer #{c.id}: activity before it existed"
        assert c.last_contact_at == max(acts[c.id]), f"customer #{c.id}: last contact is not its latest activity"
        assert c.created_at <= c.updated_at <= now
    for f in followups:
        assert customers[f.customer_id].created_at <= f.created_at <= min(f.due_at, now), f"follow-up #{f.id}"
    opened = {d.id: d.created_at for d in deals}
    for d in deals:
        assert customers[d.customer_id].created_at <= d.created_at
    for q in quotes:
        assert opened[q.deal_id] <= q.created_at <= now, f"quote #{q.id}"


def test_a_demo_order_dates_from_its_win_and_falls_due_after_it(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    load_demo(engine, customers=200, now=now)
    with Session(engine) as s:
        won = {d.id: d for d in s.exec(select(Deal).where(col(Deal.stage) == "won")).all()}
        orders = {o.id: o for o in s.exec(select(SalesOrder)).all()}
        plans: dict[int | None, list[Installment]] = defaultdict(list)
        for i in s.exec(select(Installment).order_by(col(Installment.seq))).all():
            plans[i.order_id].append(i)
        payments = s.exec(select(Payment)).all()
        won_on = {d.id: _local_day(d.closed_at, s) for d in won.values() if d.closed_at}
        today = _local_day(now, s)
    assert len(orders) == len(won) > 5 and {o.deal_id for o in orders.values()} == set(won) and payments
    for o in orders.values():
        deal = won[o.deal_id]
        assert o.created_at == deal.closed_at, f"order #{o.id} is not dated at its deal's win"
        days = [i.due_on for i in plans[o.id]]
        assert len(days) == 2 and won_on[deal.id] < days[0] < days[1], f"order #{o.id}: due {days}"
    for p in payments:
        o = orders[p.order_id]
        assert won_on[o.deal_id] <= p.paid_on <= today, f"payment #{p.id} paid {p.paid_on}"
        assert o.created_at <= p.created_at <= now, f"payment #{p.id} recorded {p.created_at}"
    late = [i for plan in plans.values() for i in plan if i.due_on < today and i.paid < i.amount]
    assert late, "the demo keeps overdue receivables to chase"


def test_a_closed_demo_deal_was_expected_to_close_when_it_did(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    load_demo(engine, customers=200, now=now)
    with Session(engine) as s:
        deals = s.exec(select(Deal)).all()
        days = {d.id: (_local_day(d.created_at, s), d.closed_at and _local_day(d.closed_at, s)) for d in deals}
    assert any(d.closed_at for d in deals) and any(d.closed_at is None for d in deals)
    for d in deals:
        opened, closed = days[d.id]
        if d.closed_at is not None:
            assert d.expected_close == closed, f"deal #{d.id} closed {closed}, expected {d.expected_close}"
        else:
            assert d.expected_close is not None and d.expected_close > opened, f"deal #{d.id}"


def test_demo_deals_are_lost_from_every_stage_with_the_moves_that_got_them_there(
    engine: Engine, clock: FakeClock,
) -> None:
    load_demo(engine, customers=200, now=clock())
    with Session(engine) as s:
        lost = s.exec(select(Deal).where(col(Deal.stage) == "lost")).all()
        moves = _history(s)
        quoted = set(s.exec(select(Quote.deal_id).where(col(Quote.status) != "cancelled")).all())
    reached: dict[str, int] = defaultdict(int)
    for d in lost:
        path = [m.to_stage for m in moves[d.id]]
        far = len(path) - 1
        assert far >= 1 and path == [*BEFORE_LOST[:far], "lost"], f"deal #{d.id}: {path}"
        assert [m.from_stage for m in moves[d.id]] == [None, *path[:-1]], f"deal #{d.id}"
        assert d.lost_reason
        assert (d.budget is not None) == (far >= 2), f"deal #{d.id}: qualified without a budget, or the reverse"
        assert (d.id in quoted) == (far >= 3), f"deal #{d.id}: a proposal needs a quote"
        reached[path[-2]] += 1
    assert set(reached) == set(BEFORE_LOST), reached
    assert reached["prospect"] > reached["negotiation"], reached


def test_the_demo_is_the_same_book_for_the_same_seed(engine: Engine, clock: FakeClock) -> None:
    def book() -> tuple[list[Any], ...]:
        with Session(engine) as s:
            return (sorted((c.name, c.grade, c.created_at, c.last_contact_at) for c in s.exec(select(Customer))),
                    sorted((d.id, d.stage, d.amount, d.created_at, d.closed_at, d.expected_close)
                           for d in s.exec(select(Deal))),
                    sorted((m.deal_id, m.to_stage, m.at) for m in s.exec(select(StageChange))),
                    sorted((a.customer_id, a.at, a.summary) for a in s.exec(select(Activity))),
                    sorted((i.order_id, i.seq, i.due_on, i.paid) for i in s.exec(select(Installment))))

    load_demo(engine, customers=60, now=clock())
    first = book()
    load_demo(engine, customers=60, now=clock(), reset=True)
    assert book() == first
