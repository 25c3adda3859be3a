"""A month of the clock with an injected time: every message the bot sends on its own, and when.

The team works Monday to Friday 09:00–18:00 in Shanghai, quiet from 21:00 to 08:00, digests at 08:30.
alice (rep, English) sells; bob (manager, Chinese) approves; fay (finance, English) lives in Berlin.
The clock sweeps every 30 minutes, as a process would every 30 seconds, and delivery follows each sweep.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import ReminderClock
from bot.delivery import deliver_due
from handlers.context import Settings
from handlers.core import Core
from handlers.markup import to_plain
from handlers.types import ChatRef, Reply
from storage.models import ChatIdentity, Customer, FollowUp, Lead, Team, User
from tests.conftest import FakeClock
from tests.transcript import Transcript

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 22, 10, 0, tzinfo=SH)  # a Sunday
END = datetime(2026, 12, 23, 0, 0, tzinfo=SH)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall time in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def setup_team(engine: Engine, now: datetime) -> dict[str, int]:
    """The team, its people with their console chats, and the customers."""
    with Session(engine) as s:
        # The contact cadence alone: the care plan's other touches are walked in tests/sales/test_care.py.
        team = Team(name="East", created_at=now, chat_platform="console", chat_workspace="local", chat_id="east",
                    care_plan="A: B: C:")
        s.add(team)
        s.flush()
        ids: dict[str, int] = {}
        for name, role, lang, tz in (("alice", "rep", "en", None), ("bob", "manager", "zh", None),
                                     ("fay", "finance", "en", "Europe/Berlin")):
            u = User(team_id=team.id, name=name, role=role, lang=lang, tz=tz, created_at=now,
                     discount_limit=Decimal(20 if role == "manager" else 10))
            s.add(u)
            s.flush()
            ids[name] = u.id or 0
            s.add(ChatIdentity(platform="console", workspace="local", external_id=name, chat=name, user_id=u.id or 0,
                               created_at=now))
        for name, grade, last in (("Acme", "A", now - timedelta(days=2)), ("Bolt", "B", now - timedelta(days=2)),
                                  ("Coral", "C", now - timedelta(days=2)),
                                  ("Delta", "C", at(10, 26, 10).astimezone(UTC))):
            c = Customer(team_id=team.id, name=name, name_key=name.lower(), grade=grade, owner_id=ids["alice"],
                         last_contact_at=last, created_at=now - timedelta(days=60), updated_at=now)
            s.add(c)
            s.flush()
            ids[name] = c.id or 0
        ids["team"] = team.id or 0
        s.commit()
    return ids


class Month:
    """The walk: actions at their times, a sweep and a delivery pass every step, every message recorded."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine = engine
        self.clock = clock
        self.people = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
        self.rc = ReminderClock(engine, now=clock, settings=Settings(default_lang="en"), worker="walk")
        self.sent: list[tuple[datetime, str, str]] = []
        self.events = 0

    def say(self, who: str, text: str = "", action: str | None = None) -> list[Reply]:
        """Someone types or clicks in their chat."""
        self.events += 1
        return self.people.turn(who, text, action=action)

    def record(self, to: ChatRef, reply: Reply) -> None:
        self.sent.append((self.clock().astimezone(SH), to.chat, to_plain(reply.text)))

    def walk(self, actions: dict[datetime, list[Callable[[], None]]], step: timedelta = timedelta(minutes=30)) -> None:
        t = START
        while t < END:
            self.clock.now = t.astimezone(UTC)
            for act in actions.get(t, []):
                act()
            self.rc.sweep()
            while deliver_due(self.engine, {"console": self.record}, self.clock(), limit=100):
                pass
            t += step


def followup_id(engine: Engine, customer_id: int) -> int:
    with Session(engine) as s:
        fu = s.exec(select(FollowUp).where(FollowUp.customer_id == customer_id, FollowUp.status == "open")
                    .order_by(FollowUp.id.desc())).first()  # type: ignore[union-attr]
        assert fu is not None
        return fu.id or 0


def add_sql_lead(engine: Engine, ids: dict[str, int], now: datetime) -> None:
    with Session(engine) as s:
        s.add(Lead(team_id=ids["team"], company="Echo Ltd", status="SQL", owner_id=ids["alice"], created_at=now,
                   updated_at=now))
        s.commit()


