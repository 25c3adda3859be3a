"""Lists in pages: the span line ("21–40 of 105", "第 21–40 条，共 105 条"), Next/Previous buttons that rerun the
list at the next page in place, a typed page, and /customers sorted by name, grade or last contact."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from sqlmodel import select

from handlers.core import Core
from sales import leads
from sales.access import customer_scope
from sales.demo import load_demo
from storage.db import session_factory
from storage.models import Customer, User
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


def _ids(text: str) -> list[int]:
    return [int(x) for x in re.findall(r"^#(\d+) ", text, re.M)]


def test_customers_page_with_a_next_button_and_a_span(demo: Transcript) -> None:
    first = demo.say("carol", "/customers")
    assert "1–20 of 30" in first
    assert len(_ids(first)) == 20
    assert [b.label for r in demo.last["carol"] for row in r.buttons for b in row] == ["Next ›"]
    second = demo.press("carol", "Next ›")
    assert "21–30 of 30" in second and len(_ids(second)) == 10
    assert not set(_ids(first)) & set(_ids(second))
    assert demo.last["carol"][0].edit == "this"  # the page replaces the list shown
    assert [b.label for r in demo.last["carol"] for row in r.buttons for b in row] == ["‹ Previous"]
    assert _ids(demo.press("carol", "‹ Previous")) == _ids(first)
    assert "21–30 of 30" in demo.say("carol", "/customers page 2")
    assert "21–30 of 30" in demo.say("carol", "/customers page 9")  # past the end: the last page


def test_the_span_in_chinese(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=30, now=clock())
    t = Transcript(Core(engine, clock=clock))
    assert_dialog(t, [("@bob: /customers", ["第 1–20 条，共 ", "下一页"])])


def test_customers_sorted_by_name_grade_and_last_contact(demo: Transcript, engine: Engine) -> None:
    with session_factory(engine)() as s:
        carol = s.exec(select(User).where(User.name == "carol")).one()
        every = list(s.exec(select(Customer).where(customer_scope(carol))).all())
    by_name = sorted(every, key=lambda c: (c.pinyin, c.name, c.id))
    assert _ids(demo.say("carol", "/customers by name"))[:20] == [c.id for c in by_name[:20]]
    grades = [c.grade for c in sorted(every, key=lambda c: (c.grade, c.pinyin, c.name, c.id))]
    shown = demo.say("carol", "/customers by grade")
    assert re.findall(r"· ([ABC]) ·", shown) == grades[:20]
    longest = sorted(every, key=lambda c: (c.last_contact_at is not None, c.last_contact_at or c.created_at, c.id))
    assert _ids(demo.say("carol", "/customers by last contact"))[:20] == [c.id for c in longest[:20]]
    assert "last contact" in shown
    assert "20–" not in demo.say("carol", "/customers A by name")  # a filter with a sort


def test_deals_leads_and_receivables_page(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    deals = demo.say("carol", "/deals team")
    assert re.search(r"1–\d+ of \d+", deals)
    opened = demo.say("carol", "/deal new #1 Big 1000000")
    won = demo.say("carol", "/advance " + re.findall(r"deal #(\d+)", opened)[0] + " won because 直接签约")
    parts = ", ".join(["4% now", *(f"4% 2027-{m:02d}-{d:02d}" for m in range(1, 12) for d in (5, 20)),
                       "rest 2027-12-20"])
    order = re.findall(r"Order #(\d+)", won)[0]
    demo.say("carol", f"/plan {order} {parts}")
    assert "1–20 of 24" in demo.say("fay", "/receivables")
    assert "21–24 of 24" in demo.press("fay", "Next ›")
    with session_factory(engine)() as s, s.begin():
        carol = s.exec(select(User).where(User.name == "carol")).one()
        for i in range(23):
            leads.capture(s, by=carol, company=f"Firma {chr(65 + i) * 3}", person=f"P{i}", now=clock(), force=True)
    assert "1–20 of 23" in demo.say("carol", "/leads")
    assert "21–23 of 23" in demo.press("carol", "Next ›")


def test_a_page_button_keeps_the_role_check(demo: Transcript) -> None:
    demo.say("carol", "/customers")
    assert "can't use /approvals" in demo.say("dave", action="pg:2:/approvals")
