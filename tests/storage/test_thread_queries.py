"""storage/threads.py queries, platform-neutral: one sender at a time claims a deal thread's root (on the injected
clock), and the messages linked to a key."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.links import approval_key, keys_of
from handlers.types import Button, Reply
from sales.demo import load_demo
from storage.db import session_factory, transaction
from storage.models import Deal, DealThread
from storage.threads import claim_root, deal_thread, link, linked, root_of, set_root
from tests.conftest import FakeClock


def test_one_sender_claims_a_root_until_it_is_posted_or_the_claim_goes_stale(engine: Engine,
                                                                             clock: FakeClock) -> None:
    load_demo(engine, customers=3, now=clock())
    sessions = session_factory(engine)
    with transaction(sessions) as s:
        deal = s.exec(select(Deal)).first()
        assert deal is not None and deal.id is not None
        row = DealThread(deal_id=deal.id, platform="feishu", workspace="W", channel="oc_deals", created_at=clock())
        s.add(row)
        s.flush()
        tid, deal_id = row.id or 0, deal.id
    where = {"deal_id": deal_id, "platform": "feishu", "workspace": "W", "channel": "oc_deals"}

    def root() -> tuple[str | None, str] | None:
        with Session(engine) as s:
            found = deal_thread(session=s, **where)
            assert found is not None and found.id == tid
            return root_of(found)

    with Session(engine) as s:
        assert deal_thread(session=s, **{**where, "platform": "slack"}) is None
    assert root() is None
    with transaction(sessions) as s:
        assert claim_root(session=s, thread_id=tid, now=clock())
    with transaction(sessions) as s:
        assert not claim_root(session=s, thread_id=tid, now=clock() + timedelta(seconds=119))
    assert root() is None  # claimed, not posted
    with transaction(sessions) as s:  # the claimer died: after two minutes another sender may take it
        assert claim_root(session=s, thread_id=tid, now=clock() + timedelta(minutes=3))
    with transaction(sessions) as s:
        set_root(session=s, thread_id=tid, channel=None, message_id=None)  # a failed post gives it back
    with transaction(sessions) as s:
        assert claim_root(session=s, thread_id=tid, now=clock())
        set_root(session=s, thread_id=tid, channel="oc_deals_id", message_id="om_1")
    assert root() == ("oc_deals_id", "om_1")
    with transaction(sessions) as s:
        assert not claim_root(session=s, thread_id=tid, now=clock() + timedelta(days=1))
    assert root() == ("oc_deals_id", "om_1")


def test_messages_linked_to_an_approval(engine: Engine, clock: FakeClock) -> None:
    request = Reply(text="approve?", buttons=((Button("OK", "ap.ok:12"), Button("No", "ap.no:12")),
                                              (Button("Details", "say:/quote 3"),)))
    assert keys_of(request) == {"ap:12"} and keys_of(Reply(text="x")) == set()
    assert approval_key("ap.no:7") == "ap:7" and approval_key("ap.ok:x") is None and approval_key("fu.done:1") is None
    sessions = session_factory(engine)
    with transaction(sessions) as s:
        link(session=s, platform="slack", workspace="T", keys=keys_of(request), chat="U1", channel="D1",
             message_id="1.1", now=clock())
        link(session=s, platform="feishu", workspace="T", keys={"ap:12"}, chat="oc", channel="oc", message_id="om",
             now=clock())
    with Session(engine) as s:
        got = linked(session=s, platform="slack", workspace="T", key="ap:12")
        assert [(m.chat, m.channel, m.ts, m.created_at) for m in got] == [("U1", "D1", "1.1", clock())]
        assert linked(session=s, platform="slack", workspace="T", key="ap:13") == []
        assert [m.ts for m in linked(session=s, platform="feishu", workspace="T", key="ap:12")] == ["om"]
