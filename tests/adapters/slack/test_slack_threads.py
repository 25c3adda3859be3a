"""The deals-channel setting and the deal thread's outbox rows, in the core (no Slack needed)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.core import Core
from handlers.deal_news import PREFIX, deal_of_thread, thread_key
from sales.demo import load_demo
from storage.models import DealThread, Outbox, Team
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


def test_the_deals_channel_is_a_manager_setting_and_deals_post_to_their_thread(engine: Engine,
                                                                               clock: FakeClock) -> None:
    load_demo(engine, customers=10, now=clock())
    t = Transcript(Core(engine, clock=clock))
    assert_dialog(t, [
        ("@dave: /config deals-channel #sales", "/config"),
        ("@bob: /lang en", "English"),
        ("@bob: /config", "Deals channel: not set"),
        ("@bob: /config deals-channel here", "not in a private chat"),
        ("@bob: /config colour blue", "Usage: /config deals-channel"),
        ("@bob: /config deals-channel #C0DEALS|sales-deals", "Deals channel set to #sales-deals"),
        ("@bob: /config", "Deals channel: C0DEALS"),
        ("@alice: /customer add 远东重工 grade B", "远东重工"),
        ("@alice: /deal new 远东重工 设备 100000", "已新建商机"),
        ("@alice: /visit 远东重工 现场演示，周五再联系", "已记录拜访"),
    ])
    with Session(engine) as s:
        team = s.exec(select(Team)).one()
        assert team.deals_channel == f"{PREFIX}console:local:C0DEALS"
        thread = s.exec(select(DealThread)).one()
        assert (thread.platform, thread.channel, thread.thread_ts) == ("console", "C0DEALS", None)
        rows = s.exec(select(Outbox).where(Outbox.chat == "C0DEALS").order_by(Outbox.id)).all()
        assert [deal_of_thread(r.thread) for r in rows] == [thread.deal_id] * 2
        assert "New deal" in rows[0].payload and "logged a visit" in rows[1].payload
    assert thread_key(7) == "deal:7" and deal_of_thread("1790000000.000100") is None
    assert_dialog(t, [("@bob: /config deals-channel off", "Deal threads are off")])
    with Session(engine) as s:
        assert s.exec(select(Team)).one().deals_channel is None
