"""/report retention on a small book whose answers are worked out by hand, on both databases.

alice's customers and their orders (UTC, 02:00), NOW = 2026-11-22 02:00Z, 12 churn months (cutoff 2025-11-22):
R1 A 展会      2025-03-01 10,000 · 2026-05-01 20,000       repeat in 2026
R2 A 官网      2026-07-01 30,000                           one order
R3 B Website   2024-06-01 5,000 · 2024-12-01 5,000         churned (nothing since)
R4 B (none)    2025-01-10 8,000; a call 2026-02-01          not churned: an activity within 12 months
R5 C 展会      2025-10-01 4,000                            churned
R6 C 转介绍     2026-11-20 1,000 · 2026-11-21 1,000         repeat in 2026
2026: buyers R1 R2 R6 (3), repeat R1 R6 (2); buyers ever 6; churned R5, R3 (latest order first).
Lifetime value: A 2 × 30,000 = 60,000; B 18,000 (9,000 each); C 6,000 (3,000 each).
By source: 官网 = Website 40,000 (20,000 each), 展会 34,000 (17,000), none 8,000, 转介绍 2,000.
2025 (as of its end): buyers R1 R4 R5 (3), no repeat by then, buyers ever 4, churned R3 only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event
from sqlmodel import Session

from handlers.reporting.retention import retention_report
from sales import analytics as an
from sales.analytics.periods import Period
from sales.analytics.retention import retention
from storage.models import Activity, Customer, Deal, SalesOrder, Team, User

NOW = datetime(2026, 11, 22, 2, tzinfo=UTC)
SH = ZoneInfo("Asia/Shanghai")
BOOK = {"R1": ("A", "展会", [(date(2025, 3, 1), 10_000), (date(2026, 5, 1), 20_000)]),
        "R2": ("A", "website", [(date(2026, 7, 1), 30_000)]),
        "R3": ("B", "Website", [(date(2024, 6, 1), 5_000), (date(2024, 12, 1), 5_000)]),
        "R4": ("B", None, [(date(2025, 1, 10), 8_000)]),
        "R5": ("C", "展会", [(date(2025, 10, 1), 4_000)]),
        "R6": ("C", "referral", [(date(2026, 11, 20), 1_000), (date(2026, 11, 21), 1_000)])}


def at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 2, tzinfo=UTC)


def book(engine: Engine) -> None:
    with Session(engine) as s:
        t = Team(name="T", created_at=NOW)
        s.add(t)
        s.flush()
        alice = User(team_id=t.id, name="alice", role="rep", created_at=NOW)
        s.add(alice)
        s.flush()
        for name, (grade, source, orders) in BOOK.items():
            c = Customer(team_id=t.id, name=name, name_key=name.lower(), grade=grade, source=source,
                         owner_id=alice.id or 0, created_at=at(date(2024, 1, 1)), updated_at=NOW)
            s.add(c)
            s.flush()
            for day, amount in orders:
                d = Deal(customer_id=c.id or 0, title="x", amount=Decimal(amount), stage="won", probability=100,
                         owner_id=alice.id or 0, created_at=at(day), updated_at=at(day), closed_at=at(day))
                s.add(d)
                s.flush()
                s.add(SalesOrder(deal_id=d.id or 0, customer_id=c.id or 0, owner_id=alice.id or 0,
                                 amount=Decimal(amount), created_at=at(day)))
            if name == "R4":
                s.add(Activity(customer_id=c.id or 0, user_id=alice.id or 0, kind="call", at=at(date(2026, 2, 1)),
                               summary="call", created_at=NOW))
        s.commit()


def test_retention_figures_of_the_small_book(engine: Engine) -> None:
    book(engine)
    year = Period("year", date(2026, 1, 1), date(2027, 1, 1))
    with Session(engine) as s:
        start, end = year.bounds(SH)
        r = retention(s, an.Scope("all"), start, end, now=NOW, months=12)
        assert (r.buyers, r.repeat, r.customers, r.churned) == (3, 2, 6, 2)
        assert [x.name for x in r.page] == ["R5", "R3"] and r.page[1].last_order == at(date(2024, 12, 1))
        assert [(g.key, g.customers, g.total, g.average) for g in r.by_grade] == [
            ("A", 2, Decimal("60000.00"), Decimal("30000.00")), ("B", 2, Decimal("18000.00"), Decimal("9000.00")),
            ("C", 2, Decimal("6000.00"), Decimal("3000.00"))]
        assert [(g.key, g.customers, g.average) for g in r.by_source] == [
            ("website", 2, Decimal("20000.00")), ("trade show", 2, Decimal("17000.00")), ("", 1, Decimal("8000.00")),
            ("referral", 1, Decimal("2000.00"))]
        start, end = Period("year", date(2025, 1, 1), date(2026, 1, 1)).bounds(SH)
        last = retention(s, an.Scope("all"), start, end, now=NOW, months=12)
        assert (last.buyers, last.repeat, last.customers, last.churned) == (3, 0, 4, 1)
        assert retention(s, an.Scope("all"), *year.bounds(SH), now=NOW, months=24).churned == 0  # R3: Dec 2024
        assert [x.name for x in retention(s, an.Scope("all"), *year.bounds(SH), now=NOW, offset=1).page] == ["R3"]
        answer, more = retention_report(s, an.Scope("all"), year, "en", "Asia/Shanghai", now=NOW, months=12,
                                        more="/report retention 2026 page")
    assert answer.text.splitlines()[1:4] == [
        "Repeat purchase: 67% (2 of 3 customers who ordered in the period have ordered twice or more)",
        "Churned: 2 of 6 buyers (33%), no order and no activity for 12 months as of Sun 2026-11-22",
        "  #5 R5 · C · alice · last order Wed 2025-10-01 · last activity —"]
    assert "  官网: 20,000 a customer · 2 customers · 40,000 in all" not in answer.text  # English labels
    assert "  Website: ¥20,000 a customer · 2 customers · ¥40,000 in all" in answer.text
    assert more == () and answer.draw is not None


def test_retention_is_one_statement_and_a_page_past_the_end_is_empty(engine: Engine) -> None:
    """Groups and the page of churned buyers come from one statement (the orders, deals and customers read once)."""
    book(engine)
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    year = Period("year", date(2026, 1, 1), date(2027, 1, 1))
    with Session(engine) as s:
        s.connection()  # the transaction's own statements (SQLite's BEGIN) before counting
        event.listen(engine, "before_cursor_execute", count)
        try:
            r = retention(s, an.Scope("all"), *year.bounds(SH), now=NOW, months=12)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(seen) == 1, seen
        assert (r.buyers, r.repeat, r.customers, r.churned) == (3, 2, 6, 2) and [x.name for x in r.page] == ["R5", "R3"]
        past = retention(s, an.Scope("all"), *year.bounds(SH), now=NOW, months=12, offset=10)
        assert (past.buyers, past.repeat, past.customers, past.churned, past.page) == (3, 2, 6, 2, [])
