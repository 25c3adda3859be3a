"""Attention: scheduled texts on the injected clock, the numbered follow-up list, short digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import ReminderClock
from bot.delivery import deliver_due
from handlers.home import home_sections
from handlers.markup import to_plain
from handlers.types import ChatRef, Reply
from storage.models import Customer, FollowUp, User
from tests.conftest import FakeClock
from tests.sales.test_analytics_book import build_book
from tests.transcript import Transcript, assert_dialog


def test_the_monday_digest_charts_last_week_of_the_injected_clock(engine: Engine, clock: FakeClock) -> None:
    build_book(engine)
    clock.now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai; the wall clock is weeks later
    ReminderClock(engine, now=clock, worker="w").sweep()
    sent: list[tuple[str, str]] = []

    def keep(to: ChatRef, r: Reply) -> None:
        if r.image is not None:
            sent.append((to.chat, r.image.name))

    deliver_due(engine, {"console": keep}, clock())
    assert ("bob", "funnel-2026-W47.png") in sent and ("bob", "leaderboard-2026-W47.png") in sent
    assert all(name.endswith("2026-W47.png") for _, name in sent)


def my_followups(engine: Engine, now: datetime, who: str, days: list[float]) -> list[int]:
    """Replace `who`'s open follow-ups with one a day offset in `days` (from now), each at another customer."""
    with Session(engine) as s, s.begin():
        me = s.exec(select(User).where(User.name == who)).one()
        for fu in s.exec(select(FollowUp).where(FollowUp.status == "open")).all():
            fu.status = "done"
            s.add(fu)
        custs = s.exec(select(Customer).where(Customer.owner_id == me.id).order_by(Customer.id)).all()
        out = []
        for i, d in enumerate(days):
            fu = FollowUp(customer_id=custs[i].id or 0, owner_id=me.id or 0, due_at=now + timedelta(days=d),
                          has_time=True, what=f"task {i}", created_at=now - timedelta(days=9))
            s.add(fu)
            s.flush()
            out.append(fu.id or 0)
    return out


def test_today_is_one_numbered_message_with_counts_and_a_compact_keyboard(demo: Transcript, engine: Engine,
                                                                           clock: FakeClock) -> None:
    clock.advance(days=1)  # Monday 10:00 in Shanghai
    ids = my_followups(engine, clock(), "alice", [-3, -1, 0.1, 0.2, 0.3, 2, 3, 4])
    replies = demo.turn("alice", "/today")
    assert len(replies) == 1
    text = to_plain(replies[0].text)
    assert "2 overdue · 3 due today · 3 upcoming" in text and "Upcoming: /followups" in text
    for fid in ids[:5]:
        assert f"{fid}. " in text
    assert f"{ids[5]}. " not in text  # upcoming ones are in /followups
    labels = [b.label for row in replies[0].buttons for b in row]
    assert labels == [x for fid in ids[:5] for x in (f"✓ {fid}", f"💤 {fid}")]
    assert all(len(row) <= 4 for row in replies[0].buttons)
    said = demo.press("alice", f"✓ {ids[2]}")
    assert said.startswith("✓ Done: ") and "· task 2" in said


