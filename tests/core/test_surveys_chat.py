"""Satisfaction surveys in chat: /survey gives the link and its QR code, a rep only for customers they may see;
the owner is handed a link made by someone else through the outbox; a low score reaches the owner and manager;
the customer card shows the latest score; /report csat gives the average, the months and the reps, with a chart."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers import outbox
from handlers.context import Ctx, Settings
from handlers.core import Core
from handlers.surveys import answered, offer_survey, qr_png
from handlers.types import ChatRef, Incoming
from sales import surveys
from storage.models import Customer, Outbox, Survey, User
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog, text_of

LINK = re.compile(r"https://crm\.example\.com/s/([A-Za-z0-9_-]{22})")


def _customer(engine: Engine, owner: str) -> Customer:
    with Session(engine) as s:
        who = s.exec(select(User).where(col(User.name) == owner)).one()
        c = s.exec(select(Customer).where(col(Customer.owner_id) == who.id).order_by(col(Customer.id))).first()
        assert c is not None
        return c


def _core(demo: Transcript, engine: Engine, clock: FakeClock) -> Transcript:
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en",
                                                               public_url="https://crm.example.com")))
    return t


def test_survey_gives_the_link_and_its_qr_code(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    t = _core(demo, engine, clock)
    c = _customer(engine, "alice")
    replies = t.turn("alice", f"/survey #{c.id}")
    (reply,) = replies
    found = LINK.search(reply.text)
    assert found and "works once, for 14 days" in reply.text and reply.private
    assert reply.image is not None and reply.image.mime == "image/png" and reply.image.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert reply.image.data == qr_png(found.group(0))  # the QR code is the link
    with Session(engine) as s:
        (row,) = s.exec(select(Survey)).all()
        assert row.customer_id == c.id and row.subject_kind == "customer" and row.created_by is not None
        assert row.token_hash == surveys.hash_token(found.group(1))


def test_the_qr_code_reads_back_as_the_link() -> None:
    import segno

    url = "https://crm.example.com/s/AbCdEfGhIjKlMnOpQrStUv"
    png = qr_png(url)
    assert png.startswith(b"\x89PNG")
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    assert 250 <= image.width <= 500 and image.width == image.height  # big enough to scan from a phone
    assert segno.make(url, error="m", micro=False).designator  # the same code segno makes for the link


def test_a_language_word_sets_the_page_language_for_the_customers_next_links(
        demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    t = _core(demo, engine, clock)
    c = _customer(engine, "alice")
    assert_dialog(t, [(f"@alice: /survey #{c.id} en", "crm.example.com/s/"),
                      (f"@alice: /满意度 #{c.id}", "crm.example.com/s/")])
    with Session(engine) as s:
        assert [r.lang for r in s.exec(select(Survey).order_by(col(Survey.id))).all()] == ["en", "en"]


def test_a_rep_makes_links_only_for_customers_they_may_see(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    t = _core(demo, engine, clock)
    c = _customer(engine, "alice")
    assert "crm.example.com" not in t.say("dave", f"/survey #{c.id}")
    assert "can't use /survey" in t.say("fay", f"/survey #{c.id}")  # finance makes no survey links
    assert "Usage" in t.say("alice", "/survey")
    assert "crm.example.com" in t.say("bob", f"/survey #{c.id}")  # her manager may
    with Session(engine) as s:
        (row,) = s.exec(select(Survey)).all()
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        assert row.owner_id == alice.id  # the customer's owner hears of its score, not the manager who asked


def test_a_link_made_by_someone_else_reaches_the_owner_privately(
        demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    c = _customer(engine, "alice")
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", public_url="https://crm.example.com"))
    with Session(engine) as s:
        bob = s.exec(select(User).where(col(User.name) == "bob")).one()
        ctx = Ctx(session=s, incoming=Incoming(chat=ChatRef("console", "local", "bob"), user="bob"), now=clock(),
                  settings=core.settings, user=bob, lang="en")
        customer = s.get(Customer, c.id)
        assert customer is not None
        made = offer_survey(ctx, customer=customer, subject_kind="ticket", subject_id=31)
        s.commit()
        assert ctx.replies == []  # bob resolved the ticket: alice, the owner, passes the link on
        (row,) = s.exec(select(Outbox)).all()
        reply = outbox.reply_from_json(row.payload)
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
    assert row.user_id == alice.id and made.token in reply.text and "service request #31" in reply.text
    assert reply.image is not None and reply.image.data.startswith(b"\x89PNG")


def test_a_low_score_reaches_owner_and_manager_and_the_card_shows_it(
        demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    t = _core(demo, engine, clock)
    c = _customer(engine, "alice")
    assert "Satisfaction" not in t.say("alice", f"/customer #{c.id}")
    with Session(engine) as s:
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        made = surveys.offer(s, customer_id=c.id or 0, subject_kind="order", subject_id=77, owner=alice,
                             now=clock())
        clock.advance(hours=3)
        got = surveys.answer(s, token=made.token, score=1, comment="*never* again <3", now=clock())
        assert got is not None
        assert answered(s, got, now=clock(), default_lang="en") == 2
        s.commit()
    printed = t.say("@carol: /lang en")  # the terminal delivers the outbox: alice's and bob's alerts
    del printed
    with Session(engine) as s:
        texts = [outbox.reply_from_json(o.payload).text for o in s.exec(select(Outbox)).all()]
    assert len(texts) == 2 and all("★☆☆☆☆ (1/5) for order #77" in x and "Owner: alice" in x for x in texts)
    assert all("\\*never\\* again" in x for x in texts)  # the customer's words escaped, not markup
    card = t.say("alice", f"/customer #{c.id}")
    assert "Satisfaction: ★☆☆☆☆ 1/5 (order #77" in card


def test_report_csat_gives_the_average_the_months_and_the_reps(
        demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    t = _core(demo, engine, clock)
    assert "No survey was answered" in t.say("bob", "/report csat")
    first = {who: _customer(engine, who) for who in ("alice", "dave")}
    with Session(engine) as s:
        people = {u.name: u for u in s.exec(select(User)).all()}
        for who, score, days in (("alice", 5, 1), ("alice", 4, 35), ("dave", 2, 2), ("dave", 3, 3)):
            c = first[who]
            made = surveys.offer(s, customer_id=c.id or 0, subject_kind="customer", subject_id=None,
                                 owner=people[who], now=clock() - timedelta(days=days))
            assert surveys.answer(s, token=made.token, score=score, comment="", now=clock() - timedelta(days=days))
        s.commit()
    replies = t.turn("bob", "/report csat")
    said = text_of(replies)
    assert "Average 3.5/5 · answers: 4" in said and "low scores (1-2): 1" in said
    assert "Oct 4.0 (1)" in said and "Nov 3.3 (3)" in said
    assert "alice: 4.5/5 · answers: 2 · low: 0" in said and "dave: 2.5/5 · answers: 2 · low: 1" in said
    assert replies[-1].image is not None and replies[-1].image.data.startswith(b"\x89PNG")
    mine = t.say("alice", "/report csat")
    assert "alice: 4.5/5" in mine and "dave" not in mine  # a rep sees their own
    assert "Average 2.5/5 · answers: 2" in t.say("bob", "/report csat this month dave")
    t.say("alice", "/lang zh")
    assert "平均 4.5/5" in t.say("alice", "/report 满意度")


def test_a_resolved_ticket_hands_its_owner_a_survey_link(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    t = _core(demo, engine, clock)
    c = _customer(engine, "alice")
    t.say("alice", f"/ticket new #{c.id} the printer jams P2")
    if "Which priority?" in text_of(t.last["alice"]):
        t.press("alice", "P2 high")
    assert "crm.example.com/s/" not in t.say("bob", "/ticket 1 start")
    said = t.say("bob", "/ticket 1 resolve")  # the manager resolves it: alice, the customer's owner, is handed the link
    assert "Ticket #1: resolved" in said and "crm.example.com/s/" not in said
    with Session(engine) as s:
        (survey,) = s.exec(select(Survey)).all()
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        rows = [o for o in s.exec(select(Outbox)).all() if o.user_id == alice.id and "/s/" in o.payload]
    assert (survey.subject_kind, survey.subject_id, survey.customer_id, survey.owner_id) == ("ticket", 1, c.id,
                                                                                             alice.id)
    (row,) = rows
    reply = outbox.reply_from_json(row.payload)
    assert "service request #1" in reply.text and reply.image is not None
    assert "crm.example.com/s/" not in t.say("bob", "/ticket 1 close")  # one link per resolution


def test_an_accepted_order_hands_its_owner_a_survey_link(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    t = _core(demo, engine, clock)
    t.say("alice", "/customer add Orion Optics")
    out = t.say("alice", "/deal new Orion Optics lenses 100000")
    deal = out.split("deal #", 1)[1].split(":", 1)[0]
    out = t.say("bob", f"/advance {deal} won because 直接签约")
    order = int(out.split("Order #", 1)[1].split()[0])
    for step in ("start", "ship", "deliver"):
        assert "crm.example.com/s/" not in t.say("alice", f"/order {order} {step}")
    replies = t.turn("alice", f"/order {order} accept")
    said = text_of(replies)
    assert "now accepted" in said and f"Satisfaction survey for Orion Optics (order #{order})" in said
    assert LINK.search(said) and replies[-1].image is not None and replies[-1].private
    with Session(engine) as s:
        (survey,) = s.exec(select(Survey)).all()
    assert (survey.subject_kind, survey.subject_id) == ("order", order)
