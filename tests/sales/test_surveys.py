"""Survey links and answers (sales/surveys.py) and the satisfaction figures (sales/analytics/csat.py), on SQLite
and PostgreSQL: the token is stored hashed, works once, expires after 14 days, and its answer lands on its own
customer alone."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from sales import analytics as an
from sales import surveys
from sales.analytics.csat import csat
from sales.demo import load_demo
from sales.errors import RuleError
from storage.models import AuditLog, Customer, Survey, User
from tests.conftest import FakeClock

TZ = ZoneInfo("Asia/Shanghai")


def _people(s: Session) -> dict[str, User]:
    return {u.name: u for u in s.exec(select(User)).all()}


def _customers(s: Session, owner: User, n: int = 2) -> list[Customer]:
    return list(s.exec(select(Customer).where(col(Customer.owner_id) == owner.id).order_by(col(Customer.id))
                       .limit(n)).all())


@pytest.fixture
def team(engine: Engine, clock: FakeClock) -> Engine:
    load_demo(engine, customers=8, now=clock())
    return engine


def test_the_token_is_unguessable_and_only_its_hash_is_stored(team: Engine, clock: FakeClock) -> None:
    with Session(team) as s:
        alice = _people(s)["alice"]
        c = _customers(s, alice)[0]
        made = [surveys.offer(s, customer_id=c.id or 0, subject_kind="order", subject_id=7, owner=alice,
                              now=clock(), by=alice) for _ in range(20)]
        s.commit()
        tokens = {m.token for m in made}
        assert len(tokens) == 20 and all(len(t) >= 22 and surveys.well_formed(t) for t in tokens)  # 128 bits
        assert all(m.path == "/s/" + m.token for m in made)
        rows = s.exec(select(Survey)).all()
        assert {r.token_hash for r in rows} == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
        assert all(r.expires_at == clock() + timedelta(days=14) for r in rows)
        dump = " ".join(str(v) for r in s.execute(text("SELECT * FROM survey")).all() for v in r)
        dump += " ".join(str(v) for r in s.execute(text("SELECT * FROM auditlog")).all() for v in r)
        assert not any(t in dump for t in tokens)  # the token itself is nowhere in the database


def test_an_answer_lands_once_and_on_its_own_customer(team: Engine, clock: FakeClock) -> None:
    with Session(team) as s:
        people = _people(s)
        a1, a2 = _customers(s, people["alice"])
        d1 = _customers(s, people["dave"], 1)[0]
        first = surveys.offer(s, customer_id=a1.id or 0, subject_kind="order", subject_id=3, owner=people["alice"],
                              now=clock())
        other = surveys.offer(s, customer_id=d1.id or 0, subject_kind="ticket", subject_id=9, owner=people["dave"],
                              now=clock())
        s.commit()
        got = surveys.answer(s, token=first.token, score=4, comment=" fine\x00 \ud800 work ", now=clock())
        s.commit()
        assert got is not None and (got.customer_id, got.subject_kind, got.subject_id) == (a1.id, "order", 3)
        assert got.comment == "fine  work" and got.score == 4
        assert surveys.answer(s, token=first.token, score=1, comment="again", now=clock()) is None  # used
        s.commit()
        assert surveys.latest(s, customer_id=a1.id or 0) is not None
        assert surveys.latest(s, customer_id=a2.id or 0) is None  # nothing reached another customer
        assert surveys.latest(s, customer_id=d1.id or 0) is None
        untouched = s.get(Survey, other.survey.id)
        assert untouched is not None and untouched.answered_at is None
        kept = s.get(Survey, first.survey.id)
        assert kept is not None and kept.score == 4  # the second answer changed nothing
        audit = s.exec(select(AuditLog).where(col(AuditLog.action) == "survey answer")).all()
        assert [(x.entity, x.entity_id) for x in audit] == [("customer", a1.id)]


def test_wrong_used_and_expired_tokens_open_nothing(team: Engine, clock: FakeClock) -> None:
    with Session(team) as s:
        alice = _people(s)["alice"]
        c = _customers(s, alice)[0]
        made = surveys.offer(s, customer_id=c.id or 0, subject_kind="customer", subject_id=None, owner=alice,
                             now=clock())
        s.commit()
        assert surveys.open_survey(s, token=made.token, now=clock()) is not None
        for wrong in ("", "x", made.token[:-1] + ("A" if made.token[-1] != "A" else "B"), made.token + "A",
                      "../" + made.token, made.token.upper() if made.token.upper() != made.token else "Z" * 22,
                      "\ud800" * 30, "%" * 40):
            assert surveys.open_survey(s, token=wrong, now=clock()) is None
            assert surveys.answer(s, token=wrong, score=5, comment="", now=clock()) is None
        later = clock() + surveys.TTL
        assert surveys.open_survey(s, token=made.token, now=later - timedelta(seconds=1)) is not None
        assert surveys.open_survey(s, token=made.token, now=later) is None  # expired after 14 days
        assert surveys.answer(s, token=made.token, score=5, comment="", now=later) is None
        with pytest.raises(RuleError):
            surveys.answer(s, token=made.token, score=6, comment="", now=clock())
        assert surveys.answer(s, token=made.token, score=5, comment="", now=clock()) is not None
        s.commit()
        assert surveys.open_survey(s, token=made.token, now=clock()) is None  # used


def test_the_customers_language_is_remembered(team: Engine, clock: FakeClock) -> None:
    with Session(team) as s:
        alice = _people(s)["alice"]
        c = _customers(s, alice)[0]
        first = surveys.offer(s, customer_id=c.id or 0, subject_kind="customer", subject_id=None, owner=alice,
                              now=clock())
        assert first.survey.lang is None
        surveys.offer(s, customer_id=c.id or 0, subject_kind="customer", subject_id=None, owner=alice,
                      now=clock(), lang="en")
        later = surveys.offer(s, customer_id=c.id or 0, subject_kind="order", subject_id=1, owner=alice,
                              now=clock())
        assert later.survey.lang == "en"


def test_low_scores_reach_the_owners_managers(team: Engine) -> None:
    with Session(team) as s:
        people = _people(s)
        assert [u.name for u in surveys.managers_of(s, people["alice"])] == ["bob"]
        assert [u.name for u in surveys.managers_of(s, people["bob"])] == ["carol"]  # no other manager: the admin
        assert surveys.is_low(1) and surveys.is_low(2) and not surveys.is_low(3) and not surveys.is_low(None)


def test_satisfaction_figures_by_month_and_rep_within_the_scope(team: Engine, clock: FakeClock) -> None:
    now = clock()
    with Session(team) as s:
        people = _people(s)
        plan = [("alice", 5, 0), ("alice", 4, 0), ("alice", 1, 40), ("dave", 3, 0), ("dave", 2, 70)]
        for who, score, days_ago in plan:
            c = _customers(s, people[who], 1)[0]
            made = surveys.offer(s, customer_id=c.id or 0, subject_kind="customer", subject_id=None,
                                 owner=people[who], now=now - timedelta(days=days_ago))
            assert surveys.answer(s, token=made.token, score=score, comment="", now=now - timedelta(days=days_ago))
        s.commit()
        start, end = now - timedelta(days=100), now + timedelta(days=1)
        team_figures = csat(s, an.scope_for(people["bob"]), start, end, TZ, now=now)
        assert team_figures.answers == 5 and team_figures.low == 2
        assert team_figures.average == pytest.approx(3.0)
        assert [(r.name, r.answers, round(r.average, 2)) for r in team_figures.reps] == \
            [("alice", 3, 3.33), ("dave", 2, 2.5)]
        by_month = {m.start.month: (m.answers, m.average) for m in team_figures.months}
        assert by_month[11] == (3, 4.0) and by_month[10] == (1, 1.0) and by_month[9] == (1, 2.0)
        assert by_month[8] == (0, None)  # a month without answers is kept, empty
        mine = csat(s, an.scope_for(people["alice"]), start, end, TZ, now=now)
        assert mine.answers == 3 and [r.name for r in mine.reps] == ["alice"]
        recent = csat(s, an.scope_for(people["bob"]), now - timedelta(days=10), end, TZ, now=now)
        assert recent.answers == 3 and recent.offered == 3