@pytest.mark.slow
def test_a_month_of_reminders_and_digests(engine: Engine, clock: FakeClock) -> None:
    clock.now = START.astimezone(UTC)
    ids = setup_team(engine, clock())
    m = Month(engine, clock)

    def do(who: str, text: str = "", expect: str = "", click: Callable[[], str] | None = None) -> Callable[[], None]:
        def act() -> None:
            replies = m.say(who, text, action=click() if click else None)
            got = "\n".join(r.text for r in replies)
            assert expect in got, f"{who}: {text or 'click'} → {got}"
        return act

    def lead() -> None:
        add_sql_lead(engine, ids, clock())

    actions: dict[datetime, list[Callable[[], None]]] = {
        at(11, 22, 10): [do("alice", "/visit Acme 见了张总，下周三下午3点再跟进", "Wed 2026-11-25 15:00"),
                         do("alice", "/visit Bolt 送了样品，周五再跟进", "Fri 2026-11-27")],
        at(11, 23, 16): [do("alice", "/deal new Acme Lathes 100000", "Opened deal #1"),
                         do("alice", "/quote new Acme lathe 10 10000 discount 15%", "sent to bob")],
        at(11, 24, 14): [do("bob", click=lambda: "ap.ok:1", expect="已批准")],
        at(11, 24, 14, 30): [do("alice", "/won Acme", "budget"),  # from prospect: qualified's rules too
                             do("alice", "budget 100k; decision maker Mr Zhang; timeline end of month", "Won"),
                             do("alice", "/plan Acme 30% 2026-11-30, 70% 2026-12-14", "¥59,500")],
        at(11, 25, 10): [lead],
        at(11, 25, 15, 30): [do("alice", click=lambda: f"fu.done:{followup_id(engine, ids['Acme'])}", expect="Done")],
        at(11, 26, 10): [do("alice", "/call Coral call back tomorrow 10pm", "Fri 2026-11-27 22:00")],
        at(11, 30, 12): [do("fay", "/paid Acme 25500", "Recorded ¥25,500")],
        at(12, 1, 10): [do("alice", click=lambda: f"fu.done:{followup_id(engine, ids['Bolt'])}", expect="Done")],
    }
    m.walk(actions)

    def fmt(rows: list[tuple[datetime, str, str]]) -> list[str]:
        return [f"{t:%a %m-%d %H:%M} {who}: {text}" for t, who, text in rows]

    # The Monday charts come from the reports module (when present) after the team digest: not counted here.
    digests = [r for r in m.sent if r[2].startswith(("📋", "📊"))]
    others = [r for r in m.sent if not r[2].startswith(("📋", "📊", "📈"))]
    if os.environ.get("SALESBOT_PRINT_WALK"):
        print("\n".join(fmt(m.sent)))
    assert sorted(fmt(others)) == sorted(EXPECTED), "\n".join(fmt(others))
    # Digests: working days only, at 08:30 in the reader's zone, nobody with nothing to do.
    for t, who, text in digests:
        local = t.astimezone(ZoneInfo("Europe/Berlin")) if who == "fay" else t
        assert local.weekday() < 5 and (local.hour, local.minute) == (8, 30), (t, who, text)
    days = sorted({(t.date(), who) for t, who, _ in digests})
    assert tuple(sorted({w for _, w in days})) == ("alice", "bob", "east", "fay")
    by_day = {(f"{t:%m-%d}", who): text for t, who, text in digests}
    assert ("11-23", "alice") not in by_day and ("11-23", "bob") not in by_day  # nothing to do on Monday
    assert by_day[("11-23", "east")].splitlines()[:4] == [
        "📊 East daily digest · Mon 2026-11-23", "", "Activities since Fri 2026-11-20", "• alice: 2 visits"]
    assert by_day[("11-24", "bob")] == DIGEST_BOB_1124
    assert by_day[("11-24", "east")] == DIGEST_EAST_1124
    assert by_day[("11-27", "alice")] == DIGEST_ALICE_1127
    assert by_day[("12-01", "bob")] == DIGEST_BOB_1201
    assert ("Overdue follow-ups (3)\n• Wed 2026-11-25 Delta: regular check-in (grade C)\n"
            "• Fri 2026-11-27 Bolt: 送了样品，周五再跟进\n") in by_day[("11-30", "alice")]
    # In the manager's only when overdue more than 3 working days: Friday's from Thursday on.
    assert "Bolt" not in by_day.get(("11-30", "bob"), "") and "Coral" not in by_day.get(("12-02", "bob"), "")
    assert "Coral" in by_day[("12-03", "bob")]
    # fay (Berlin) reads hers at 15:30 Shanghai time: the first installment was paid at 12:00, so none that day.
    assert ("11-30", "fay") not in by_day
    assert by_day[("12-15", "fay")] == ("📋 Your day, fay · Tue 2026-12-15\n\nPayments due (1)\n"
                                        "• #1 Acme · Mon 2026-12-14 · ¥59,500 [overdue]")
    # Every working day from the 24th someone has something; nobody ever gets a digest on a weekend.
    weekdays = {t.date() for t, _, _ in digests}
    assert all(d.weekday() < 5 for d in weekdays) and len(weekdays) == 22