def test_followups_pages_after_ten(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    ids = my_followups(engine, clock(), "alice", [0.01 * i + 1 for i in range(13)])
    first = demo.turn("alice", "/followups")
    assert len(first) == 1 and "Page 1 of 2" in first[0].text and f"{ids[9]}. " in to_plain(first[0].text)
    assert "0 overdue · 0 due today · 13 upcoming" in to_plain(first[0].text)
    second = demo.press("alice", "More ›")
    assert "Page 2 of 2" in second and f"{ids[12]}. " in second and f"\n{ids[0]}. " not in second
    assert demo.last["alice"][0].edit == "this"


def test_snooze_by_number_or_customer_by_days_or_to_a_date(demo: Transcript, engine: Engine,
                                                           clock: FakeClock) -> None:
    ids = my_followups(engine, clock(), "alice", [1, 2])
    with Session(engine) as s:
        fu = s.get(FollowUp, ids[1])
        assert fu is not None
        c = s.get(Customer, fu.customer_id)
        assert c is not None
        name = c.name
    assert_dialog(demo, [
        (f"@alice: /snooze {name} 3", f"💤 {name} · task 1: snoozed to Fri 2026-11-27"),
        (f"@alice: /snooze {ids[0]} 2026-12-01", "snoozed to Tue 2026-12-01"),
        (f"@alice: /snooze #{ids[0]}", "snoozed to Wed 2026-12-02"),
        ("@alice: /snooze", "Usage"),
    ])


def test_digests_show_the_five_most_urgent_and_the_manager_only_long_overdue_ones(
        demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    clock.advance(days=3)  # Wednesday 10:00 in Shanghai
    ids = my_followups(engine, clock(), "alice", [-9, -8, -7, -6, -5, -4, -3, -2, -1])
    with Session(engine) as s, s.begin():
        fresh = s.get(FollowUp, ids[0])
        assert fresh is not None
        fresh.created_at = clock()  # made today, though dated long ago: never the manager's business
        s.add(fresh)
    mine = demo.say("alice", "/digest")
    assert "Overdue follow-ups (9)" in mine and "4 more (/followups)" in mine
    section = mine.split("Overdue follow-ups (9)")[1].split("\n\n")[0]
    assert section.count("• ") == 5 and "task 4" in section and "task 5" not in section  # the oldest first
    boss = demo.say("bob", "/digest")
    # Wednesday: more than 3 working days overdue means due before Friday (the 20th) began.
    assert "Team follow-ups overdue more than 3 working days (3)" in boss
    assert "task 0" not in boss and "task 1" in boss and "task 3" in boss and "task 4" not in boss


def test_the_slack_home_today_list_is_the_same_numbered_view(demo: Transcript, engine: Engine,
                                                             clock: FakeClock) -> None:
    ids = my_followups(engine, clock(), "dave", [-1, 0.1])
    home = home_sections(demo.core, "console", "local", "dave")
    title, replies = home.sections[0]
    assert title == "Today's and overdue follow-ups" and len(replies) == 1
    assert "1 overdue · 1 due today · 0 upcoming" in replies[0].text
    assert [b.label for row in replies[0].buttons for b in row] == [f"{m} {i}" for i in ids for m in ("✓", "💤")]
    assert replies[0].text == demo.turn("dave", "/today")[0].text


def test_a_manager_overrides_the_holidays_of_the_team(demo: Transcript) -> None:
    assert_dialog(demo, [
        ("@bob: /config holidays", ["Public holidays: CN", "days off: none", "working days: none"]),
        ("@bob: /config holiday 2026-12-24 2026-12-31", "days off: 2026-12-24, 2026-12-31"),
        ("@bob: /config holiday remove 2026-12-31", "days off: 2026-12-24\n"),
        ("@bob: /config workday 2026-10-08", "working days: 2026-10-08"),
        ("@bob: /config holiday christmas", "Give dates like 2026-12-24."),
        ("@bob: /config holidays XX", "Unknown country code “XX”"),
        ("@bob: /config holidays off", "Public holidays are off"),
        ("@bob: /config holidays hk", "Public holidays now follow HK."),
        ("@bob: /config", ["Public holidays: HK", "days off: 2026-12-24"]),
        ("@alice: /config holidays off", "can't use /config"),
    ])


def test_a_dialogue_interrupted_by_a_command_is_parked_and_continued_or_dropped(demo: Transcript,
                                                                               clock: FakeClock) -> None:
    asked = demo.say("@alice: /customer add")
    question = asked.split("→ alice: ", 1)[-1].strip().splitlines()[0]
    said = demo.say("alice", "/today")
    assert "📋 Follow-ups" in said and said.endswith("⏸ The dialogue before is on hold.")
    out = assert_dialog(demo, [
        ("@alice: /customers mine", "Customers"),
        ("@alice: hello", "I didn't get that"),  # on hold: not its answer
    ])
    assert "on hold" not in "".join(out)  # said once
    assert demo.press("alice", "Continue") == question
    assert "on hold" in demo.say("alice", "/followups")  # interrupted again: its question is still known
    assert demo.press("alice", "Continue") == question
    assert_dialog(demo, [("@alice: 远东重工", "Created customer 远东重工")])
    demo.say("@alice: /customer add")
    assert "on hold" in demo.say("alice", "/today")
    assert demo.press("alice", "Drop") == "OK, dropped."
    assert_dialog(demo, [("@alice: 东海船舶", "I didn't get that")])


def test_a_parked_dialogue_expires_quietly_at_its_own_time(demo: Transcript, clock: FakeClock) -> None:
    demo.say("@alice: /customer add")
    assert "on hold" in demo.say("alice", "/today")
    clock.advance(minutes=31)
    assert demo.press("alice", "Continue") == "Nothing is on hold any more."
    out = demo.say("@alice: 南山钢铁")
    assert "Created" not in out and "hold" not in out


def test_not_found_inside_a_dialogue_offers_the_closest_names_and_keeps_the_dialogue(demo: Transcript) -> None:
    assert_dialog(demo, [
        ("@alice: /customer add 中原晟达数控设备有限公司", "Created customer"),
        ("@alice: /visit", ""),
        ("@alice: 晟达设备中原公司", ["No customer “晟达设备中原公司” found. The closest:", "中原晟达数控设备有限公司"]),
        ("@alice: 中原晟达数控 见了张总", "Logged visit: 中原晟达数控设备有限公司"),
    ])


def test_a_command_missing_its_required_parts_asks_for_them(demo: Transcript) -> None:
    assert_dialog(demo, [
        ("@alice: /customer add 远东重工 grade B", "Created customer 远东重工"),
        ("@alice: /deal new 远东重工", "The deal's title and amount?"),
        ("@alice: 设备 100000", ["Opened deal", "设备", "¥100,000"]),
        ("@alice: /quote new", "Quote for which deal?"),
        ("@alice: 远东重工", "Send the lines"),
        ("@alice: 设备 10 10000", ""),
        ("@alice: done", "What discount?"),
        ("@alice: 0", "total ¥100,000"),
        ("@alice: /won 远东重工", "What is the budget?"),  # from prospect: the rules of the stages it skips
        ("@alice: 预算10万；决策人王总；时间 月底", "Won"),
        ("@alice: /plan", "For which order?"),
        ("@alice: 远东重工", "The plan?"),
        ("@alice: 30% now, 70% 2027-01-15", "Payment plan of order"),
        ("@fay: /lang en", "English"),
        ("@fay: /paid", "For which order?"),
        ("@fay: 远东重工", "How much was received for order #"),
        ("@fay: 30000", "Recorded ¥30,000"),
        ("@alice: /lead add", "Which company?"),
        ("@alice: Zenith Tom 13800001111", "Zenith"),
    ])
