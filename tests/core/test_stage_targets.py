"""Stage time targets (issue 19): each stage's target in working days (/config stage-days), the day of the stay on
the deal card, the owner told once and the manager after as long again (the leased reminders, working days and
holidays), stalled deals in the digests, and /report stages against the targets. The demo team; the clock starts on
Sunday 2026-11-22 10:00 in Shanghai."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.clock import ReminderClock
from handlers.context import Settings
from sales.reminders.calendar import Calendar
from sales.reminders.stalls import day_of_stay, deadline
from storage.db import session_factory, transaction
from storage.models import Deal, Outbox, Stage, StageChange, Team, User
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog

MONDAY = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def at_proposal_since(engine: Engine, demo: Transcript, when: datetime = MONDAY) -> int:
    """A deal of alice's that entered proposal at `when`."""
    demo.say("@alice: /customer add 星河仪器有限公司")
    out = demo.say("@alice: /deal new 星河仪器有限公司 检测设备 100000")
    n = int(re.search(r"#(\d+)", out).group(1))  # type: ignore[union-attr]
    with transaction(session_factory(engine)) as s:
        d = s.get(Deal, n)
        assert d is not None
        d.stage, d.probability = "proposal", 60
        s.add(d)
        s.add(StageChange(deal_id=n, from_stage="prospect", to_stage="proposal", by_id=d.owner_id, at=when))
    return n


def texts_to(engine: Engine, who: str, mark: str) -> list[str]:
    with session_factory(engine)() as s:
        uid = s.exec(select(User.id).where(col(User.name) == who)).one()
        rows = s.exec(select(Outbox).where(col(Outbox.user_id) == uid).order_by(col(Outbox.id))).all()
        texts = [json.loads(r.payload)["text"] for r in rows]
        return [t for t in texts if t.startswith("⏳") and mark in t]  # the flags, not the digests


def test_working_days_of_a_stay_and_its_deadlines() -> None:
    cal = Calendar.of(Team(name="t", created_at=MONDAY))
    sh = cal.tz
    assert day_of_stay(cal, MONDAY, MONDAY) == 1
    assert day_of_stay(cal, MONDAY, datetime(2026, 11, 22, 10, tzinfo=sh)) == 5  # the weekend does not count
    # the owner is told on the 4th working day's morning, the manager on the 7th
    assert deadline(cal, MONDAY, 3) == datetime(2026, 11, 19, 9, tzinfo=sh)
    assert deadline(cal, MONDAY, 6) == datetime(2026, 11, 24, 9, tzinfo=sh)
    # China's National Day week is not worked: a stay begun on 2026-09-30 is on its 2nd working day on 10-08
    assert day_of_stay(cal, datetime(2026, 9, 30, 2, tzinfo=UTC), datetime(2026, 10, 8, 2, tzinfo=UTC)) == 2


def test_the_deal_card_shows_the_day_of_its_stage_against_the_target(engine: Engine, demo: Transcript) -> None:
    n = at_proposal_since(engine, demo)
    assert "⚠️ Proposal day 5 / target 3 working days" in demo.say(f"@alice: /deal {n}")
    demo.say("@alice: /lang zh")
    assert "⚠️ 方案报价 第 5 天 / 目标 3 个工作日" in demo.say(f"@alice: /deal {n}")


def test_the_owner_is_told_once_and_the_manager_after_as_long_again(engine: Engine, demo: Transcript,
                                                                     clock: FakeClock) -> None:
    n = at_proposal_since(engine, demo)
    rc = ReminderClock(engine, now=clock, settings=Settings(default_lang="en"), worker="w")
    rc.sweep()  # Sunday: due since Thursday morning, but the bot's chasing waits for a working day
    assert texts_to(engine, "alice", f"#{n} ") == []
    clock.now = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)  # Monday 09:05
    rc.sweep()
    told = texts_to(engine, "alice", f"#{n} ")
    assert len(told) == 1 and "is past its stage's time: ⚠️ Proposal day 6 / target 3 working days" in told[0]
    assert texts_to(engine, "bob", f"#{n} ") == []
    clock.now = datetime(2026, 11, 24, 1, 5, tzinfo=UTC)  # Tuesday 09:05: the 7th working day, twice the target
    rc.sweep()
    rc.sweep()
    assert len(texts_to(engine, "alice", f"#{n} ")) == 1  # once
    managers = texts_to(engine, "bob", f"#{n} ")
    assert len(managers) == 1 and "alice's deal #" in managers[0] and "Proposal day 7 / target 3" in managers[0]


def test_a_deal_that_moves_on_is_not_flagged(engine: Engine, demo: Transcript, clock: FakeClock) -> None:
    n = at_proposal_since(engine, demo, MONDAY + timedelta(days=1))
    rc = ReminderClock(engine, now=clock, settings=Settings(default_lang="en"), worker="w")
    rc.sweep()  # Sunday: the flag is made, waiting for Monday
    assert "→ Negotiation" in demo.say(f"@bob: /advance {n} negotiation because 已口头报价")
    clock.now = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)
    rc.sweep()
    assert texts_to(engine, "alice", f"#{n} ") == []


def test_stalled_deals_in_the_digests_and_the_stages_report(engine: Engine, demo: Transcript) -> None:
    n = at_proposal_since(engine, demo)
    mine = demo.say("alice", "/digest")
    assert "Your deals past their stage's time" in mine
    assert f"#{n} 星河仪器有限公司 · 检测设备 · ⚠️ Proposal day 5 / target 3 working days" in mine
    team = demo.say("bob", "/digest team")
    assert "Deals past their stage's time (" in team, team
    assert f"#{n} 星河仪器有限公司 · 检测设备 · ⚠️ Proposal day 5 / target 3 working days (alice)" in team, team
    report = demo.say("bob", "/report stages")
    assert "Over their stage's target now" in report and f"#{n} 星河仪器有限公司 · 检测设备" in report
    assert re.search(r"median [\d.]+ working days / target \d+", report), report


def test_targets_are_set_by_an_admin(engine: Engine, demo: Transcript) -> None:
    try:
        assert_dialog(demo, [
            ("@alice: /config stage-days", "Your role can't use /config"),
            ("@bob: /config stage-days", ["Proposal: 3 working days", "Negotiation: 5 working days",
                                          "Won: 5 working days", "from signing to the first payment"]),
            ("@bob: /config stage-days proposal 4", "Only an admin"),
            ("@carol: /config stage-days 方案报价 4", "Proposal: a deal is flagged to its owner after 4 working days"),
            ("@carol: /config stage-days proposal 0", "E.g.: /config stage-days proposal 3"),
            ("@carol: /config stage-days qualified off", "Qualified: no time target now."),
            ("@bob: /config stage-days", ["Proposal: 4 working days", "Qualified: no target"]),
        ])
        n = at_proposal_since(engine, demo)
        assert "⚠️ Proposal day 5 / target 4 working days" in demo.say(f"@alice: /deal {n}")
    finally:  # the stages outlive a test on PostgreSQL (not truncated)
        with transaction(session_factory(engine)) as s:
            for key, days in (("proposal", 3), ("qualified", 10)):
                st = s.get(Stage, key)
                assert st is not None
                st.target_days = days
                s.add(st)
