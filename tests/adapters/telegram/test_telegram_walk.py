"""The core issue's whole walk in Telegram private chats: the real PTB Application against the local Bot API,
in long-polling mode and in webhook mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from sales.names import directory
from storage.models import ChatIdentity, FollowUp, Installment
from tests.conftest import FakeClock
from tests.standins.telegram import BotApiStandIn, bind_demo_team, expect, running, standing


@pytest.fixture(autouse=True)
def fresh_name_index() -> None:
    """The PostgreSQL fixture truncates tables between tests, which the process's customer-name index
    cannot notice (ids restart below its high-water mark): start each test from an empty index."""
    directory._cache.clear()


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    """The local Bot API, listening."""
    async with standing() as stand_in:
        yield stand_in


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_alice_sells_to_huadong_in_telegram(engine: Engine, clock: FakeClock, api: BotApiStandIn,
                                                  mode: str) -> None:
    load_demo(engine, customers=200, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    people = bind_demo_team(engine, api, clock)
    alice, bob, fay, dave = people["alice"], people["bob"], people["fay"], people["dave"]
    stranger = api.user(7999, "Sam", lang="en")
    names = {p["id"]: n for n, p in people.items()} | {stranger["id"]: "stranger"}
    async with running(api, core, mode, names) as tg:
        expect(await tg.say(alice, "/lang en"), "→ alice: OK, English")
        expect(await tg.say(alice, "/customer add 华东精密机械有限公司 grade A"),
               "→ alice: Created customer 华东精密机械有限公司")
        expect(await tg.say(alice, "/visit 华东精密 见了采购总监张总，要50台报价，预算30万，下周三下午3点再跟进"),
               "Logged visit: 华东精密机械有限公司", "Next follow-up: Wed 2026-11-25 15:00", "[Undo]  [Edit]")
        expect(await tg.say(alice, "/deal new 华东精密 数控机床采购 300000"), "Opened deal", "¥300,000")
        seen = await tg.say(alice, "/quote new 华东精密 数控机床 50 6000 discount 15%")
        expect(seen, "→ alice: Quote #", "discount 15%, total ¥255,000", "sent to bob for approval",
               "→ bob: alice 申请折扣审批", "[批准]  [拒绝]")
        request = seen.messages(bob["id"])[-1]

        seen = await tg.press(bob, request, "批准")
        expect(seen, "✎ bob: ✅ 已批准", "— bob", "→ alice: ✅ bob approved the 15% discount")
        assert seen.answered() == 1
        assert "reply_markup" not in api.current(request), "a decided request loses its buttons"

        expect(await tg.say(alice, "/won 华东精密"), "What is the budget?")  # from prospect: qualified's rules
        expect(await tg.say(alice, "预算30万；决策人张总；时间 月底"), "Won", "Order #")
        expect(await tg.say(alice, "/plan 华东精密 30% now, 70% 2027-01-15"), "¥76,500", "Fri 2027-01-15 ¥178,500")
        expect(await tg.say(fay, "/paid 华东精密 90000"), "→ fay: 已登记", "1. 2026-11-22（周日） ¥76,500 — 已付",
               "→ alice: 💰")
        expect(await tg.say(dave, "/customer 华东精密"), "No customer “华东精密” found")
        expect(await tg.say(dave, "/customers #重点"), "No customers match")
        for line in ("/customer 华东精密", "/deals"):
            seen = await tg.say(stranger, line)
            assert len(seen.messages()) == 1 and "/join" in seen.text() and "华东" not in seen.text()

        clock.advance(days=3, hours=-2)  # Wednesday 08:00 in Shanghai
        expect(await tg.say(alice, "/today"), "华东精密机械有限公司", "15:00", "[✓ ")

    with Session(engine) as s:
        mine = [i for i in s.exec(select(Installment)).all() if i.amount == Decimal("76500.00")]
        assert mine and mine[0].paid == mine[0].amount
        assert s.exec(select(FollowUp).where(col(FollowUp.has_time))).first() is not None
        assert s.exec(select(ChatIdentity).where(col(ChatIdentity.platform) == "telegram")).all()
