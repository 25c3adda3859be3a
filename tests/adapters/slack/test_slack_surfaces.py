"""Modals, pickers, the message shortcut, App Home, deciding in the thread, 429s and uploads, over HTTP."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.adapters.slack import views
from handlers.context import Settings
from handlers.core import Core
from handlers.outbox import reply_to_json
from handlers.types import Attachment, ChatRef, Reply
from sales.demo import load_demo
from storage.models import Activity, Approval, Customer, FollowUp, Invoice, Outbox, Quote
from tests.conftest import FakeClock
from tests.standins.slack import DEALS, DEMO_USERS, GENERAL, TEAM, Running, bind_demo, dm_of, running

ALICE, BOB, CAROL = DEMO_USERS["alice"], DEMO_USERS["bob"], DEMO_USERS["carol"]
FORM = "application/x-www-form-urlencoded"


def _selected(value: str, label: str = "x") -> dict[str, Any]:
    return {"type": "external_select", "selected_option": {"text": {"type": "plain_text", "text": label},
                                                            "value": value}}


async def _suggest(r: Running, user: str, action_id: str, typed: str) -> list[dict[str, Any]]:
    payload = {"type": "block_suggestion", "user": {"id": user, "team_id": TEAM}, "team": {"id": TEAM},
               "action_id": action_id, "block_id": action_id, "value": typed, "api_app_id": "A0SALESBOT",
               "view": {"id": "V0", "type": "modal"}}
    sent = await r.side.deliver(urlencode({"payload": json.dumps(payload, ensure_ascii=False)}), FORM)
    assert sent.status == 200, sent
    options: list[dict[str, Any]] = json.loads(sent.body)["options"]
    return options


async def _setup(engine: Engine, clock: FakeClock) -> Core:
    load_demo(engine, customers=20, now=clock())
    bind_demo(engine, clock())
    return Core(engine, clock=clock, settings=Settings(default_lang="en"))


async def test_visit_and_quote_modals_with_pickers_and_validation(engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.slash(ALICE, "customer add 华东精密机械有限公司 grade A"))
        await r.ok(await side.slash(ALICE, "visit"))
        modal = api.opened[-1]
        assert modal["callback_id"] == views.VISIT and modal["title"]["text"] == "记录拜访"
        options = await _suggest(r, ALICE, views.CUSTOMER_PICKER, "华东精密")
        assert options and options[0]["text"]["text"] == "华东精密机械有限公司"
        cid = options[0]["value"]

        empty = await side.submit(ALICE, modal, {"customer": {views.CUSTOMER_PICKER: _selected(cid)},
                                                 "text": {"text": {"type": "plain_text_input", "value": " "}}})
        assert json.loads(empty.body) == {"response_action": "errors", "errors": {"text": "请写上内容。"}}
        await r.ok(await side.submit(ALICE, modal, {
            "customer": {views.CUSTOMER_PICKER: _selected(cid)},
            "kind": {"kind": {"type": "static_select", "selected_option": {"value": "call"}}},
            "text": {"text": {"type": "plain_text_input", "value": "电话沟通了交期"}},
            "followup": {"date": {"type": "datepicker", "selected_date": "2026-11-27"}}}))
        said = api.last(dm_of(ALICE)).plain()
        assert "已记录电话：华东精密机械有限公司" in said and "2026-11-27" in said

        await r.ok(await side.slash(ALICE, "deal new 华东精密 设备 100000"))
        await r.ok(await side.slash(ALICE, "quote new"))
        quote_modal = api.opened[-1]
        assert quote_modal["callback_id"] == views.QUOTE
        deals = await _suggest(r, ALICE, views.DEAL_PICKER, "华东精密")
        assert len(deals) == 1 and "设备" in deals[0]["text"]["text"]
        assert await _suggest(r, ALICE, views.DEAL_PICKER, deals[0]["value"]) == deals
        bad = await side.submit(ALICE, quote_modal, {
            "deal": {views.DEAL_PICKER: _selected(deals[0]["value"])},
            "lines": {"lines": {"type": "plain_text_input", "value": "设备 十台"}},
            "discount": {"discount": {"type": "plain_text_input", "value": "120%"}}})
        errors = json.loads(bad.body)["errors"]
        assert set(errors) == {"lines", "discount"}  # in alice's language only
        assert errors == {"lines": "这行看不懂：“设备 十台”。格式：品名 数量 单价",
                          "discount": "折扣要在 0% 到 100% 之间（不含 100%），不是 120%。"}
        await r.ok(await side.submit(ALICE, quote_modal, {
            "deal": {views.DEAL_PICKER: _selected(deals[0]["value"])},
            "lines": {"lines": {"type": "plain_text_input", "value": "设备 10 9000\n安装 1 5000"}},
            "discount": {"discount": {"type": "plain_text_input", "value": "5%"}}}))
        assert "合计 ¥90,250" in api.last(dm_of(ALICE)).plain()
    with Session(engine) as s:
        c = s.exec(select(Customer).where(Customer.name == "华东精密机械有限公司")).one()
        act = s.exec(select(Activity).where(Activity.customer_id == c.id)).one()
        assert act.kind == "call"
        fu = s.exec(select(FollowUp).where(FollowUp.activity_id == act.id)).one()
        assert fu.due_at.astimezone(core_tz()).date().isoformat() == "2026-11-27"
        assert s.exec(select(Quote).where(Quote.total == 90250)).one().discount == 5


async def test_the_invoice_modal_asks_finance_for_an_invoice(engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.slash(ALICE, "customer add 华东精密机械有限公司"))
        await r.ok(await side.slash(ALICE, "deal new 华东精密 设备 100000"))
        deal = (await _suggest(r, ALICE, views.DEAL_PICKER, "华东精密"))[0]["value"]
        await r.ok(await side.slash(BOB, f"advance {deal} won because 直接签约"))
        await r.ok(await side.event({"type": "app_home_opened", "user": ALICE, "channel": dm_of(ALICE),
                                     "tab": "home", "event_ts": f"{time.time():.6f}"}))
        await r.ok(await side.deliver(side.home_click_body(ALICE, "申请发票"), FORM))  # the Home's button
        assert api.opened[-1]["callback_id"] == views.INVOICE
        await r.ok(await side.slash(ALICE, "invoice"))
        modal = api.opened[-1]
        assert modal["callback_id"] == views.INVOICE and modal["title"]["text"] == "申请发票"
        orders = await _suggest(r, ALICE, views.ORDER_PICKER, "华东精密")
        assert len(orders) == 1 and "¥100,000" in orders[0]["text"]["text"]
        assert await _suggest(r, BOB, views.ORDER_PICKER, orders[0]["value"]) == orders  # her manager
        assert await _suggest(r, DEMO_USERS["dave"], views.ORDER_PICKER, orders[0]["value"]) == []

        def field(name: str, value: str) -> dict[str, Any]:
            return {name: {name: {"type": "plain_text_input", "value": value}}}

        bad = await side.submit(ALICE, modal, {**field("installment", "二"), **field("amount", "lots"),
                                               **field("tax", "12")})
        errors = json.loads(bad.body)["errors"]
        assert set(errors) == {"order", "installment", "amount", "tax"} and errors["order"] == "请选择订单。"
        await r.ok(await side.submit(ALICE, modal, {
            "order": {views.ORDER_PICKER: _selected(orders[0]["value"])}, **field("amount", "3万"),
            **field("title", "华东精密机械有限公司"), **field("tax", "91310000MA1FL8XQ3X")}))
        said = api.last(dm_of(ALICE)).plain()
        assert "申请发票 #" in said and "¥30,000" in said and "抬头 华东精密机械有限公司" in said, said
    with Session(engine) as s:
        inv = s.exec(select(Invoice)).one()
        assert (inv.amount, inv.tax_no, inv.status) == (30000, "91310000MA1FL8XQ3X", "requested")


def core_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


async def test_the_message_shortcut_turns_a_message_into_a_visit(engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)
    async with running(core) as r:
        side, api = r.side, r.api
        payload = {"type": "message_action", "callback_id": "log_visit", "trigger_id": "trig.shortcut",
                   "team": {"id": TEAM}, "user": {"id": ALICE, "team_id": TEAM}, "channel": {"id": GENERAL},
                   "message": {"type": "message", "user": ALICE, "ts": "1790000000.000001",
                               "text": "客户说 &lt;下周&gt; 再谈价格 &amp; 交期"},
                   "response_url": api.response_url("shortcut")}
        await r.ok(await side.deliver(urlencode({"payload": json.dumps(payload, ensure_ascii=False)}), FORM))
        modal = api.opened[-1]
        text_input = next(b for b in modal["blocks"] if b["block_id"] == "text")["element"]
        assert text_input["initial_value"] == "客户说 <下周> 再谈价格 & 交期"


async def test_app_home_shows_the_day_and_its_buttons_work(engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.slash(CAROL, "config deals-channel <#C0DEALS|sales-deals>", channel=GENERAL))
        await r.ok(await side.slash(ALICE, "customer add 远东重工 grade B"))
        await r.ok(await side.slash(ALICE, "visit 远东重工 聊了需求，今天下午5点再打电话"))
        await r.ok(await side.slash(ALICE, "deal new 远东重工 设备 100000"))
        await r.ok(await side.slash(ALICE, "quote new 远东重工 设备 10 10000 八五折"))
        await r.ok(await side.event({"type": "app_home_opened", "user": ALICE, "channel": dm_of(ALICE),
                                     "tab": "home", "event_ts": f"{time.time():.6f}"}))
        home = api.homes[ALICE]
        texts = json.dumps(home, ensure_ascii=False)
        assert "远东重工" in texts and "今天和逾期的跟进" in texts and "记录拜访" in texts
        published = api.count("views.publish")
        label, done = next((el["text"]["text"], el["value"]) for b in home["blocks"] if b["type"] == "actions"
                           for el in b["elements"] if el["text"]["text"].startswith("✓ "))  # the numbered view
        await r.ok(await side.deliver(side.home_click_body(ALICE, label), FORM))
        assert api.count("views.publish") == published + 1
        assert done not in json.dumps(api.homes[ALICE])
        with Session(engine) as s:
            assert s.get(FollowUp, int(done.split(":")[1])).status == "done"
        assert "✓ 已完成" in api.last(dm_of(ALICE)).plain()

        # bob's home: the approval waiting for him; approving there updates his DM and the thread
        await r.ok(await side.event({"type": "app_home_opened", "user": BOB, "channel": dm_of(BOB), "tab": "home",
                                     "event_ts": f"{time.time():.6f}"}))
        assert "等我审批" in json.dumps(api.homes[BOB], ensure_ascii=False)
        request_dm = api.find(dm_of(BOB), "申请折扣审批")
        request_thread = api.find(DEALS, "waiting for bob")
        approve = request_dm.button("批准")["value"]
        await r.ok(await side.deliver(side.home_click_body(BOB, "批准", approve), FORM))
        assert request_dm.edits == 1 and "已批准" in request_dm.plain()
        assert request_thread.edits == 1 and "已批准" in request_thread.plain()
        assert approve not in json.dumps(api.homes[BOB])


async def test_a_deactivated_user_gets_the_cores_answer_on_every_surface_in_their_language(
        engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)  # answers in English unless a person chose otherwise; alice reads Chinese
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.event({"type": "app_home_opened", "user": ALICE, "channel": dm_of(ALICE),
                                     "tab": "home", "event_ts": f"{time.time():.6f}"}))
        assert "记录拜访" in json.dumps(api.homes[ALICE], ensure_ascii=False)
        await r.ok(await side.slash(CAROL, "deactivate alice"))
        assert core.who("slack", TEAM, ALICE) is None and core.lang_for("slack", TEAM, ALICE) == "zh"
        opened = len(api.opened)
        # a stale Home button, the slash command and a typed message: no modal, the core's one answer
        await r.ok(await side.deliver(side.home_click_body(ALICE, "记录拜访"), FORM))
        assert "已停用" in api.ephemeral[-1]["text"] and api.ephemeral[-1]["user"] == ALICE
        await r.ok(await side.slash(ALICE, "visit"))
        await r.ok(await side.slash(ALICE, "quote new"))
        assert len(api.opened) == opened
        assert [("已停用" in x["text"], x["response_type"]) for x in api.responses[-2:]] == [(True, "ephemeral")] * 2
        await r.ok(await side.event(side.dm_event(ALICE, "today")))
        assert "已停用" in api.ephemeral[-1]["text"]
        home = json.dumps(api.homes[ALICE], ensure_ascii=False)
        assert "已停用" in home and "记录拜访" not in home and views.OPEN_VISIT not in home
        assert await _suggest(r, ALICE, views.CUSTOMER_PICKER, "华东") == []


async def test_deciding_in_the_thread_updates_the_dm_and_other_people_get_a_private_no(
        engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.slash(CAROL, "config deals-channel <#C0DEALS|sales-deals>", channel=GENERAL))
        await r.ok(await side.slash(ALICE, "customer add 远东重工 grade B"))
        await r.ok(await side.slash(ALICE, "deal new 远东重工 设备 100000"))
        await r.ok(await side.slash(ALICE, "quote new 远东重工 设备 10 10000 八五折"))
        request_thread = api.find(DEALS, "waiting for bob")
        request_dm = api.find(dm_of(BOB), "申请折扣审批")
        reject = request_thread.button("Reject")["value"]
        assert request_dm.button("拒绝")["value"] == reject
        # alice may not approve her own request: an ephemeral refusal, nothing changes
        await r.ok(await side.click(ALICE, request_thread, "Approve"))
        assert api.ephemeral[-1]["user"] == ALICE and request_thread.edits == 0
        await r.ok(await side.click(BOB, request_thread, "Reject"))
        assert request_thread.edits == 1 and "已拒绝" in request_thread.plain()
        assert request_dm.edits == 1 and "已拒绝" in request_dm.plain()
        assert "rejected" in api.last(DEALS).plain()
        assert all(m.thread_ts == api.in_channel(DEALS)[0].ts for m in api.in_channel(DEALS)[1:])
    with Session(engine) as s:
        mine = s.exec(select(Approval).where(Approval.id == int(reject.split(":")[1]))).one()
        assert mine.status == "rejected"


@pytest.mark.slow
async def test_rate_limits_are_waited_out_and_refusals_given_up(engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)
    async with running(core) as r:
        side, api = r.side, r.api
        # one 429 on a direct reply: slack-sdk's retry handler waits Retry-After and sends it
        api.rate_limit("chat.postMessage", 1)
        started = time.perf_counter()
        await r.ok(await side.slash(ALICE, "help"))
        assert time.perf_counter() - started >= 1.0
        assert "/visit" in api.last(dm_of(ALICE)).plain()
        # an outbox message still limited after the retry: RetryAfter, tried again later
        with Session(engine) as s:
            s.add(Outbox(platform="slack", workspace=TEAM, chat=dm_of(BOB), payload=reply_to_json(Reply("hello")),
                         next_attempt_at=clock(), created_at=clock()))
            s.add(Outbox(platform="slack", workspace=TEAM, chat="C0GONE", payload=reply_to_json(Reply("lost")),
                         next_attempt_at=clock(), created_at=clock()))
            s.commit()
        api.rate_limit("chat.postMessage", 1, 1)
        assert await r.slack.deliver() == 0
        with Session(engine) as s:
            rows = {o.chat: o for o in s.exec(select(Outbox)).all()}
            assert rows[dm_of(BOB)].status == "pending" and "retry after 1" in (rows[dm_of(BOB)].error or "")
            assert rows[dm_of(BOB)].next_attempt_at == clock() + timedelta(seconds=1)
            assert rows["C0GONE"].status == "failed" and rows["C0GONE"].error == "channel_not_found"
        clock.advance(seconds=2)
        assert await r.slack.deliver() == 1
        assert api.last(dm_of(BOB)).plain() == "hello"
        # a direct reply still limited after the retry is not lost: it waits in the outbox for the DM
        api.rate_limit("chat.postMessage", 1, 1)
        await r.ok(await side.slash(ALICE, "lang"))
        with Session(engine) as s:
            queued = s.exec(select(Outbox).where(Outbox.chat == ALICE)).one()
            assert queued.status == "pending"
        clock.advance(seconds=6)
        assert await r.slack.deliver() == 1
        assert api.last(dm_of(ALICE)).button("English")


async def test_images_are_uploaded_with_files_upload_v2(engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)
    async with running(core) as r:
        api = r.api
        png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
        await r.slack.send(ChatRef(platform="slack", workspace=TEAM, chat=ALICE),
                           Reply(text="*Funnel*", image=Attachment(name="funnel.png", mime="image/png", data=png)))
        assert [m for m, _ in api.calls][-3:] == ["chat.postMessage", "files.getUploadURLExternal",
                                                  "files.completeUploadExternal"]
        uploaded = api.last(dm_of(ALICE))
        assert uploaded.files and uploaded.files[0]["name"] == "funnel.png"
        assert next(iter(api.uploads.values()))["data"] == png


async def test_a_mention_in_a_channel_keeps_personal_data_private(engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.slash(ALICE, "customer add 华东精密机械有限公司 grade A"))
        await r.ok(await side.slash(ALICE, "contact add 华东精密 张伟 采购总监 +8613812345678 zhang@huadong.cn"))
        mention = side.mention_event(ALICE, GENERAL, "customer 华东精密")
        await r.ok(await side.event(mention))
        in_general = api.in_channel(GENERAL)
        assert len(in_general) == 1 and in_general[0].thread_ts == mention["ts"]
        assert "🔒" in in_general[0].plain() and "+8613812345678" not in in_general[0].plain()
        card = api.last(dm_of(ALICE)).plain()
        assert "华东精密机械有限公司" in card and "+8613812345678" in card


async def test_a_shared_file_is_downloaded_with_the_bot_token(engine: Engine, clock: FakeClock) -> None:
    core = await _setup(engine, clock)
    seen = []
    handle = core.handle

    def spy(incoming: Any, **kw: Any) -> Any:
        seen.append(incoming)
        return handle(incoming, **kw)

    core.handle = spy  # type: ignore[method-assign]
    async with running(core) as r:
        side, api = r.side, r.api
        api.files["F0CSV"] = b"company,grade\nnew co,A\n"
        event = side.dm_event(CAROL, "", subtype="file_share", files=[{
            "id": "F0CSV", "name": "customers.csv", "mimetype": "text/csv", "size": 23,
            "url_private": f"{api.url}/files/F0CSV", "url_private_download": f"{api.url}/files/F0CSV"}])
        await r.ok(await side.event(event))
    assert seen and seen[-1].file is not None
    assert seen[-1].file.name == "customers.csv" and seen[-1].file.data == b"company,grade\nnew co,A\n"


async def test_socket_mode_acks_over_the_websocket_and_answers_through_the_web_api(
        engine: Engine, clock: FakeClock) -> None:
    from types import SimpleNamespace
    from urllib.parse import parse_qsl

    from pydantic import SecretStr

    from bot.adapters.slack import app
    from tests.standins.slack import APP_TOKEN, BOT_TOKEN, SlackAPI, SlackSide

    core = await _setup(engine, clock)
    api = SlackAPI()
    await api.start()
    for name, user in DEMO_USERS.items():
        api.add_user(user, name)
    cfg = SimpleNamespace(slack_bot_token=SecretStr(BOT_TOKEN), slack_signing_secret=None,
                          slack_app_token=SecretStr(APP_TOKEN), slack_api_base_url=api.api_url)
    slack = await app.start(core, cfg)
    try:
        side = SlackSide(api, "unused")
        command = dict(parse_qsl(side.slash_body(ALICE, "help")))
        envelope, sent = await api.push("slash_commands", command)
        assert await api.acked(envelope) - sent < 1.0
        event = json.loads(side.event_body(side.dm_event(ALICE, "today"), event_id="Ev0SOCKET"))
        envelope2, _ = await api.push("events_api", event)
        await api.acked(envelope2)
        await slack.drain()
        said = [m.plain() for m in api.in_channel(dm_of(ALICE))]
        assert any("/visit" in t for t in said) and len(said) >= 2
    finally:
        await app.stop()
        await api.stop()


async def test_a_signed_file_event_never_sends_the_bot_token_to_another_host(engine: Engine, clock: FakeClock) -> None:
    from aiohttp import web

    hits: list[str] = []

    async def evil(request: web.Request) -> web.Response:
        hits.append(request.headers.get("Authorization", ""))
        return web.Response(body=b"company,grade\nx,A\n")

    other = web.Application()
    other.router.add_get("/{tail:.*}", evil)
    runner = web.AppRunner(other)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    core = await _setup(engine, clock)
    try:
        async with running(core) as r:
            side = r.side
            for url in (f"http://127.0.0.1:{port}/files/F0CSV", f"https://files.slack.com.evil.test:{port}/x"):
                event = side.dm_event(CAROL, "", subtype="file_share", files=[{
                    "id": "F0CSV", "name": "customers.csv", "mimetype": "text/csv", "size": 18,
                    "url_private": url, "url_private_download": url}])
                await r.ok(await side.event(event))
            assert r.slack.slack_host("https://files.slack.com/files-pri/T0-F0/download/a.csv")
            assert not r.slack.slack_host("http://files.slack.com/files-pri/T0-F0/download/a.csv")
    finally:
        await runner.cleanup()
    assert hits == []


async def test_a_stored_button_works_only_for_the_person_it_was_shown_to(engine: Engine, clock: FakeClock) -> None:
    from storage.models import Lead

    core = await _setup(engine, clock)
    bob, dave = DEMO_USERS["bob"], DEMO_USERS["dave"]

    def leads() -> int:
        with Session(engine) as s:
            return len(s.exec(select(Lead)).all())

    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.event(side.mention_event(bob, GENERAL, "lead add 华东科技 张伟 13856781234 来源 展会")))
        await r.ok(await side.event(side.mention_event(
            bob, GENERAL, "lead add 华东科技有限公司 李四 来源 官网 预算 30万 规模 600人")))
        prompt, label = next((m, el["text"]["text"]) for m in reversed(api.messages) for block in m.blocks
                             if block.get("type") == "actions" for el in block.get("elements", [])
                             if str(el.get("value", "")).startswith("tok:"))
        before = leads()
        await r.ok(await side.click(dave, prompt, label))
        told = [m.text for m in api.messages] + [e["text"] for e in api.ephemeral]  # the line is new: only dave's
        assert any("shown to someone else" in t for t in told), told
        assert leads() == before
        await r.ok(await side.click(bob, prompt, label))
        assert leads() == before + 1


async def test_the_ticket_modal_opens_a_ticket_with_its_priority(engine: Engine, clock: FakeClock) -> None:
    from storage.models import Ticket

    core = await _setup(engine, clock)
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.slash(ALICE, "customer add 华东精密机械有限公司 grade A"))
        await r.ok(await side.slash(ALICE, "ticket new"))
        modal = api.opened[-1]
        assert modal["callback_id"] == views.TICKET and modal["title"]["text"] == "新建工单"
        cid = (await _suggest(r, ALICE, views.CUSTOMER_PICKER, "华东精密"))[0]["value"]
        bad = await side.submit(ALICE, modal, {
            "customer": {views.CUSTOMER_PICKER: _selected(cid)},
            "priority": {"priority": {"type": "static_select", "selected_option": {"value": "P1"}}},
            "problem": {"problem": {"type": "plain_text_input", "value": "  "}}})
        assert json.loads(bad.body) == {"response_action": "errors", "errors": {"problem": "是什么问题？"}}
        await r.ok(await side.submit(ALICE, modal, {
            "customer": {views.CUSTOMER_PICKER: _selected(cid)},
            "priority": {"priority": {"type": "static_select", "selected_option": {"value": "P1"}}},
            "problem": {"problem": {"type": "plain_text_input", "value": "主轴异响\n昨天开始"}}}))
        said = api.last(dm_of(ALICE)).plain()
        assert "已为华东精密机械有限公司新建工单 #1（P1）" in said
        await r.ok(await side.slash(ALICE, "ticket 1 start"))
        assert "工单 #1：处理中。" in api.last(dm_of(ALICE)).plain()
    with Session(engine) as s:
        t = s.exec(select(Ticket)).one()
        assert (t.priority, t.problem, t.status) == ("P1", "主轴异响 昨天开始", "in_progress")