EXPECTED: list[str] = [
    'Mon 11-23 16:00 bob: alice 申请折扣审批：\n报价 #1（Acme）：小计 ¥100,000，折扣 15%，合计 ¥85,000',  # the approval request (from the core)
    'Tue 11-24 11:00 bob: ⏳ alice 的折扣申请已等待 4 个工作小时：报价 #1（Acme），折扣 15%，合计 ¥85,000。',  # Mon 16:00 + 4 working hours, once
    'Tue 11-24 14:00 alice: ✅ bob approved the 15% discount on quote #1 (Acme); total ¥85,000.',
    'Wed 11-25 09:00 alice: ⏰ Time to check in with Delta: grade C, last contact 30 days ago.',  # C: 30 days
    'Wed 11-25 15:00 alice: ⏰ Follow up with Acme (Wed 2026-11-25 15:00): 见了张总，下周三下午3点再跟进',  # from the visit
    'Thu 11-26 10:00 alice: 🔥 SQL lead #1 (Echo Ltd) has waited more than 24 hours for a first touch.',
    'Fri 11-27 09:00 alice: ⏰ Follow up with Bolt (Fri 2026-11-27): 送了样品，周五再跟进',  # a date only: 09:00
    'Fri 11-27 09:00 alice: 💰 Payment due in 3 days: Acme, order #1, installment 1, ¥25,500, due Mon 2026-11-30.',
    'Fri 11-27 16:00 fay: 💰 Payment due in 3 days: Acme, order #1, installment 1, ¥25,500, due Mon 2026-11-30. Owner: alice.',  # 09:00 in Berlin
    'Sat 11-28 08:00 alice: ⏰ Follow up with Coral (Fri 2026-11-27 22:00): call back tomorrow 10pm',  # 22:00 is quiet: the morning
    'Mon 11-30 09:00 alice: ⏰ Time to check in with Acme: grade A, last contact 8 days ago.',  # A: 7 days fell on Sunday
    'Mon 11-30 09:00 alice: 💰 Payment due today: Acme, order #1, installment 1, ¥25,500.',
    'Mon 11-30 12:00 alice: 💰 Acme paid ¥25,500 on order #1; ¥25,500 of ¥85,000 received.',  # fay's 16:00 reminder is dropped: paid
    'Mon 12-07 09:00 alice: ⏰ Time to check in with Bolt: grade B, last contact 15 days ago.',  # B: 14 days fell on Sunday
    'Fri 12-11 09:00 alice: 💰 Payment due in 3 days: Acme, order #1, installment 2, ¥59,500, due Mon 2026-12-14.',
    'Fri 12-11 16:00 fay: 💰 Payment due in 3 days: Acme, order #1, installment 2, ¥59,500, due Mon 2026-12-14. Owner: alice.',
    'Mon 12-14 09:00 alice: 💰 Payment due today: Acme, order #1, installment 2, ¥59,500.',
    'Mon 12-14 16:00 fay: 💰 Payment due today: Acme, order #1, installment 2, ¥59,500. Owner: alice.',
    'Tue 12-15 09:00 alice: ⚠️ Payment 1 day overdue: Acme, order #1, installment 2, ¥59,500 (due Mon 2026-12-14).',
    'Tue 12-15 16:00 fay: ⚠️ Payment 1 day overdue: Acme, order #1, installment 2, ¥59,500 (due Mon 2026-12-14). Owner: alice.',
    'Mon 12-21 09:00 alice: ⚠️ Payment 7 days overdue: Acme, order #1, installment 2, ¥59,500 (due Mon 2026-12-14).',
    'Mon 12-21 09:00 bob: ⚠️ 回款逾期 7 天：Acme 订单 #1 第 2 期 ¥59,500（2026-12-14（周一） 到期）。负责人：alice。',  # the manager from 7 days
    'Mon 12-21 16:00 fay: ⚠️ Payment 7 days overdue: Acme, order #1, installment 2, ¥59,500 (due Mon 2026-12-14). Owner: alice.',
]
DIGEST_BOB_1124 = ("📋 bob，你今天的待办 · 2026-11-24（周二）\n\n等你审批（1）\n• alice: 报价 #1 Acme，折扣 15%，合计 ¥85,000"
                   "\n\n没有预计成交日（1）\n• #1 Acme · Lathes · ¥100,000 (alice)")  # the team's deals to date
DIGEST_EAST_1124 = """📊 East daily digest · Tue 2026-11-24

Pipeline: 1 open deal, ¥100,000; weighted forecast ¥10,000

Pending approvals (1)
• alice: quote #1 Acme, 15% off, total ¥85,000"""
DIGEST_ALICE_1127 = """📋 Your day, alice · Fri 2026-11-27

Follow-ups today (2)
• Bolt: 送了样品，周五再跟进
• 22:00 Coral: call back tomorrow 10pm

Overdue follow-ups (1)
• Wed 2026-11-25 Delta: regular check-in (grade C)"""
DIGEST_BOB_1201 = """📋 bob，你今天的待办 · 2026-12-01（周二）

团队里逾期超过 3 个工作日的跟进（1）
• alice · 2026-11-25（周三） Delta：定期回访（C 级）"""

