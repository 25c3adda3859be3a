"""The core issue's walk over HTTP: signed requests to Bolt, replies through the local Slack Web API."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from storage.models import Activity, Approval, Customer, FollowUp, Installment
from tests.conftest import FakeClock
from tests.standins.slack import DEALS, DEMO_USERS, GENERAL, STRANGER, bind_demo, dm_of, running

ALICE, BOB, CAROL, DAVE, FAY = (DEMO_USERS[n] for n in ("alice", "bob", "carol", "dave", "fay"))


async def test_alice_sells_to_huadong_over_http_with_one_deal_thread(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=200, now=clock())
    bind_demo(engine, clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with running(core) as r:
        api, side = r.api, r.side
        # bob (manager) points the team's deal threads at #sales-deals, from #general
        await r.ok(await side.slash(CAROL, "config deals-channel <#C0DEALS|sales-deals>", channel=GENERAL))
        assert "Deals channel set to #sales-deals" in api.responses[-1]["text"] or \
            "商机频道已设为" in api.responses[-1]["text"]
        assert api.responses[-1]["response_type"] == "ephemeral"

        await r.ok(await side.slash(ALICE, "lang en"))
        assert "English" in api.last(dm_of(ALICE)).plain()
        await r.ok(await side.slash(ALICE, "customer add 华东精密机械有限公司 grade A"))
        assert "Created customer 华东精密机械有限公司" in api.last(dm_of(ALICE)).plain()
        await r.ok(await side.slash(ALICE, "visit 华东精密 见了采购总监张总，要50台报价，预算30万，下周三下午3点再跟进"))
        logged = api.last(dm_of(ALICE))
        assert "Logged visit: 华东精密机械有限公司" in logged.plain()
        assert "Next follow-up: Wed 2026-11-25 15:00" in logged.plain()
        logged.button("Undo")

        await r.ok(await side.slash(ALICE, "deal new 华东精密 数控机床采购 300000"))
        opened = api.in_channel(dm_of(ALICE))[-2].plain()  # then the expected close question, with its buttons
        assert "Opened deal" in opened and "¥300,000" in opened
        assert "expected to close?" in api.last(dm_of(ALICE)).plain()
        card = api.last(DEALS)
        assert card.thread_ts is None and "New deal" in card.plain() and "数控机床采购" in card.plain()

        # the same words without a slash, in the DM with the bot: a visit that lands in the deal's thread
        await r.ok(await side.event(side.dm_event(ALICE, "visit 华东精密 演示了样机，客户很满意")))
        assert "Logged visit" in api.last(dm_of(ALICE)).plain()
        assert "logged a visit" in api.last(DEALS).plain()

        await r.ok(await side.slash(ALICE, "quote new 华东精密 数控机床 50 6000 discount 15%"))
        said = api.last(dm_of(ALICE)).plain()
        assert "discount 15%, total ¥255,000" in said and "sent to bob for approval" in said
        request_dm = api.find(dm_of(BOB), "alice 申请折扣审批")
        request_dm.button("批准")
        request_thread = api.find(DEALS, "waiting for bob")
        request_thread.button("Approve")

        # bob approves from his DM: both the DM and the thread message are replaced (chat.update)
        await r.ok(await side.click(BOB, request_dm, "批准"))
        assert request_dm.edits == 1 and "已批准" in request_dm.plain() and not _buttons(request_dm)
        assert request_thread.edits == 1 and "已批准" in request_thread.plain() and not _buttons(request_thread)
        assert "✅ bob approved the 15% discount" in api.last(dm_of(ALICE)).plain()
        assert "approved the 15% discount" in api.last(DEALS).plain()

        await r.ok(await side.slash(ALICE, "won 华东精密"))
        assert "What is the budget?" in api.last(dm_of(ALICE)).plain()  # from prospect: qualified's rules
        await r.ok(await side.event(side.dm_event(ALICE, "预算30万；决策人张总；时间 月底")))
        won = api.last(dm_of(ALICE)).plain()
        assert "Order #" in api.in_channel(dm_of(ALICE))[-1].plain() or "Order #" in won
        await r.ok(await side.slash(ALICE, "plan 华东精密 30% now, 70% 2027-01-15"))
        plan = api.last(dm_of(ALICE)).plain()
        assert "¥76,500" in plan and "Fri 2027-01-15 ¥178,500" in plan
        await r.ok(await side.slash(FAY, "paid 华东精密 90000"))
        assert "已登记" in api.last(dm_of(FAY)).plain()
        assert "💰" in api.last(dm_of(ALICE)).plain()

        await r.ok(await side.slash(DAVE, "customer 华东精密"))
        assert "No customer “华东精密” found" in api.last(dm_of(DAVE)).plain()
        before = len(api.messages)
        await r.ok(await side.slash(STRANGER, "customer 华东精密"))
        assert "/join" in api.responses[-1]["text"] and api.responses[-1]["response_type"] == "ephemeral"
        assert len(api.messages) == before  # nothing but the one ephemeral line

        clock.advance(days=3, hours=-2)  # Wednesday 08:00 in Shanghai
        await r.ok(await side.slash(ALICE, "today"))
        today = [m for m in api.in_channel(dm_of(ALICE)) if "华东精密机械有限公司" in m.plain() and "15:00" in m.plain()]
        assert today and today[-1].button("✓ ")

        # every event of the deal is a reply in the one thread its card opened
        in_deals = api.in_channel(DEALS)
        assert [m for m in in_deals if m.thread_ts is None] == [card]
        replies = [m for m in in_deals if m is not card]
        assert all(m.thread_ts == card.ts for m in replies)
        texts = "\n".join(m.plain() for m in replies)
        for fragment in ("logged a visit", "made quote", "已批准", "approved the 15% discount",
                         "moved the deal to *Won*", "Won! Order", "payment plan", "Payment of ¥90,000"):
            assert fragment in texts or fragment.replace("*", "") in texts, (fragment, texts)
    with Session(engine) as s:
        huadong = s.exec(select(Customer).where(Customer.name == "华东精密机械有限公司")).one()
        assert len(s.exec(select(Activity).where(Activity.customer_id == huadong.id)).all()) == 2
        assert s.exec(select(Approval).order_by(Approval.id.desc())).first().status == "approved"
        paid = [i for i in s.exec(select(Installment)).all() if i.paid > 0]
        assert paid and s.exec(select(FollowUp).where(FollowUp.has_time)).first() is not None


def _buttons(message: object) -> list[object]:
    return [b for b in getattr(message, "blocks", []) if b.get("type") == "actions"]
