"""Cadence follow-ups respect attention (never in the past, a few a rep a day, grade A first); working days."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from sales.reminders import CADENCE_PER_DAY, plan
from sales.reminders.calendar import Calendar
from storage.models import Customer, FollowUp, Team, User
from tests.conftest import FakeClock

SH = ZoneInfo("Asia/Shanghai")
CADENCE = {"A": 7, "B": 14, "C": 30}


def old_book(engine: Engine, now: datetime, *, reps: int, customers: int) -> None:
    """A team of `reps` reps sharing `customers` customers last contacted 60 to 700 days ago."""
    with Session(engine) as s:
        t = Team(name="T", created_at=now)
        s.add(t)
        s.flush()
        ids = []
        for i in range(reps):
            u = User(team_id=t.id, name=f"rep{i}", role="rep", created_at=now)
            s.add(u)
            s.flush()
            ids.append(u.id or 0)
        for i in range(customers):
            last = now - timedelta(days=60 + (i * 37) % 640)
            s.add(Customer(team_id=t.id, name=f"C{i}", name_key=f"c{i}", grade="ABCCB"[(i // reps) % 5],
                           owner_id=ids[i % reps], last_contact_at=last, created_at=last, updated_at=last))
        s.commit()


@pytest.mark.slow
def test_a_thousand_old_customers_are_spread_within_the_cap_and_reached_within_their_cadence(
        engine: Engine, clock: FakeClock) -> None:
    start = clock()
    old_book(engine, start, reps=20, customers=1000)
    for _ in range(31):  # a month of passes: morning and afternoon
        for hour in (1, 7):  # 09:00 and 15:00 in Shanghai
            clock.now = clock.now.replace(hour=hour)
            with Session(engine) as s:
                plan(s, now=clock(), digests=False)
                s.commit()
        clock.advance(days=1)
    with Session(engine) as s:
        rows = s.execute(select(FollowUp, Customer).join(Customer, Customer.id == FollowUp.customer_id)).all()
    per_day = Counter((f.owner_id, f.due_at.astimezone(SH).date()) for f, _ in rows)
    assert max(per_day.values()) <= CADENCE_PER_DAY
    assert {c.id for _, c in rows} and len({c.id for _, c in rows}) == 1000 == len(rows)
    for f, c in rows:
        assert f.due_at >= f.created_at  # never due in the past
        assert f.due_at.astimezone(SH).isoweekday() <= 5
        assert f.due_at <= start + timedelta(days=CADENCE[c.grade]), (c.grade, f.due_at)
    by_rep: dict[int, dict[str, list[datetime]]] = {}
    for f, c in rows:
        by_rep.setdefault(f.owner_id, {}).setdefault(c.grade, []).append(f.due_at)
    for grades in by_rep.values():  # grade A first
        assert max(grades["A"]) <= min(grades["B"]) <= max(grades["B"]) <= min(grades["C"])


def test_a_customer_first_seen_long_ago_is_due_at_the_next_working_moment_not_in_the_past(
        engine: Engine, clock: FakeClock) -> None:
    old_book(engine, clock(), reps=1, customers=12)  # Sunday: nothing lands on the weekend
    with Session(engine) as s:
        plan(s, now=clock(), digests=False, cadence_per_day=3)
        s.commit()
        dues = sorted(f.due_at for f in s.execute(select(FollowUp)).scalars())
    assert dues == [datetime(2026, 11, 23, 1, 0, tzinfo=UTC)] * 3  # Monday 09:00, three of them, the rest wait


def test_working_days_follow_china_s_holidays_and_make_up_days_with_the_team_s_own_first() -> None:
    team = Team(name="t", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    cal = Calendar.of(team)
    assert cal.country == "CN"
    assert not cal.is_working_day(date(2026, 10, 1))  # National Day, a Thursday
    assert not cal.is_working_day(date(2026, 10, 7))  # a weekday off, made up on Saturday the 10th
    assert cal.is_working_day(date(2026, 10, 10)) and cal.is_working_day(date(2026, 2, 14))  # 调休 Saturdays
    assert cal.working_moment(datetime(2026, 9, 30, 12, tzinfo=UTC)) == datetime(2026, 10, 8, 1, tzinfo=UTC)
    team.holidays, team.extra_workdays = "2026-12-24", "2026-10-05"
    own = Calendar.of(team)
    assert not own.is_working_day(date(2026, 12, 24)) and own.is_working_day(date(2026, 10, 5))
    team.holidays = "@off"
    assert Calendar.of(team).is_working_day(date(2026, 10, 1))
    berlin = Team(name="b", tz="Europe/Berlin", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert Calendar.of(berlin).country == "DE" and Calendar.of(berlin).is_working_day(date(2026, 10, 1))


def test_the_first_pass_after_a_demo_load_makes_nothing_due_in_the_past(engine: Engine, clock: FakeClock) -> None:
    from sales.demo import load_demo

    load_demo(engine, customers=300, now=clock())
    with Session(engine) as s:
        made = plan(s, now=clock(), digests=False).counts["cadence"]
        s.commit()
        fus = s.execute(select(FollowUp).where(FollowUp.reason != "activity")).scalars().all()  # type: ignore[arg-type]
    assert made == len(fus) > 0
    assert all(f.due_at >= clock() for f in fus)
    per_day = Counter((f.owner_id, f.due_at.astimezone(SH).date()) for f in fus)
    assert max(per_day.values()) <= CADENCE_PER_DAY
