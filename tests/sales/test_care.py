"""Care after the sale: care touches under the cadence cap, the 回访 after acceptance, key-date reminders,
reorder intervals (median gap) and cross-sell hints, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.clock import ReminderClock
from bot.delivery import deliver_due
from handlers.context import Settings
from handlers.markup import to_plain
from sales import care, reorders
from sales.reminders import plan
from sales.reminders.care import Touch, plan_of
from storage.models import (
    ChatIdentity,
    Contact,
    Customer,
    Deal,
    FollowUp,
    KeyDate,
    Quote,
    QuoteLine,
    Reminder,
    SalesOrder,
    Team,
    User,
)
from tests.conftest import FakeClock

SH = ZoneInfo("Asia/Shanghai")


def small_book(engine: Engine, now: datetime) -> dict[str, int]:
    """alice (rep) of team T with console chats; customers K1–K4 and their won orders (days before `now`).

    K1 机械: orders -200 (机床, 配件), -110 (机床), -20 (机床): gaps 90, 90 → every 90 days, age 20: not due.
    K2 机械: orders -250, -160, -88 (机床): gaps 90, 72 → median 81, age 88: 7 days overdue.
    K3 机械: one order -30 (机床, 维保服务): no interval.
    K4 食品: orders -310, -200: every 110 days, age 200: overdue, but an open deal: not listed.
    """
    with Session(engine) as s:
        t = Team(name="T", created_at=now - timedelta(days=400))
        s.add(t)
        s.flush()
        ids = {"team": t.id or 0}
        for name, role in (("alice", "rep"), ("carol", "admin")):
            u = User(team_id=t.id, name=name, role=role, lang="en", created_at=now)
            s.add(u)
            s.flush()
            ids[name] = u.id or 0
            s.add(ChatIdentity(platform="console", workspace="local", external_id=name, chat=name, user_id=u.id or 0,
                               created_at=now))
        book = {"K1": ("机械", [(-200, ["机床", "配件"]), (-110, ["机床"]), (-20, ["机床"])]),
                "K2": ("机械", [(-250, ["机床"]), (-160, ["机床"]), (-88, ["机床"])]),
                "K3": ("机械", [(-30, ["机床", "维保服务"])]),
                "K4": ("食品", [(-310, ["罐头"]), (-200, ["罐头"])])}
        for name, (industry, orders) in book.items():
            c = Customer(team_id=t.id, name=name, name_key=name.lower(), grade="B", industry=industry,
                         owner_id=ids["alice"], last_contact_at=now, created_at=now - timedelta(days=400),
                         updated_at=now)
            s.add(c)
            s.flush()
            ids[name] = c.id or 0
            for days, items in orders:
                at = now + timedelta(days=days)
                d = Deal(customer_id=c.id or 0, title="x", amount=Decimal(1000), stage="won", probability=100,
                         owner_id=ids["alice"], created_at=at, updated_at=at, closed_at=at)
                s.add(d)
                s.flush()
                q = Quote(deal_id=d.id or 0, subtotal=Decimal(1000), total=Decimal(1000), status="approved",
                          created_by=ids["alice"], created_at=at)
                s.add(q)
                s.flush()
                for item in items:
                    s.add(QuoteLine(quote_id=q.id or 0, item=item, qty=Decimal(1), unit_price=Decimal(500),
                                    amount=Decimal(500)))
                s.add(SalesOrder(deal_id=d.id or 0, quote_id=q.id, customer_id=c.id or 0, owner_id=ids["alice"],
                                 amount=Decimal(1000), created_at=at))
        s.add(Deal(customer_id=ids["K4"], title="again", amount=Decimal(500), stage="proposal", probability=60,
                   owner_id=ids["alice"], created_at=now, updated_at=now))
        s.commit()
    return ids


def test_reorder_intervals_are_the_median_gap_and_the_due_ones_are_listed(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    ids = small_book(engine, now)
    with Session(engine) as s:
        k1 = reorders.interval_of(s, customer_id=ids["K1"])
        k2 = reorders.interval_of(s, customer_id=ids["K2"])
        assert k1 is not None and (k1[0], round(k1[1], 3), k1[2]) == (3, 90.0, now - timedelta(days=20))
        assert k2 is not None and (k2[0], round(k2[1], 3)) == (3, 81.0)
        assert reorders.interval_of(s, customer_id=ids["K3"]) is None
        due, total = reorders.due_to_reorder(s, owners=[ids["alice"]], now=now)
        assert total == 1 and [(r.customer.name, round(r.due_in)) for r in due] == [("K2", -7)]


def test_cross_sell_names_what_the_same_industry_bought_and_this_customer_did_not(engine: Engine,
                                                                                    clock: FakeClock) -> None:
    ids = small_book(engine, clock())
    with Session(engine) as s:
        k2 = s.get(Customer, ids["K2"])
        k4 = s.get(Customer, ids["K4"])
        assert k2 is not None and k4 is not None
        assert sorted(reorders.cross_sell(s, customer=k2)) == [("维保服务", 1), ("配件", 1)]
        assert reorders.cross_sell(s, customer=k4) == []  # nobody else in 食品


def test_the_revisit_comes_7_days_after_acceptance_on_a_working_morning_once(engine: Engine,
                                                                              clock: FakeClock) -> None:
    now = clock()  # Sunday 2026-11-22 10:00 Shanghai
    ids = small_book(engine, now)
    with Session(engine) as s:
        order = s.execute(select(SalesOrder).where(SalesOrder.customer_id == ids["K3"])).scalar_one()  # type: ignore[arg-type]
        accepted = datetime(2026, 11, 20, 15, tzinfo=SH)  # a Friday: 7 days on is a Friday too
        fu = care.after_acceptance(s, order, now, accepted_at=accepted)
        assert fu is not None and fu.reason == "revisit" and fu.due_at == datetime(2026, 11, 27, 9, tzinfo=SH)
        assert care.after_acceptance(s, order, now, accepted_at=accepted) is None  # once per order
        s.commit()
        assert len(s.execute(select(FollowUp).where(FollowUp.reason == "revisit")).all()) == 1  # type: ignore[arg-type]


def test_care_touches_join_the_cadence_under_its_cap_one_per_customer(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    ids = small_book(engine, now)
    with Session(engine) as s:
        team = s.get(Team, ids["team"])
        carol = s.get(User, ids["carol"])
        assert team is not None and carol is not None
        assert [t.kind for t in plan_of(team)["A"]] == ["contact", "exec"]  # the seed table
        care.set_plan(s, team=team, grade="B", touches=[Touch("contact", 14), Touch("news", 30)], by=carol, now=now)
        s.commit()
        assert plan_of(team)["B"] == (Touch("contact", 14), Touch("news", 30))
        made = plan(s, now=now, digests=False, cadence_per_day=3).counts["cadence"]
        s.commit()
        fus = s.execute(select(FollowUp).where(FollowUp.status == "open")).scalars().all()  # type: ignore[arg-type]
    # Contacted today, so no check-in; created 400 days ago, so news is due for all four: three fit Monday.
    assert made == 3 and sorted(f.reason for f in fus) == ["care.news"] * 3
    assert {f.due_at for f in fus} == {datetime(2026, 11, 23, 9, tzinfo=SH)}
    with Session(engine) as s:
        assert plan(s, now=now, digests=False, cadence_per_day=3).counts["cadence"] == 0  # the day is full
        s.commit()


def test_a_birthday_is_reminded_to_the_owner_that_morning(engine: Engine, clock: FakeClock) -> None:
    now = clock()  # Sunday 2026-11-22 10:00 Shanghai
    ids = small_book(engine, now)
    with Session(engine) as s:
        p = Contact(customer_id=ids["K1"], name="张总", created_at=now)
        s.add(p)
        s.flush()
        s.add(KeyDate(contact_id=p.id or 0, kind="birthday", month=11, day=22, created_at=now))
        s.add(KeyDate(contact_id=p.id or 0, kind="date", label="签约纪念日", month=11, day=25, created_at=now))
        s.commit()
    ReminderClock(engine, now=lambda: now, settings=Settings(default_lang="en"), worker="w").sweep()
    ReminderClock(engine, now=lambda: now, settings=Settings(default_lang="en"), worker="w").sweep()
    sent: list[tuple[str, str]] = []
    deliver_due(engine, {"console": lambda to, r: sent.append((to.chat, to_plain(r.text)))}, now)
    assert [x for x in sent if "birthday" in x[1]] == [("alice", "🎂 Today is 张总's birthday (K1).")]
    with Session(engine) as s:
        assert [r.dedupe_key.split(":")[0] for r in s.execute(select(Reminder)).scalars()
                if r.kind == "keydate"] == ["kd"]
    later = datetime(2026, 11, 25, 9, 30, tzinfo=SH).astimezone(UTC)
    ReminderClock(engine, now=lambda: later, settings=Settings(default_lang="en"), worker="w").sweep()
    sent.clear()
    deliver_due(engine, {"console": lambda to, r: sent.append((to.chat, to_plain(r.text)))}, later)
    assert ("alice", "📅 Today: 签约纪念日 of 张总 (K1).") in sent
