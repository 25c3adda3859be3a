"""Reminders: the calendar, each rule's dedupe, claims and leases, stale targets, digests and /digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.clock import ReminderClock
from bot.delivery import deliver_due
from handlers.context import Settings
from handlers.core import Core
from handlers.markup import to_plain
from handlers.types import ChatRef, Incoming, Reply
from sales.reminders import People, live_offset, plan
from sales.reminders.calendar import Calendar
from sales.reminders.due import resolve
from storage.models import ChatIdentity, Customer, FollowUp, Outbox, Reminder, Team, User
from storage.reminders_queue import Claim, claim_reminders, finish_reminders, release_reminders
from tests.conftest import FakeClock

SH = ZoneInfo("Asia/Shanghai")


def sh(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SH)


def cal(**kw: object) -> Calendar:
    team = Team(name="t", created_at=datetime(2026, 1, 1, tzinfo=UTC), **kw)  # type: ignore[arg-type]
    return Calendar.of(team)


# -- the calendar --

def test_a_reminder_in_the_quiet_hours_waits_for_the_morning() -> None:
    c = cal()
    assert c.after_quiet(sh(2026, 11, 27, 22)) == sh(2026, 11, 28, 8)
    assert c.after_quiet(sh(2026, 11, 28, 3)) == sh(2026, 11, 28, 8)
    assert c.after_quiet(sh(2026, 11, 28, 12)) == sh(2026, 11, 28, 12)


def test_working_moments_skip_evenings_weekends_and_holidays_and_keep_make_up_days() -> None:
    c = cal(holidays="2026-12-31 2027-01-01", extra_workdays="2027-01-03")
    assert c.working_moment(sh(2026, 11, 27, 19)) == sh(2026, 11, 30, 9)  # Friday evening → Monday
    assert c.working_moment(sh(2026, 11, 28, 10)) == sh(2026, 11, 30, 9)  # Saturday → Monday
    assert c.working_moment(sh(2026, 11, 30, 7)) == sh(2026, 11, 30, 9)
    assert c.working_moment(sh(2026, 11, 30, 10, 15)) == sh(2026, 11, 30, 10, 15)
    assert c.working_moment(sh(2026, 12, 30, 18)) == sh(2027, 1, 3, 9)  # holidays, then a make-up Sunday
    assert c.add_working_hours(sh(2026, 11, 23, 16), 4) == sh(2026, 11, 24, 11)
    assert c.add_working_hours(sh(2026, 11, 27, 17), 4) == sh(2026, 11, 30, 12)  # over the weekend
    assert c.add_working_hours(sh(2026, 11, 28, 10), 4) == sh(2026, 11, 30, 13)  # asked on Saturday


def test_a_bad_zone_name_falls_back_instead_of_raising() -> None:
    u = User(name="x", tz="Mars/Olympus", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert str(Calendar.of(None, u).tz) == "Asia/Shanghai"


def test_installment_days_on_a_weekend_give_one_reminder_not_two() -> None:
    c = cal()
    offsets = (-3, 0, 1, 7, 14)
    due = date(2026, 11, 28)  # a Saturday
    # Saturday: "on the day" could only go out on Monday, when "1 day late" is due too: only that one.
    assert live_offset(due, c, offsets, sh(2026, 11, 28, 9)) is None
    assert live_offset(due, c, offsets, sh(2026, 11, 29, 9)) == (1, sh(2026, 11, 30, 9))
    assert live_offset(due, c, offsets, sh(2026, 11, 25, 10)) == (-3, sh(2026, 11, 25, 9))
    assert live_offset(due, c, offsets, sh(2026, 11, 24, 10)) is None  # not yet


def test_tz_refuses_a_name_that_is_not_an_iana_zone(engine: Engine, clock: FakeClock) -> None:
    team_with(engine, clock())
    core = Core(engine, clock=clock)
    got = core.handle(Incoming(chat=ChatRef("console", "local", "alice"), user="alice", text="/tz Mars/Olympus"))
    assert "Unknown time zone" in got[0].text


# -- rules and claims on a database --

def team_with(engine: Engine, now: datetime, *, followups: int = 0, due: datetime | None = None) -> dict[str, int]:
    """alice (rep) and bob (manager) with console chats, one customer, `followups` open follow-ups due at `due`."""
    with Session(engine) as s:
        t = Team(name="T", created_at=now)
        s.add(t)
        s.flush()
        ids = {"team": t.id or 0}
        for name, role in (("alice", "rep"), ("bob", "manager"), ("dave", "rep")):
            u = User(team_id=t.id, name=name, role=role, lang="en", created_at=now)
            s.add(u)
            s.flush()
            ids[name] = u.id or 0
            s.add(ChatIdentity(platform="console", workspace="local", external_id=name, chat=name, user_id=u.id or 0,
                               created_at=now))
        c = Customer(team_id=t.id, name="Acme", name_key="acme", grade="B", owner_id=ids["alice"], last_contact_at=now,
                     created_at=now, updated_at=now)
        s.add(c)
        s.flush()
        ids["acme"] = c.id or 0
        for i in range(followups):
            s.add(FollowUp(customer_id=c.id or 0, owner_id=ids["alice"], due_at=due or now, has_time=True,
                           what=f"task-{i}", created_at=now))
        s.commit()
    return ids


def count(engine: Engine, model: type, **where: object) -> int:
    with Session(engine) as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return int(s.execute(q).scalar_one())


def test_planning_twice_creates_each_reminder_once(engine: Engine, clock: FakeClock) -> None:
    now = sh(2026, 12, 2, 10).astimezone(UTC)
    team_with(engine, now, followups=5, due=now - timedelta(minutes=5))
    for _ in range(3):
        with Session(engine) as s, s.begin():
            plan(s, now=now, digests=False)
    assert count(engine, Reminder, kind="followup") == 5


def test_a_claim_is_held_until_its_lease_ends_then_another_process_takes_it(engine: Engine, clock: FakeClock) -> None:
    now = sh(2026, 12, 2, 10).astimezone(UTC)
    team_with(engine, now, followups=3, due=now - timedelta(minutes=5))
    with Session(engine) as s, s.begin():
        plan(s, now=now, digests=False)
    with Session(engine) as s, s.begin():
        held = claim_reminders(session=s, now=now, worker="dead", lease=timedelta(seconds=60))
    assert len(held) == 3
    with Session(engine) as s, s.begin():  # the holder died: nobody else may take them before the lease ends
        assert claim_reminders(session=s, now=now + timedelta(seconds=30), worker="b") == []
    rc = ReminderClock(engine, now=lambda: now + timedelta(seconds=61), worker="b")
    assert rc.enqueue_due().enqueued == 3
    with Session(engine) as s, s.begin():  # the dead one wakes up: its claims are no longer its own
        assert finish_reminders(session=s, ids=[h.id for h in held], worker="dead", status="done") == set()
    assert count(engine, Outbox) == 3 and count(engine, Reminder, status="done") == 3


def test_a_graceful_stop_gives_its_claims_back_at_once(engine: Engine, clock: FakeClock) -> None:
    now = sh(2026, 12, 2, 10).astimezone(UTC)
    team_with(engine, now, followups=2, due=now - timedelta(minutes=5))
    with Session(engine) as s, s.begin():
        plan(s, now=now, digests=False)
        claim_reminders(session=s, now=now, worker="a")
    with Session(engine) as s, s.begin():
        assert release_reminders(session=s, worker="a") == 2
    assert ReminderClock(engine, now=lambda: now, worker="b").enqueue_due().enqueued == 2


def test_stale_targets_are_dropped_or_go_to_the_new_owner_and_never_raise(engine: Engine, clock: FakeClock) -> None:
    now = sh(2026, 12, 2, 10).astimezone(UTC)
    ids = team_with(engine, now, followups=4, due=now - timedelta(minutes=5))
    with Session(engine) as s, s.begin():
        plan(s, now=now, digests=False)
        fus = s.execute(select(FollowUp).order_by(FollowUp.id)).scalars().all()  # type: ignore[arg-type]
        fus[0].status = "done"  # done meanwhile
        fus[1].due_at = now + timedelta(days=1)  # snoozed: its new time has its own reminder
        s.delete(fus[2])  # deleted (undo)
        acme = s.get(Customer, ids["acme"])
        assert acme is not None
        acme.owner_id = ids["dave"]  # reassigned: fus[3] is still alice's, a rep who no longer owns it
        s.add(fus[3])
    sent: list[tuple[str, str]] = []
    ReminderClock(engine, now=lambda: now, worker="w").sweep()

    def record(to: ChatRef, reply: Reply) -> None:
        sent.append((to.chat, to_plain(reply.text)))

    deliver_due(engine, {"console": record}, now)
    assert [(who, t.split(":")[0]) for who, t in sent if t.startswith("⏰")] == [("dave", "⏰ Follow up with Acme (Wed 2026-12-02 09")]
    assert count(engine, Reminder, kind="followup", status="cancelled") == 3


def test_nothing_is_sent_to_someone_with_nothing_to_do_and_digest_answers(engine: Engine, clock: FakeClock) -> None:
    now = sh(2026, 12, 2, 8, 30).astimezone(UTC)  # a Wednesday at the digest hour
    clock.now = now
    team_with(engine, now, followups=1, due=sh(2026, 12, 2, 15).astimezone(UTC))
    rc = ReminderClock(engine, now=clock, settings=Settings(default_lang="en"), worker="w")
    rc.sweep()
    sent: list[tuple[str, str]] = []
    deliver_due(engine, {"console": lambda to, r: sent.append((to.chat, to_plain(r.text)))}, now)
    assert [who for who, _ in sent] == ["alice"]  # bob and dave have nothing: no digest; no team chat, no deals
    assert sent[0][1].startswith("📋 Your day, alice · Wed 2026-12-02\n\nFollow-ups today (1)\n• 15:00 Acme: task-0")
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    me = ChatRef("console", "local", "dave")
    assert core.handle(Incoming(chat=me, user="dave", text="/digest"))[0].text == "Nothing to do today. 👍"
    alice = ChatRef("console", "local", "alice")
    assert "Follow-ups today (1)" in core.handle(Incoming(chat=alice, user="alice", text="/digest"))[0].text


def test_snooze_a_week_from_the_reminder_button(engine: Engine, clock: FakeClock) -> None:
    now = sh(2026, 12, 2, 15).astimezone(UTC)
    clock.now = now
    team_with(engine, now, followups=1, due=now)
    ReminderClock(engine, now=clock, worker="w").sweep()
    replies: list[Reply] = []
    deliver_due(engine, {"console": lambda to, r: replies.append(r)}, now)
    week = next(b for r in replies for row in r.buttons for b in row if b.label == "Snooze 1 week")
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    got = core.handle(Incoming(chat=ChatRef("console", "local", "alice"), user="alice", action=week.action))
    assert got[0].text == "💤 Acme · task-0: snoozed to Wed 2026-12-09 15:00."
    with Session(engine) as s:
        people = People.load(s)
        rem = s.execute(select(Reminder).where(Reminder.kind == "followup")).scalars().one()  # type: ignore[arg-type]
        claim = Claim(rem.id or 0, rem.kind, rem.dedupe_key, rem.due_at, rem.user_id, rem.payload)
        assert resolve(s, [claim], people, now)[0].drop == "follow-up moved"


def test_the_team_digest_goes_to_the_group_chosen_with_digest_here(engine: Engine, clock: FakeClock) -> None:
    now = sh(2026, 12, 2, 8, 30).astimezone(UTC)  # Wednesday at the digest hour
    clock.now = now
    team_with(engine, now)
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    group = ChatRef("console", "local", "east-group")
    # (In a group the answers to /digest go to the speaker privately: handlers/privacy.py.)
    said = core.handle(Incoming(chat=group, user="alice", text="/digest here", private=False))
    assert said[-1].text.startswith("Only a team's manager")
    assert core.handle(Incoming(chat=ChatRef("console", "local", "bob"), user="bob", text="/digest here"))[0].text \
        == "Send /digest here in the team's group chat."
    chosen = core.handle(Incoming(chat=group, user="bob", text="/digest here", private=False))
    assert [(r.text, r.to) for r in chosen] == [("OK: T's team digest comes here every working day.", None)]  # here
    core.handle(Incoming(chat=ChatRef("console", "local", "alice"), user="alice", text="/deal new Acme Pumps 50000"))
    clock.now = now + timedelta(days=1)  # Thursday: yesterday's activity and the open deal
    ReminderClock(engine, now=clock, settings=Settings(default_lang="en"), worker="w").sweep()
    sent: list[tuple[str, str]] = []
    deliver_due(engine, {"console": lambda to, r: sent.append((to.chat, to_plain(r.text)))}, clock())
    team = [text for who, text in sent if who == "east-group"]
    assert team == ["📊 T daily digest · Thu 2026-12-03\n\nPipeline: 1 open deal, ¥50,000; weighted forecast ¥5,000"]
    assert [who for who, text in sent if text.startswith("📊")] == ["east-group"]  # not to the managers
    shown = core.handle(Incoming(chat=ChatRef("console", "local", "bob"), user="bob", text="/digest team"))
    assert to_plain(shown[0].text) == team[0]


def test_an_untouched_sql_lead_is_reminded_once_in_working_hours(engine: Engine, clock: FakeClock) -> None:
    from sales import leads
    from storage.models import Lead

    friday = sh(2026, 12, 4, 17).astimezone(UTC)
    ids = team_with(engine, friday)
    with Session(engine) as s, s.begin():
        lead = Lead(team_id=ids["team"], company="Echo Ltd", status="SQL", created_at=friday, updated_at=friday)
        s.add(lead)
        s.flush()
        bob = s.get(User, ids["bob"])
        alice = s.get(User, ids["alice"])
        assert bob is not None and alice is not None
        leads.assign(s, lead=lead, to=alice, by=bob, now=friday)  # writes its own reminder, due Saturday 17:00
    sent: list[tuple[datetime, str, str]] = []
    for when in (sh(2026, 12, 5, 17, 30), sh(2026, 12, 7, 9)):  # Saturday evening, Monday morning
        clock.now = when.astimezone(UTC)
        ReminderClock(engine, now=clock, worker="w").sweep()
        deliver_due(engine, {"console": lambda to, r: sent.append((clock(), to.chat, to_plain(r.text)))}, clock())
    told = [(t.astimezone(SH), who, text) for t, who, text in sent if "SQL lead" in text]
    assert told == [(sh(2026, 12, 7, 9), "alice", "🔥 SQL lead #1 (Echo Ltd) has waited more than 24 hours for a "
                                                  "first touch.")]
    assert count(engine, Reminder, kind="lead.untouched") == 1  # the planner's key is the leads module's


def test_a_reminder_that_fails_to_render_is_dropped_alone(engine: Engine, clock: FakeClock,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers import notices

    now = sh(2026, 12, 2, 10).astimezone(UTC)
    team_with(engine, now, followups=3, due=now - timedelta(minutes=5))
    good = notices.RENDER["followup"]

    def flaky(d, lang, people, at):  # type: ignore[no-untyped-def]
        if d.followup.what == "task-1":
            raise ValueError("a bug in one message")
        return good(d, lang, people, at)

    monkeypatch.setitem(notices.RENDER, "followup", flaky)
    result = ReminderClock(engine, now=lambda: now, worker="w").sweep()
    assert result.by_kind.get("followup") == 2 and result.dropped >= 1
    assert count(engine, Reminder, kind="followup", status="cancelled") == 1
    assert count(engine, Reminder, kind="followup", status="done") == 2
