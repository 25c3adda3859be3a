"""A team with both a Telegram deals room (/dealroom) and a Slack deals channel (/config deals-channel)."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.context import Settings
from handlers.core import Core
from handlers.deal_news import PREFIX, deal_of_thread
from handlers.types import ChatRef, Incoming
from sales import invites
from sales.demo import load_demo
from storage.db import session_factory, transaction
from storage.models import AuditLog, Deal, Outbox, Team, User
from tests.conftest import FakeClock

BOT = "4242"  # the Telegram bot's id: its workspace
SLACK = "T0TEAM"
GROUP = ChatRef("telegram", BOT, "-1001234567890", "77")  # a topic of the team's forum group
CHANNEL = ChatRef("slack", SLACK, "C0DEALS")
ROOM = f"telegram:{BOT}:-1001234567890:77"
THREADS = f"{PREFIX}slack:{SLACK}:C0DEALS"
ALICE = ChatRef("console", "local", "alice")


def _bind_bob(engine: Engine, clock: FakeClock) -> None:
    with transaction(session_factory(engine)) as s:
        bob = s.exec(select(User).where(col(User.name) == "bob")).one()
        invites.bind(s, user_id=bob.id or 0, platform="telegram", workspace=BOT, external_id="101", chat="101",
                     now=clock())
        invites.bind(s, user_id=bob.id or 0, platform="slack", workspace=SLACK, external_id="U0BOB", chat="D0BOB",
                     now=clock())


def _bob(core: Core, where: ChatRef, text: str) -> str:
    user = "101" if where.platform == "telegram" else "U0BOB"
    private = where.chat in ("101", "D0BOB")
    return "\n".join(r.text for r in core.handle(Incoming(chat=where, user=user, text=text, private=private)))


def _alice(core: Core, text: str) -> str:
    return "\n".join(r.text for r in core.handle(Incoming(chat=ALICE, user="alice", text=text)))


def _settings(engine: Engine) -> tuple[str | None, str | None]:
    with Session(engine) as s:
        team = s.exec(select(Team)).one()
        return team.deals_room, team.deals_channel


def _posts(engine: Engine, where: ChatRef, after: int = 0) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).where(col(Outbox.platform) == where.platform,
                                                col(Outbox.chat) == where.chat, col(Outbox.id) > after)
                           .order_by(col(Outbox.id))).all())


def _newest_outbox(engine: Engine) -> int:
    with Session(engine) as s:
        return max((o.id or 0 for o in s.exec(select(Outbox)).all()), default=0)


def _won_deal(core: Core, engine: Engine, customer: str) -> int:
    _alice(core, f"/customer add {customer} grade B")
    assert "Opened deal #" in _alice(core, f"/deal new {customer} 设备 100000")
    with Session(engine) as s:
        deal = s.exec(select(Deal).order_by(col(Deal.id).desc())).first()
        assert deal is not None and deal.id is not None
        deal_id = deal.id
    # won straight from prospect: past the skipped stages' rules, which only a manager may do (with a reason)
    said = core.handle(Incoming(chat=ChatRef("console", "local", "bob"), user="bob",
                                text=f"/advance {deal_id} won because 直接签约"))
    assert "🎉" in "\n".join(r.text for r in said)
    return deal_id


def test_the_deals_room_and_the_deals_channel_are_separate_settings(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=10, now=clock())
    _bind_bob(engine, clock)
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    _alice(core, "/lang en")
    _bob(core, ChatRef("slack", SLACK, "D0BOB"), "/lang en")

    assert "Deals channel set to #C0DEALS" in _bob(core, CHANNEL, "/config deals-channel here")
    assert "deal moves will be posted here" in _bob(core, GROUP, "/dealroom")
    assert _settings(engine) == (ROOM, THREADS)
    assert "Deals channel: C0DEALS" in _bob(core, CHANNEL, "/config")

    # one stage move: flat in the Telegram topic, and in the deal's thread of the Slack channel
    deal = _won_deal(core, engine, "远东重工")
    room = _posts(engine, GROUP)
    assert {(r.workspace, r.thread) for r in room} == {(BOT, "77")}
    assert [f"Deal #{deal}" in r.payload for r in room] == [True, True]  # opened (Prospect), then Won
    assert "→ *Prospect*" in room[0].payload and "→ *Won*" in room[1].payload
    threaded = _posts(engine, CHANNEL)
    assert [deal_of_thread(r.thread) for r in threaded] == [deal] * len(threaded)
    assert "New deal" in threaded[0].payload and any("moved the deal to" in r.payload for r in threaded)

    # turning the room off leaves the channel; the next move is only threaded
    _bob(core, ChatRef("telegram", BOT, "101"), "/dealroom off")
    assert _settings(engine) == (None, THREADS)
    seen = _newest_outbox(engine)
    deal = _won_deal(core, engine, "北方机电")
    assert _posts(engine, GROUP, seen) == []
    assert {deal_of_thread(r.thread) for r in _posts(engine, CHANNEL, seen)} == {deal}

    # setting the room again, then turning the channel off, leaves the room; the next move is only in the room
    _bob(core, GROUP, "/dealroom")
    assert _settings(engine) == (ROOM, THREADS)
    assert "Deal threads are off" in _bob(core, CHANNEL, "/config deals-channel off")
    assert _settings(engine) == (ROOM, None)
    seen = _newest_outbox(engine)
    deal = _won_deal(core, engine, "南方电气")
    assert [f"Deal #{deal}" in r.payload for r in _posts(engine, GROUP, seen)] == [True, True]
    assert _posts(engine, CHANNEL, seen) == []

    # and setting the channel again leaves the room
    _bob(core, CHANNEL, "/config deals-channel here")
    assert _settings(engine) == (ROOM, THREADS)

    # each audit entry names only its own setting
    with Session(engine) as s:
        entries = s.exec(select(AuditLog).where(col(AuditLog.entity) == "team").order_by(col(AuditLog.id))).all()
    keys = [(set(json.loads(e.before or "{}")), set(json.loads(e.after or "{}"))) for e in entries]
    channel, room_key = {"deals_channel"}, {"deals_room"}
    assert keys == [(channel, channel), (room_key, room_key), (room_key, room_key), (room_key, room_key),
                    (channel, channel), (channel, channel)]


def test_a_feishu_room_that_is_also_the_deals_channel_keeps_one_card_per_deal(engine: Engine,
                                                                              clock: FakeClock) -> None:
    load_demo(engine, customers=10, now=clock())
    app, chat = "cli_a5room", "oc_room000000000000000000000000001"
    with transaction(session_factory(engine)) as s:
        team = s.exec(select(Team)).one()
        team.deals_room = f"feishu:{app}:{chat}"
        team.deals_channel = f"{PREFIX}feishu:{app}:{chat}"
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    room = ChatRef("feishu", app, chat)
    _alice(core, "/lang en")
    deal_id = _won_deal(core, engine, "一卡科技有限公司")
    rows = [r for r in _posts(engine, room) if deal_of_thread(r.thread) == deal_id]
    payloads = [json.loads(r.payload) for r in rows]
    # the thread's card opens it (the room's card would be the same message); at the win the thread hears the
    # move, the card is replaced, and the thread hears of the order
    assert [p.get("edit") for p in payloads] == [None, None, "card", None], payloads
    assert "New deal" in payloads[0]["text"] and "Won" in payloads[1]["text"] and "Won" in payloads[2]["text"]
    assert [b["label"] for row in payloads[2]["buttons"] for b in row] == ["Details"]
