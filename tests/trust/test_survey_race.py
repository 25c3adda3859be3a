"""Survey tokens under races, on SQLite and PostgreSQL: submissions of one token released at once (threads with
their own sessions, and browsers' posts to a real uvicorn server of the web role): exactly one lands, the others
get the neutral page, and the owner hears of a low score once."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.surveys import Door
from bot.web import Parts, build
from handlers.context import Settings
from handlers.core import Core
from sales import surveys
from sales.demo import load_demo
from storage.models import Customer, Outbox, Survey, User
from tests.conftest import FakeClock
from tests.standins.web import in_thread
from tests.trust.chat import figure

THREADS = 8


def _survey(engine: Engine, now: datetime) -> tuple[str, int]:
    load_demo(engine, customers=4, now=now)
    with Session(engine) as s:
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        c = s.exec(select(Customer).where(col(Customer.owner_id) == alice.id)).first()
        assert c is not None
        made = surveys.offer(s, customer_id=c.id or 0, subject_kind="order", subject_id=5, owner=alice, now=now)
        s.commit()
        return made.token, c.id or 0


def test_one_token_submitted_at_once_in_threads_lands_once(engine: Engine, clock: FakeClock) -> None:
    token, customer = _survey(engine, clock())
    gate = threading.Barrier(THREADS)
    landed: list[int] = []

    def submit(i: int) -> None:
        with Session(engine) as s:
            gate.wait()
            got = surveys.answer(s, token=token, score=1 + i % 5, comment=f"answer {i}", now=clock())
            s.commit()
            if got is not None:
                landed.append(i)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    with Session(engine) as s:
        rows = s.exec(select(Survey)).all()
    figure(f"survey token race, threads [{engine.dialect.name}]",
           f"{THREADS} submissions of one token at once: {len(landed)} landed")
    assert len(landed) == 1
    assert len(rows) == 1 and rows[0].customer_id == customer and rows[0].comment == f"answer {landed[0]}"


@pytest.mark.slow
def test_one_token_posted_at_once_by_browsers_lands_once(engine: Engine, clock: FakeClock) -> None:
    clock.now = datetime.now(UTC)  # the cookie's expiry is read by the HTTP client against the real clock
    token, _ = _survey(engine, clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", public_url="http://127.0.0.1"))
    app = build(Parts(engine=engine, core=core, survey_door=Door(limit=0)))
    answers: list[int] = [0] * THREADS
    with in_thread(app) as url:
        clients = [httpx.Client(base_url=url, timeout=30) for _ in range(THREADS)]
        forms = []
        for c in clients:  # each one opens the page first: its own cookie and form token
            page = c.get(f"/s/{token}")
            assert page.status_code == 200
            found = re.search(r'name="form" value="([^"]+)"', page.text)
            assert found is not None
            forms.append(found.group(1))
        gate = threading.Barrier(THREADS)

        def post(i: int) -> None:
            gate.wait()
            answers[i] = clients[i].post(f"/s/{token}", data={"form": forms[i], "score": "1",
                                                              "comment": "late"}).status_code

        threads = [threading.Thread(target=post, args=(i,)) for i in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        for c in clients:
            c.close()
    with Session(engine) as s:
        answered = s.exec(select(Survey).where(col(Survey.answered_at).is_not(None))).all()
        alerts = s.exec(select(Outbox)).all()
    figure(f"survey token race, web [{engine.dialect.name}]",
           f"{THREADS} posts of one token at once to uvicorn: {answers.count(200)} landed, "
           f"{answers.count(404)} shown the neutral page")
    assert sorted(answers) == [200] + [404] * (THREADS - 1)
    assert len(answered) == 1
    assert len(alerts) == 2  # the low score told once: alice and her manager
