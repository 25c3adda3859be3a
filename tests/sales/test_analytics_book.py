"""The fixed book of business the report tests compute by hand.

Two teams. 华东销售部 (team 1): carol admin, bob manager, alice and dave reps. 华南销售部 (team 2): erin rep.
Reports are read for November 2026 in Asia/Shanghai: [2026-10-31 16:00Z, 2026-11-30 16:00Z), and for Q4.
Every time below is UTC; 02:00Z is 10:00 in Shanghai. Two moves sit on the month's edge on purpose:
D4 enters proposal at 10-31 17:00Z (Nov 1, 01:00 local: November) and D5 is opened at 10-31 15:00Z
(Oct 31, 23:00 local: October); alice logs one activity at 10-31 15:59Z (October) and one at 16:00Z (November).

deal owner  customer(source)  amount   moves (stage @ date, 02:00Z unless said)                         close / expected
D1   alice  C1 (展会)          100,000  prospect 10-20, qualified 11-03, proposal 11-10, negotiation 11-15, won 11-20
D2   alice  C2 (官网)           50,000  prospect 11-02, qualified 11-06                               exp 2026-12-15
D3   dave   C3 (展会)           80,000  prospect 11-05, lost 11-12
D4   dave   C4 (no source)    200,000  prospect 09-01, qualified 10-01, proposal 10-31 17:00, negotiation 11-21  exp 2026-11-28
D5   alice  C1 (展会)           30,000  prospect 10-31 15:00, qualified 11-18 03:00                    exp 2027-01-10
D6   erin   C5 (转介绍)          70,000  prospect 11-03, won 11-10
D7   dave   C3 (展会)           40,000  prospect 10-05, qualified 10-15, proposal 10-25, won 11-08 (skips negotiation)
D8   dave   C4 (no source)     10,000  prospect 11-11                                                (no expected close)
D9   alice  C2 (官网)           60,000  prospect 09-10, qualified 09-20, proposal 10-01, negotiation 10-08, won 10-15

Activities: alice 10-31 15:59, 10-31 16:00, 11-10, 11-20; dave 11-05, 11-12; erin 11-04; bob 12-01 (December).
Targets for 2026-Q4: team 1 500,000; alice 300,000; dave 100,000; erin 50,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage.models import Activity, ChatIdentity, Customer, Deal, StageChange, Target, Team, User

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 2, minute: int = 0) -> datetime:
    """A UTC instant in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


DEALS: list[tuple[str, str, str, int, list[tuple[str, datetime]], date | None]] = [
    ("D1", "alice", "C1", 100_000, [("prospect", at(10, 20)), ("qualified", at(11, 3)), ("proposal", at(11, 10)),
                                    ("negotiation", at(11, 15)), ("won", at(11, 20))], None),
    ("D2", "alice", "C2", 50_000, [("prospect", at(11, 2)), ("qualified", at(11, 6))], date(2026, 12, 15)),
    ("D3", "dave", "C3", 80_000, [("prospect", at(11, 5)), ("lost", at(11, 12))], None),
    ("D4", "dave", "C4", 200_000, [("prospect", at(9, 1)), ("qualified", at(10, 1)), ("proposal", at(10, 31, 17)),
                                   ("negotiation", at(11, 21))], date(2026, 11, 28)),
    ("D5", "alice", "C1", 30_000, [("prospect", at(10, 31, 15)), ("qualified", at(11, 18, 3))], date(2027, 1, 10)),
    ("D6", "erin", "C5", 70_000, [("prospect", at(11, 3)), ("won", at(11, 10))], None),
    ("D7", "dave", "C3", 40_000, [("prospect", at(10, 5)), ("qualified", at(10, 15)), ("proposal", at(10, 25)),
                                  ("won", at(11, 8))], None),
    ("D8", "dave", "C4", 10_000, [("prospect", at(11, 11))], None),
    ("D9", "alice", "C2", 60_000, [("prospect", at(9, 10)), ("qualified", at(9, 20)), ("proposal", at(10, 1)),
                                   ("negotiation", at(10, 8)), ("won", at(10, 15))], None),
]
CUSTOMERS = {"C1": ("alice", "展会"), "C2": ("alice", "官网"), "C3": ("dave", "展会"), "C4": ("dave", None),
             "C5": ("erin", "转介绍")}
