"""Replay: every inbound event of a scripted day delivered four times (two racing each other, one right after,
one three events later, as Slack retries and Telegram redeliveries do): duplicates created 0."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from handlers.context import Settings
from handlers.core import Core
from handlers.types import Incoming
from tests.conftest import FakeClock
from tests.trust import day
from tests.trust.chat import figure

CUSTOMERS = 6


def test_every_event_delivered_four_times_creates_nothing_twice(engine: Engine, clock: FakeClock) -> None:
    day.setup(engine)
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    n = CUSTOMERS * day.STEPS_PER_CUSTOMER
    later: dict[int, list[Incoming]] = {}
    deliveries = answered_again = unanswered = 0

    def again(inc: Incoming) -> None:
        nonlocal deliveries, answered_again
        deliveries += 1
        answered_again += bool(core.handle(inc))

    with ThreadPoolExecutor(2) as pool:
        for i in range(n):
            clock.now = day.at(i)
            inc = day.event(engine, i)
            racing = list(pool.map(core.handle, [inc, inc]))
            deliveries += 2
            unanswered += not any(racing)
            answered_again += sum(bool(r) for r in racing) - 1 if any(racing) else 0
            again(inc)
            later.setdefault(i + 3, []).append(inc)
            for old in later.pop(i, []):
                again(old)
    for rest in later.values():
        for old in rest:
            again(old)

    dups = day.duplicates(engine)
    got = day.tally(engine)
    want = {k: v * CUSTOMERS for k, v in day.EXPECTED.items()} | {"approved": CUSTOMERS}
    figure(f"replay [{engine.dialect.name}]", f"{n} events × 4 = {deliveries} deliveries: duplicates created {dups}, "
                                              f"repeats answered {answered_again}, rows as after one delivery each: "
                                              f"{'yes' if got == want else 'no'}")
    assert deliveries == 4 * n and unanswered == 0
    assert dups == 0 and answered_again == 0
    assert got == want, got


def test_a_survey_answer_delivered_four_times_lands_once(engine: Engine, clock: FakeClock) -> None:
    """The customer's post of a survey page sent four times (two racing, one right after, one a minute later, as a
    double tap and a browser's resend do): one answer, one alert to the owner and one to the manager."""
    import re

    from sqlmodel import Session, col, select
    from starlette.testclient import TestClient

    from bot.surveys import Door
    from bot.web import Parts, build
    from sales import surveys
    from sales.demo import load_demo
    from storage.models import Customer, Outbox, Survey, User

    load_demo(engine, customers=3, now=clock(), activities_per_customer=0)
    with Session(engine) as s:
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        c = s.exec(select(Customer).where(col(Customer.owner_id) == alice.id)).first()
        assert c is not None
        token = surveys.offer(s, customer_id=c.id or 0, subject_kind="order", subject_id=8, owner=alice,
                              now=clock()).token
        s.commit()
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", public_url="http://testserver"))
    with TestClient(build(Parts(engine=engine, core=core, survey_door=Door(limit=0)))) as client:
        found = re.search(r'name="form" value="([^"]+)"', client.get(f"/s/{token}").text)
        assert found is not None
        cookie = client.cookies.get("sv")
        data = {"form": found.group(1), "score": "1", "comment": "broken on arrival"}

        def post(_: int) -> int:
            with TestClient(client.app, cookies={"sv": cookie or ""}) as own:  # one tab's cookie, own connection
                own.cookies.set("sv", cookie or "", path=f"/s/{token}")
                return own.post(f"/s/{token}", data=data).status_code

        with ThreadPoolExecutor(2) as pool:
            codes = list(pool.map(post, range(2)))
        codes.append(post(2))
        clock.advance(minutes=1)
        codes.append(post(3))
    with Session(engine) as s:
        answered = s.exec(select(Survey).where(col(Survey.answered_at).is_not(None))).all()
        alerts = s.exec(select(Outbox)).all()
    figure(f"survey replay [{engine.dialect.name}]", f"one answer posted 4 times: {codes.count(200)} landed, "
                                                     f"{len(alerts)} alerts (owner and manager)")
    assert sorted(codes) == [200, 404, 404, 404]
    assert len(answered) == 1 and answered[0].score == 1
    assert len(alerts) == 2
def test_one_idempotency_key_posted_four_times_opens_one_ticket(engine: Engine, clock: FakeClock) -> None:
    """A web form's ticket sent four times under one Idempotency-Key (two at once, one right after, one after
    other posts, as a browser's retries do): one ticket, and every answer names it."""
    from sqlalchemy import func
    from sqlmodel import Session, select
    from starlette.testclient import TestClient

    from bot.web import Parts, build
    from sales.demo import load_demo
    from storage.models import Ticket

    load_demo(engine, customers=3, now=clock())
    token = "replay-tickets-token-0123456789"

    def client() -> TestClient:
        return TestClient(build(Parts(engine=engine, core=Core(engine, clock=clock), tickets_token=token)))

    headers = {"authorization": f"Bearer {token}", "Idempotency-Key": "form-7-submit"}
    body = {"company": "远方机械有限公司", "problem": "主轴过热", "priority": "P1"}
    first, second = client(), client()
    with ThreadPoolExecutor(2) as pool:
        racing = list(pool.map(lambda c: c.post("/api/tickets", json=body, headers=headers), [first, second]))
    answers = [*racing, first.post("/api/tickets", json=body, headers=headers)]
    for n in range(3):
        first.post("/api/tickets", json={**body, "problem": f"别的 {n}"}, headers={"authorization": headers["authorization"]})
    answers.append(second.post("/api/tickets", json=body, headers=headers))
    with Session(engine) as s:
        keyed = s.exec(select(func.count()).select_from(Ticket).where(Ticket.api_key == "form-7-submit")).one()
    statuses = sorted(a.status_code for a in answers)
    figure(f"ticket replay [{engine.dialect.name}]", f"one Idempotency-Key × 4 posts: tickets {keyed}, answers "
                                                    f"{statuses}")
    assert keyed == 1 and statuses == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
