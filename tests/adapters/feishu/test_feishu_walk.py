"""The core issue's whole walk in Feishu: the real lark-oapi SDK against the local Open API, events over the
long connection (a WebSocket of pbbp2 frames) and over the web app's HTTP callback; an event delivered four
times is handled once; forged and stale callbacks are refused."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from sales.names import directory
from storage.models import Approval, ChatIdentity, Customer, DealThread, FollowUp, Installment, ProcessedEvent
from tests.conftest import FakeClock
from tests.standins.feishu import ENCRYPT_KEY, buttons_of, p2p_of, text_of
from tests.standins.feishu_run import Seen, bind_demo, names_of, running, standing

DEALS = "oc_5ad11deals00000000000000000000"


@pytest.fixture(autouse=True)
def fresh_name_index() -> None:
    """PostgreSQL tables are truncated between tests, which the process's customer-name index cannot notice."""
    directory._cache.clear()


def expect(seen: Seen, *fragments: str) -> str:
    """Every fragment appears in what the step made the bot do."""
    text = seen.text()
    for fragment in fragments:
        assert fragment in text, f"expected {fragment!r} in:\n{text}"
    return text


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
@pytest.mark.parametrize("via", ["ws", "http"])
async def test_alice_sells_to_huadong_in_feishu(engine: Engine, clock: FakeClock, via: str) -> None:
    load_demo(engine, customers=200, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with standing() as api:
        team = bind_demo(engine, api, clock)
        alice, bob, carol, dave, fay = (team[n] for n in ("alice", "bob", "carol", "dave", "fay"))
        api.group(DEALS, "销售商机", *team.values())
        sam = api.person("sam", "en-US")
        names = names_of(team, deals=DEALS) | {p2p_of(sam.open_id): "sam"}
        async with running(api, core, via, names) as fs:
            # carol points the team's deal cards at the group, with @salesbot in front of the words
            expect(await fs.say(carol, "config deals-channel here", chat=DEALS, mention=True),
                   "→ deals: Deals channel set")
            expect(await fs.say(sam, "/customer 华东精密"), "→ sam:", "/join")
            expect(await fs.say(alice, "/lang en"), "→ alice: OK, English")
            expect(await fs.say(alice, "/customer add 华东精密机械有限公司 grade A"),
                   "→ alice: Created customer 华东精密机械有限公司")
            expect(await fs.say(alice, "/visit 华东精密 见了采购总监张总，要50台报价，预算30万，下周三下午3点再跟进"),
                   "Logged visit: 华东精密机械有限公司", "Next follow-up: Wed 2026-11-25 15:00", "[Undo]  [Edit]")
            seen = await fs.say(alice, "/deal new 华东精密 数控机床采购 300000")
            expect(seen, "→ alice: Opened deal", "¥300,000", "→ deals: 💼 New deal", "数控机床采购")
            card = seen.messages(DEALS)[0]
            assert card["msg_type"] == "interactive" and not card["thread_id"]

            seen = await fs.say(alice, "/quote new 华东精密 数控机床 50 6000 discount 15%")
            expect(seen, "→ alice: Quote #", "discount 15%, total ¥255,000", "sent to bob for approval",
                   "→ bob: alice 申请折扣审批", "[批准]  [拒绝]", "→ deals/thread: 🖊", "waiting for bob",
                   "[Approve]  [Reject]")
            request = seen.messages(p2p_of(bob.open_id))[-1]
            in_thread = next(m for m in seen.messages(DEALS) if "waiting for bob" in text_of(m))

            # bob approves on his card: it is updated in place, and so is the request in the deal's thread
            seen = await fs.press(bob, request["message_id"], "批准")
            expect(seen, "✎ bob: ✅ 已批准", "→ alice: ✅ bob approved the 15% discount")
            assert buttons_of(api.current(request["message_id"])) == [], "a decided request loses its buttons"
            assert "已批准" in text_of(api.current(in_thread["message_id"]))
            assert buttons_of(api.current(in_thread["message_id"])) == []

            expect(await fs.say(alice, "/won 华东精密"), "What is the budget?")  # from prospect: qualified's rules
            expect(await fs.say(alice, "预算30万；决策人张总；时间 月底"), "Won", "Order #")
            expect(await fs.say(alice, "/plan 华东精密 30% now, 70% 2027-01-15"), "¥76,500",
                   "Fri 2027-01-15 ¥178,500")
            expect(await fs.say(fay, "/paid 华东精密 90000"), "→ fay: 已登记", "¥76,500 — 已付", "→ alice: 💰")
            expect(await fs.say(dave, "/customer 华东精密"), "No customer “华东精密” found")
            seen = await fs.say(sam, "/deals")
            assert len(seen.messages()) == 1 and "/join" in seen.text() and "华东" not in seen.text()
            # the stranger joins with an invite, as the name Feishu knows, and sees only what a new rep sees
            invite = expect(await fs.say(carol, "/invite rep"), "→ carol: Invite code:")
            code = re.search(r"/join (\S+)\.", invite)
            assert code is not None, invite
            expect(await fs.say(sam, f"/join {code.group(1)}"), "→ sam: Welcome, sam!")
            expect(await fs.say(sam, "/customer 华东精密"), "→ sam:", "No customer “华东精密” found")

            clock.advance(days=3, hours=-2)  # Wednesday 08:00 in Shanghai
            expect(await fs.say(alice, "/today"), "华东精密机械有限公司", "15:00", "[✓ ")

        # the deal's card opened its thread; every later event of the deal is a reply in it
        in_deals = api.in_chat(DEALS)
        cards = [m for m in in_deals if "New deal" in text_of(m)]
        assert len(cards) == 1 and all(m["root_id"] == cards[0]["message_id"] for m in in_deals
                                       if m is not cards[0] and "Deals channel" not in text_of(m))
        story = "\n".join(text_of(m) for m in in_deals)
        for fragment in ("made quote", "approved the 15% discount", "moved the deal to Won", "Won! Order",
                         "payment plan", "Payment of ¥90,000"):
            assert fragment in story, (fragment, story)
    with Session(engine) as s:
        mine = [i for i in s.exec(select(Installment)).all() if i.amount == Decimal("76500.00")]
        assert mine and mine[0].paid == mine[0].amount
        assert s.exec(select(FollowUp).where(col(FollowUp.has_time))).first() is not None
        assert s.exec(select(Approval).order_by(col(Approval.id).desc())).first().status == "approved"  # type: ignore[union-attr]
        assert s.exec(select(ChatIdentity).where(col(ChatIdentity.platform) == "feishu")).all()
        assert s.exec(select(DealThread).where(col(DealThread.platform) == "feishu")).one().thread_ts == \
            cards[0]["message_id"]


@pytest.mark.parametrize("via", ["ws", "http"])
async def test_an_event_delivered_four_times_is_handled_once(engine: Engine, clock: FakeClock, via: str) -> None:
    load_demo(engine, customers=5, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with standing() as api:
        alice = bind_demo(engine, api, clock)["alice"]
        async with running(api, core, via) as fs:
            body = api.message(alice, "/customer add 四次科技有限公司")
            before = len(api.events)
            for _ in range(4):
                await fs.deliver(body)
            said = [text_of(e.message) for e in api.events[before:]]
            card = (await fs.say(alice, "/lang")).messages()[0]
            click = api.click(alice, card["message_id"], "English")
            before = len(api.events)
            for _ in range(4):  # a card's click, too
                await fs.deliver(click)
            clicked = [(e.kind, text_of(e.message)) for e in api.events[before:]]
        assert len(said) == 1 and "已新建客户 四次科技有限公司" in said[0]
        assert [t for _, t in clicked] == ["OK, English from now on."], clicked
        assert all(a in ({"code": 200}, (200, {"msg": "success"})) for a in fs.acks[:4]), "each delivery acknowledged"
        # a click is answered with an empty card response ({} in base64 over the long connection)
        assert all(a in ({"code": 200, "data": "e30="}, (200, {})) for a in fs.acks[5:]) and len(fs.acks) == 9
    with Session(engine) as s:
        assert len(s.exec(select(Customer).where(col(Customer.name) == "四次科技有限公司")).all()) == 1
        key = f"feishu:{api.app_id}:{body['header']['event_id']}"
        assert s.exec(select(ProcessedEvent).where(col(ProcessedEvent.key) == key)).one()


async def test_a_callback_during_a_database_outage_is_refused_and_handled_once_when_redelivered(
        engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=5, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    down = {"now": False}

    def refuse(dialect: Any, *args: Any) -> None:
        if down["now"]:
            raise dialect.dbapi.OperationalError("connection refused (the test's outage)")

    event.listen(engine, "do_connect", refuse)
    try:
        async with standing() as api:
            alice = bind_demo(engine, api, clock)["alice"]
            async with running(api, core, "http") as fs:
                body = api.message(alice, "/customer add 停电科技有限公司")
                down["now"] = True
                engine.dispose()  # every connection is new from now on, and refused
                refused = [await api.post(body) for _ in range(2)]  # Feishu retries while the database is away
                await fs.feishu.drain()
                assert [status for status, _ in refused] == [503, 503], "not taken: Feishu delivers it again"
                assert api.events == [], "nothing said while nothing could be saved"
                down["now"] = False
                again = [await fs.deliver(body) for _ in range(3)]  # the database is back: redelivered
        assert all(status == 200 for status, _ in again)
        said = [text_of(e.message) for e in api.events]
        assert len(said) == 1 and said[0].startswith("已新建客户 停电科技有限公司"), said
    finally:
        event.remove(engine, "do_connect", refuse)
    with Session(engine) as s:
        assert len(s.exec(select(Customer).where(col(Customer.name) == "停电科技有限公司")).all()) == 1


async def test_forged_and_stale_callbacks_are_refused(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=5, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with standing() as api:
        alice = bind_demo(engine, api, clock)["alice"]
        async with running(api, core, "http") as fs:
            refused = {
                "unsigned": await api.post(api.message(alice, "/customer add 伪造一"), signed=False),
                "another key": await api.post(api.message(alice, "/customer add 伪造二"), key="not-the-key"),
                "stale": await api.post(api.message(alice, "/customer add 伪造三"), age=600),
                "ahead": await api.post(api.message(alice, "/customer add 伪造四"), age=-600),
            }
            wrong = api.message(alice, "/customer add 伪造五")
            wrong["header"]["token"] = "someone-elses-token"
            refused["wrong token"] = await api.post(wrong)
            plain = await api.post(api.message(alice, "/customer add 伪造六"), encrypted=False, key="x")
            challenge = await api.post({"challenge": "ch-123", "token": api.verification_token,
                                        "type": "url_verification"}, signed=False)
            forged_challenge = await api.post({"challenge": "ch-456", "token": "guess", "type": "url_verification"},
                                              signed=False)
            ok = await api.post(api.message(alice, "/customer add 真的科技"))
            await fs.feishu.drain()
        assert {why: status for why, (status, _) in refused.items()} == dict.fromkeys(refused, 401)
        assert plain[0] == 401 and forged_challenge[0] == 401
        assert challenge == (200, {"challenge": "ch-123"})
        assert ok[0] == 200 and [text_of(e.message) for e in api.events][-1].startswith("已新建客户 真的科技")
        assert api.encrypt_key == ENCRYPT_KEY
    with Session(engine) as s:
        names = {c.name for c in s.exec(select(Customer)).all()}
        assert "真的科技" in names and not any(n.startswith("伪造") for n in names)
