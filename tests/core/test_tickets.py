"""Service tickets: a ticket's life in chat (opened with its priority asked, reminded before its first-response
target, the manager told at the breach, started, commented, reassigned, resolved), its targets in working time,
its permissions, the customer card, /tickets pages and /report service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.clock import ReminderClock
from bot.delivery import deliver_due
from handlers.context import Settings
from handlers.markup import to_plain
from sales import tickets
from sales.reminders.calendar import Calendar
from storage.models import AuditLog, Customer, Team, Ticket, TicketEvent, User
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def _customer_of(engine: Engine, name: str) -> str:
    with Session(engine) as s:
        user = s.exec(select(User).where(User.name == name)).one()
        c = s.exec(select(Customer).where(Customer.owner_id == user.id).order_by(col(Customer.id))).first()
        assert c is not None
        return c.name


def _clock_round(engine: Engine, clock: FakeClock) -> list[tuple[str, str]]:
    """One sweep of the reminders clock and the ticket reminders it sent: (reader, text) (the demo's digests and
    follow-ups, and messages people's turns queued, left out)."""
    ReminderClock(engine, now=clock, settings=Settings(default_lang="en"), worker="w").sweep()
    sent: list[tuple[str, str]] = []
    deliver_due(engine, {"console": lambda to, r: sent.append((to.chat, to_plain(r.text)))}, clock())
    return [(who, text) for who, text in sent if text.startswith(("⏳ Ticket #", "🚨 Ticket #"))]


@pytest.mark.slow
def test_a_tickets_life_with_a_breach(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    clock.now = MONDAY_10
    name = _customer_of(engine, "alice")
    asked = demo.say("alice", f"/ticket new {name} the printer jams")
    assert "Which priority?" in asked
    out = demo.press("alice", "P1 urgent")
    assert "Ticket #1 opened" in out and "assigned to alice" in out
    assert "First response by Mon 2026-11-23 12:00" in out and "resolution by Tue 2026-11-24 10:00" in out

    clock.now = MONDAY_10 + timedelta(minutes=80)  # 11:20: nothing yet
    assert _clock_round(engine, clock) == []
    clock.now = MONDAY_10 + timedelta(minutes=95)  # 11:35: 75 % of the two working hours have passed
    sent = _clock_round(engine, clock)
    assert [who for who, _ in sent] == ["alice"]
    assert "⏳ Ticket #1" in sent[0][1] and "first response is due by Mon 2026-11-23 12:00" in sent[0][1]
    assert _clock_round(engine, clock) == []  # once

    clock.now = MONDAY_10 + timedelta(hours=2, minutes=1)  # 12:01: the target has passed
    sent = _clock_round(engine, clock)
    assert [who for who, _ in sent] == ["bob"]  # the team's manager
    assert "🚨 Ticket #1" in sent[0][1] and "missed its first response target" in sent[0][1]
    assert "Assignee: alice" in sent[0][1]

    assert_dialog(demo, [
        ("@alice: /ticket 1", ["the printer jams", "First response by Mon 2026-11-23 12:00 ⚠️ missed", "[", "Start"]),
        ("@bob: /tickets overdue", ["#1 P1", "⚠️ overdue"]),
        ("@alice: /ticket 1 start", "Ticket #1: in progress."),
        ("@alice: /ticket 1 comment ordered the roller", "Comment added to ticket #1."),
        ("@alice: /ticket 1 assign dave", "Only a manager or an admin can reassign tickets."),
        ("@bob: /ticket 1 assign dave", ["Ticket #1 is now dave's.", "→ dave:", "is yours now"]),
        ("@dave: /tickets mine", "#1 P1"),
        ("@fay: /ticket 1", "Your role can't use /ticket."),
    ])
    clock.now += timedelta(hours=1)
    out = demo.say("dave", "/ticket 1")
    assert "First response: Mon 2026-11-23 12:01 ⚠️ missed" in out
    demo.press("dave", "Resolve")
    with Session(engine) as s:
        t = s.get(Ticket, 1)
        assert t is not None and t.status == "resolved" and t.resolved_at == clock()
        assert t.first_response_at == MONDAY_10 + timedelta(hours=2, minutes=1)  # alice's start, the assignee then
        kinds = [e.kind for e in s.exec(select(TicketEvent).order_by(col(TicketEvent.id))).all()]
        assert kinds == ["opened", "status", "comment", "assign", "status"]
        audited = [a.action for a in s.exec(select(AuditLog).where(AuditLog.entity == "ticket")
                                           .order_by(col(AuditLog.id))).all()]
        assert audited == ["create", "status", "comment", "assign", "resolve"]
    clock.now = MONDAY_10 + timedelta(days=2)
    assert _clock_round(engine, clock) == []  # resolved: its resolution target is no longer chased
    history = demo.say("@dave: /ticket 1")
    for line in ("alice: opened (P1)", "alice: new → in progress", "alice: “ordered the roller”",
                 "bob: assigned to dave", "dave: in progress → resolved", "[", "Close", "Reopen"):
        assert line in history, line
    report = demo.say("@bob: /report service")
    assert "Opened 1 · resolved 1" in report and "breaches 1" in report and "🖼" in report
    demo.say("@bob: /lang zh")
    assert_dialog(demo, [("@bob: /ticket 1", ["工单 #1", "已解决", "记录："])])


def test_the_priority_is_given_inline_or_asked_and_the_customer_card_shows_open_tickets(
        demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    clock.now = MONDAY_10
    name = _customer_of(engine, "alice")
    other = _customer_of(engine, "dave")
    assert_dialog(demo, [
        (f"@alice: /ticket new {name} P2 screen flickers", ["Ticket #1 opened", "(P2)"]),
        (f"@alice: /ticket new {name}", "What is the problem?"),
        ("@alice: noisy fan p3", ["Ticket #2 opened", "(P3)"]),
        (f"@alice: /customer {name}", ["Open tickets:", "#1 P2 · new · screen flickers", "#2 P3"]),
        (f"@dave: /ticket new {other} P1 leaking", "assigned to dave"),
        ("@alice: /ticket 3", "No ticket #3 found."),  # another rep's customer
        ("@alice: /tickets", ["2 in all", "#1 P2", "#2 P3"]),
        ("@bob: /tickets team", "3 in all"),
        ("@alice: /ticket 1 priority P1", ["P1", "First response by Mon 2026-11-23 12:00"]),
        ("@alice: /ticket 1 close", "can't become"),
    ])


def test_targets_count_in_working_time_and_admins_set_them(engine: Engine, clock: FakeClock, demo: Transcript) -> None:
    friday_17 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Friday 17:00 in Shanghai
    clock.now = friday_17
    name = _customer_of(engine, "alice")
    out = demo.say(f"@alice: /ticket new {name} P1 down")
    # One working hour on Friday, the second on Monday morning; a working day later is Monday 17:00.
    assert "First response by Mon 2026-11-30 10:00" in out and "resolution by Mon 2026-11-30 17:00" in out
    assert_dialog(demo, [
        ("@bob: /config tickets P1 1h 2d", "Only an admin sets ticket targets."),
        ("@carol: /config tickets P1 4h 2d", ["P1: 4h / 2d", "P2: 8h / 3d", "P3: 1d / 7d"]),
        ("@carol: /config tickets P1 soon", "Write targets like"),
        (f"@alice: /ticket new {name} P1 down again", "First response by Mon 2026-11-30 12:00"),
    ])
    with Session(engine) as s:
        team = s.exec(select(Team)).first()
        cal = Calendar.of(team, None, "Asia/Shanghai")
        assert tickets.read_span("3天") == tickets.Span(3, True) and tickets.read_span("0h") is None
        assert tickets.Span(1, True).hours(cal) == 9.0


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_a_status_click_from_someone_who_may_not_see_it_changes_nothing(
        who: str, demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    clock.now = MONDAY_10
    demo.say(f"@dave: /ticket new {_customer_of(engine, 'dave')} P3 squeaks")
    with Session(engine) as s:
        bob = s.exec(select(User).where(User.name == "bob")).one()
        bob_sees = bob.team_id is not None
    said = demo.say(who, action="tk.st:1:resolved")
    with Session(engine) as s:
        status = s.exec(select(Ticket)).one().status
    if who == "alice":
        assert "No ticket #1 found" in said and status == "new"
    else:
        assert bob_sees and status == "resolved"


def test_the_ticket_form_checks_and_stands_for_a_command() -> None:
    from handlers import forms

    good = {"customer": "12", "priority": "p2", "problem": "fan\n noisy"}
    assert forms.check(forms.TICKET, good, "en") == {}
    assert forms.command_line(forms.TICKET, good) == "/ticket new #12 P2 fan noisy"
    assert forms.check(forms.TICKET, {"customer": "x", "priority": "P7", "problem": " "}, "zh") == {
        "customer": "请选择客户。", "priority": "优先级是 P1、P2 或 P3。", "problem": "是什么问题？"}
    assert "4000" in forms.check(forms.TICKET, {**good, "problem": "x" * 4001}, "en")["problem"]


@pytest.mark.slow
def test_a_warning_goes_to_whoever_holds_the_ticket_and_none_once_the_target_passed(
        engine: Engine, clock: FakeClock) -> None:
    from handlers.core import Core
    from sales.demo import load_demo

    clock.now = MONDAY_10
    load_demo(engine, customers=0, now=clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
    for who in ("alice", "bob", "dave"):
        t.say(who, "/lang en")
    t.say("alice", "/customer add 远方机械")
    assert "Ticket #1 opened" in t.say("alice", "/ticket new 远方机械 P1 spindle hot")
    assert "Ticket #2 opened" in t.say("alice", "/ticket new 远方机械 P1 door stuck")
    rc = ReminderClock(engine, now=clock, settings=Settings(default_lang="en"), worker="w")
    clock.now = MONDAY_10 + timedelta(minutes=95)
    rc.plan(digests=False)  # both warnings are made for alice …
    t.say("bob", "/ticket 1 assign dave")  # … then #1 changes hands
    clock.now = MONDAY_10 + timedelta(minutes=100)
    sent = _clock_round(engine, clock)
    assert sorted((who, text.split(" (")[0]) for who, text in sent) == [("alice", "⏳ Ticket #2"),
                                                                         ("dave", "⏳ Ticket #1")]
    t.say("alice", "/ticket new 远方机械 P1 leaking")
    clock.now = MONDAY_10 + timedelta(minutes=195)
    rc.plan(digests=False)  # #3's warning is made; it is not sent before its target passes
    clock.now = MONDAY_10 + timedelta(minutes=225)  # 13:45: #3 passed its target at 13:40
    sent = _clock_round(engine, clock)
    assert sorted((who, text.split(" (")[0]) for who, text in sent) == [
        ("bob", "🚨 Ticket #1"), ("bob", "🚨 Ticket #2"), ("bob", "🚨 Ticket #3")]


def test_tickets_come_ten_a_page(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    clock.now = MONDAY_10
    name = _customer_of(engine, "alice")
    for i in range(12):
        demo.say("alice", f"/ticket new {name} P{1 + i % 3} problem {i}")
    first = demo.say("alice", "/tickets mine")
    assert "12 in all, page 1 of 2" in first and first.count("\n#") == 10
    second = demo.press("alice", "Next page")
    assert "page 2 of 2" in second and second.count("\n#") == 2
    assert "No open tickets here" in demo.say("alice", "/tickets mine overdue")


def test_a_deactivated_reps_open_tickets_go_with_their_records(demo: Transcript, engine: Engine,
                                                               clock: FakeClock) -> None:
    clock.now = MONDAY_10
    name = _customer_of(engine, "alice")
    assert_dialog(demo, [
        (f"@alice: /ticket new {name} P2 screen flickers", "Ticket #1 opened"),
        (f"@alice: /ticket new {name} P3 noisy fan", "Ticket #2 opened"),
        ("@alice: /ticket 2 resolve", "resolved"),
        ("@carol: /deactivate alice", ["alice is deactivated", "open records"]),
        ("@carol: /reassign alice dave", ["Handed alice's records to dave", "ticket 1"]),
        ("@dave: /tickets", ["1 in all", "#1 P2"]),
    ])
    with Session(engine) as s:
        dave = s.exec(select(User).where(User.name == "dave")).one()
        moved, done = s.get(Ticket, 1), s.get(Ticket, 2)
        assert moved is not None and done is not None
        assert moved.assignee_id == dave.id and done.assignee_id != dave.id  # a resolved ticket stays as it was
        assert s.exec(select(TicketEvent).where(col(TicketEvent.ticket_id) == 1,
                                                col(TicketEvent.kind) == "assign")).one().after == str(dave.id)


def test_waiting_for_the_customer_stops_the_resolution_clock(engine: Engine, clock: FakeClock) -> None:
    from handlers.core import Core
    from sales.demo import load_demo

    clock.now = MONDAY_10
    load_demo(engine, customers=0, now=clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
    for who in ("alice", "bob"):
        t.say(who, "/lang en")
    t.say("alice", "/customer add 远方机械")
    assert "resolution by Tue 2026-11-24 10:00" in t.say("alice", "/ticket new 远方机械 P1 spindle hot")
    clock.now = MONDAY_10 + timedelta(hours=1)  # Mon 11:00: the customer must send a photo first
    assert "waiting on customer" in t.say("alice", "/ticket 1 wait")
    clock.now = MONDAY_10 + timedelta(days=1, hours=1)  # Tue 11:00: the target has passed while it waited
    assert _clock_round(engine, clock) == []  # no warning, no breach: its clock stands
    with Session(engine) as s:
        ticket = s.get(Ticket, 1)
        assert ticket is not None and not tickets.overdue(ticket, clock())
    assert "in progress" in t.say("alice", "/ticket 1 start")  # the photo came
    with Session(engine) as s:
        ticket = s.get(Ticket, 1)
        # It waited Mon 11:00–18:00 and Tue 09:00–11:00, nine working hours: Tue 10:00 + 9 h is Wed 10:00.
        assert ticket is not None and ticket.waiting_since is None
        assert ticket.resolve_by == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    clock.now = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)  # Wed 10:30: now it is late, and the manager is told
    assert [(who, text.split(" (")[0]) for who, text in _clock_round(engine, clock)] == [("bob", "🚨 Ticket #1")]