ACTIVITIES = [("alice", at(10, 31, 15, 59)), ("alice", at(10, 31, 16)), ("alice", at(11, 10)), ("alice", at(11, 20)),
              ("dave", at(11, 5)), ("dave", at(11, 12)), ("erin", at(11, 4)), ("bob", at(12, 1))]
PROBABILITY = {"prospect": 10, "qualified": 30, "proposal": 60, "negotiation": 80, "won": 100, "lost": 0}


@dataclass
class Book:
    """Ids of the fixed book's rows."""

    teams: dict[str, int]
    users: dict[str, int]
    deals: dict[str, int]


def build_book(engine: Engine, *, targets: bool = True) -> Book:
    """Write the fixed book into an empty, migrated database."""
    with Session(engine) as s:
        t1 = Team(name="华东销售部", created_at=NOW)
        t2 = Team(name="华南销售部", created_at=NOW)
        s.add_all([t1, t2])
        s.flush()
        teams = {"east": t1.id or 0, "south": t2.id or 0}
        users: dict[str, int] = {}
        for name, role, team in (("carol", "admin", t1), ("bob", "manager", t1), ("alice", "rep", t1),
                                 ("dave", "rep", t1), ("erin", "rep", t2)):
            u = User(name=name, role=role, team_id=team.id, lang="en", created_at=NOW)
            s.add(u)
            s.flush()
            users[name] = u.id or 0
            s.add(ChatIdentity(platform="console", workspace="local", external_id=name, chat=name, user_id=u.id or 0,
                               created_at=NOW))
        customers: dict[str, int] = {}
        for key, (owner, source) in CUSTOMERS.items():
            c = Customer(name=f"客户{key}", name_key=key.lower(), source=source, owner_id=users[owner],
                         team_id=teams["south" if owner == "erin" else "east"], created_at=at(1, 1), updated_at=NOW)
            s.add(c)
            s.flush()
            customers[key] = c.id or 0
        deals: dict[str, int] = {}
        for key, owner, cust, amount, moves, expected in DEALS:
            last = moves[-1][0]
            d = Deal(customer_id=customers[cust], title=key, amount=Decimal(amount), stage=last,
                     probability=PROBABILITY[last], expected_close=expected, owner_id=users[owner],
                     lost_reason="价格" if last == "lost" else None, created_at=moves[0][1], updated_at=moves[-1][1],
                     closed_at=moves[-1][1] if last in ("won", "lost") else None)
            s.add(d)
            s.flush()
            deals[key] = d.id or 0
            prev = None
            for stage, when in moves:
                s.add(StageChange(deal_id=d.id or 0, from_stage=prev, to_stage=stage, by_id=users[owner], at=when))
                prev = stage
        for who, when in ACTIVITIES:
            cust = next(k for k, (o, _) in CUSTOMERS.items() if o == who) if who != "bob" else "C1"
            s.add(Activity(customer_id=customers[cust], user_id=users[who], kind="call", at=when, summary="call",
                           created_at=when))
        if targets:
            s.add(Target(team_id=teams["east"], period="2026-Q4", amount=Decimal(500_000)))
            for who, amount in (("alice", 300_000), ("dave", 100_000), ("erin", 50_000)):
                s.add(Target(user_id=users[who], team_id=teams["south" if who == "erin" else "east"],
                             period="2026-Q4", amount=Decimal(amount)))
        s.commit()
    return Book(teams, users, deals)


def user(engine: Engine, name: str) -> User:
    """A user of the book, detached from its session."""
    with Session(engine, expire_on_commit=False) as s:
        return s.exec(select(User).where(col(User.name) == name)).one()


def test_the_book_loads(engine: Engine) -> None:
    book = build_book(engine)
    with Session(engine) as s:
        assert len(s.exec(select(StageChange)).all()) == sum(len(d[4]) for d in DEALS)
        assert s.get(Deal, book.deals["D4"]) is not None
