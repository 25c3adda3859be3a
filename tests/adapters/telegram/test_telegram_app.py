"""The Telegram adapter's behaviour through the real Application against the local Bot API: bad input and
faults, groups and topics, clicks, locations, files, the outbox sender."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot import delivery
from bot.adapters.telegram.app import TelegramBot
from bot.adapters.telegram.limits import Limits
from handlers.context import Settings
from handlers.core import Core
from handlers.outbox import to_user
from handlers.types import Attachment, ChatRef, Incoming, Reply
from sales import invites
from sales.demo import load_demo
from sales.names import directory
from storage.db import session_factory, transaction
from storage.models import (
    Activity,
    Approval,
    ChatIdentity,
    Customer,
    Lead,
    Outbox,
    ProcessedEvent,
    Team,
    User,
)
from tests.conftest import FakeClock
from tests.standins.telegram import (
    SECRET,
    SECRET_HEADER,
    ApiError,
    BotApiStandIn,
    Fault,
    bind_demo_team,
    expect,
    running,
    standing,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GROUP_ID = -1001234567890
TOPIC = 77


@pytest.fixture(autouse=True)
def fresh_name_index() -> None:
    """PostgreSQL tables are truncated between tests, which the process's name index cannot notice."""
    directory._cache.clear()


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    """The local Bot API, listening."""
    async with standing() as stand_in:
        yield stand_in


@pytest.fixture
def core(engine: Engine, clock: FakeClock) -> Core:
    """The demo team's core, answering in English unless a person chose otherwise."""
    load_demo(engine, customers=20, now=clock())
    return Core(engine, clock=clock, settings=Settings(default_lang="en"))


def count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


async def test_a_forged_webhook_call_is_refused_and_reaches_nothing(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    people = bind_demo_team(engine, api, clock)
    async with running(api, core, "webhook") as tg:
        assert api.webhook is not None and api.webhook["secret_token"] == SECRET
        forged = {"update_id": 1, **api.message(people["alice"], "/customer add 伪造科技")}
        assert await api.post_webhook(forged, secret=None) == 403
        assert await api.post_webhook(forged, secret="not-the-secret") == 403
        async with aiohttp.ClientSession() as http, http.post(
                api.webhook["url"], data=b"{not json", headers={SECRET_HEADER: SECRET}) as resp:
            assert resp.status == 400
        seen = await tg.say(people["alice"], "/customers mine")  # handled after anything queued before it
        assert "伪造" not in seen.text() and len(seen.messages()) == 1
    with Session(engine) as s:
        assert s.exec(select(Customer).where(col(Customer.name).contains("伪造"))).first() is None
        assert s.get(ProcessedEvent, f"telegram:{api.me['id']}:1") is None


async def test_a_redelivered_update_changes_nothing_in_webhook_mode(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    people = bind_demo_team(engine, api, clock)
    async with running(api, core, "webhook") as tg:
        seen = await tg.say(people["alice"], "/customer add 重投科技")
        expect(seen, "→ 7001: 已新建客户 重投科技")
        uid = max(api.history)
        customers, sent = count(engine, Customer), len(api.events)
        status = await tg.redeliver(uid)
        assert status == 200
        assert count(engine, Customer) == customers and len(api.events) == sent


async def test_a_redelivered_update_changes_nothing_after_a_restart_in_polling_mode(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    people = bind_demo_team(engine, api, clock)
    async with running(api, core, "polling") as tg:
        expect(await tg.say(people["alice"], "/customer add 重启科技"), "已新建客户 重启科技")
    uid = max(api.history)
    customers, sent = count(engine, Customer), len(api.events)
    async with running(api, core, "polling") as tg:
        await tg.redeliver(uid)  # the confirmation was lost: Telegram hands it out again (stored before: no-op)
    assert count(engine, Customer) == customers and len(api.events) == sent


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_stranger_gets_one_line_and_no_data(api: BotApiStandIn, core: Core, mode: str) -> None:
    sam = api.user(7999, "Sam")
    group = api.group(GROUP_ID, "Sales team")
    async with running(api, core, mode, {sam["id"]: "sam", GROUP_ID: "group"}) as tg:
        for line in ("hello", "/customers", "/deal 1", "/today"):
            seen = await tg.say(sam, line)
            assert len(seen.messages()) == 1, seen.text()
            expect(seen, "→ sam: Hi! Please bind your account first with /join CODE")
        assert not (await tg.say(sam, "anyone here?", chat=group)).messages()  # group chatter is not for us
        seen = await tg.say(sam, "/deals@salesbot_test_bot", chat=group)
        assert len(seen.messages()) == 1 and "/join" in seen.text()


async def test_what_the_bot_ignores_it_ignores_politely(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core, caplog: pytest.LogCaptureFixture) -> None:
    alice = bind_demo_team(engine, api, clock)["alice"]
    group = api.group(GROUP_ID, "Sales team")
    channel = {"id": -1009999, "type": "channel", "title": "News"}
    photo = [{"file_id": "AgAC1", "file_unique_id": "AQAD1", "width": 90, "height": 90, "file_size": 900}]
    sticker = {"file_id": "CAAC1", "file_unique_id": "AgAD9", "type": "regular", "width": 512, "height": 512,
               "is_animated": False, "is_video": False, "emoji": "👍"}
    edited = api.message(alice, "/customer add 改过的")["message"] | {"edit_date": 1700000000}
    bodies = [
        api.message(alice, sticker=sticker),
        api.message(alice, chat=group, photo=photo),  # a private photo is a business card (test_telegram_cards.py)
        {"edited_message": edited},
        {"channel_post": {"message_id": 5, "chat": channel, "sender_chat": channel, "date": 1700000000,
                          "text": "/deals"}},
        api.message(alice, chat=group, new_chat_members=[alice]),
        api.message(alice, chat=group, pinned_message={"message_id": 1, "date": 0, "chat": group}),
        api.message(alice, "random chatter", chat=group),
        api.message(alice, "/today@some_other_bot", chat=group),
    ]
    caplog.set_level(logging.INFO)
    async with running(api, core, "polling") as tg:
        for body in bodies:
            seen = await tg.step(body)
            assert not seen.messages(), seen.text()
    assert count(engine, ProcessedEvent) == 0
    no_errors(caplog)


async def test_personal_data_asked_for_in_a_group_goes_to_the_person_privately(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    people = bind_demo_team(engine, api, clock)
    alice, bob = people["alice"], people["bob"]
    group = api.group(GROUP_ID, "Sales team")
    names = {alice["id"]: "alice", bob["id"]: "bob", GROUP_ID: "group"}
    async with running(api, core, "webhook", names) as tg:
        await tg.say(alice, "/lang en")
        await tg.say(alice, "/customer add 华东精密机械有限公司 grade A")
        await tg.say(alice, "/contact add 华东精密 张伟 采购总监 +8613812345678 zhang@huadong.cn")
        seen = await tg.say(alice, "/customer@salesbot_test_bot 华东精密", chat=group)
        expect(seen, "→ group: 🔒 alice: I sent you that privately", "→ alice: 华东精密机械有限公司",
               "+8613812345678")
        assert "+8613812345678" not in "".join(m.get("text", "") for m in seen.messages(GROUP_ID))
        question = (await tg.say(alice, "/customer", chat=group)).messages(GROUP_ID)[0]  # "Which customer?"
        seen = await tg.say(alice, "华东精密", chat=group, reply_to=question)  # the answer goes to the core...
        expect(seen, "→ group: 🔒 alice", "→ alice: 华东精密机械有限公司", "+8613812345678")  # ...and the card privately
        seen = await tg.say(bob, "/invite rep", chat=group)
        assert "Invite code" not in "".join(m["text"] for m in seen.messages(GROUP_ID))
        expect(seen, "→ group: 🔒 bob", "→ bob: 邀请码")
        seen = await tg.say(alice, "/pipeline", chat=group)  # a team summary stays in the group
        expect(seen, "→ group: ", "weighted forecast")
        assert not seen.messages(alice["id"])


async def test_deal_moves_go_to_the_team_topic_and_replies_stay_in_their_topic(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    people = bind_demo_team(engine, api, clock)
    alice, bob = people["alice"], people["bob"]
    group = api.group(GROUP_ID, "Sales team", forum=True)
    api.topic(group, TOPIC)
    async with running(api, core, "polling", {alice["id"]: "alice", bob["id"]: "bob", GROUP_ID: "group"}) as tg:
        seen = await tg.say(bob, "/dealroom", chat=group, thread=TOPIC)
        expect(seen, f"→ group/{TOPIC}: 好的，团队")
        await tg.say(alice, "/lang en")
        await tg.say(alice, "/customer add 远东重工 grade B")
        await tg.say(alice, "/deal new 远东重工 设备 100000")
        await tg.say(alice, "/quote new 远东重工 设备 10 10000")
        await tg.say(alice, "/won 远东重工")  # from prospect: qualified's rules first
        seen = await tg.say(alice, "预算10万；决策人王总；时间 月底")
        expect(seen, "→ alice: Deal #", f"→ group/{TOPIC}: 📈 Deal #", "(远东重工) → Won · alice")
        assert seen.messages(GROUP_ID)[0]["message_thread_id"] == TOPIC
        seen = await tg.say(alice, "/pipeline", chat=group, thread=TOPIC)
        expect(seen, f"→ group/{TOPIC}: ", "Prospect")
        assert {m.get("message_thread_id") for m in seen.messages(GROUP_ID)} == {TOPIC}
    with Session(engine) as s:
        team = s.exec(select(Team)).first()
        assert team is not None and team.deals_room == f"telegram:{api.me['id']}:{GROUP_ID}:{TOPIC}"


async def test_a_second_tap_on_a_decided_approval_says_who_and_changes_nothing(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    people = bind_demo_team(engine, api, clock)
    alice, bob = people["alice"], people["bob"]
    async with running(api, core, "webhook", {alice["id"]: "alice", bob["id"]: "bob"}) as tg:
        await tg.say(alice, "/customer add 远东重工 grade B")
        await tg.say(alice, "/deal new 远东重工 设备 100000")
        seen = await tg.say(alice, "/quote new 远东重工 设备 10 10000 八五折")
        request = seen.messages(bob["id"])[-1]
        first = await tg.press(bob, request, "拒绝")
        expect(first, "✎ bob: ❌ 已拒绝", "→ alice: ❌ bob")
        with Session(engine) as s:
            decided = s.exec(select(Approval).order_by(col(Approval.id).desc())).first()
        assert decided is not None and decided.status == "rejected"
        outbox = count(engine, Outbox)
        # the same button again, as a double tap sends it before the edit arrives
        data = request["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
        second = await tg.step(api.click(bob, request, data))
        assert second.answered() == 1 and first.answered() == 1
        expect(second, "→ bob: 这个审批已拒绝（bob）")
        assert not second.messages(alice["id"]) and count(engine, Outbox) == outbox
    with Session(engine) as s:
        again = s.get(Approval, decided.id)
        assert again is not None
        assert (again.status, again.decided_at, again.decided_by) == (
            decided.status, decided.decided_at, decided.decided_by)


async def test_a_location_shared_after_a_visit_is_its_check_in(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    alice = bind_demo_team(engine, api, clock)["alice"]
    spot = {"latitude": 31.2304, "longitude": 121.4737}
    async with running(api, core, "polling", {alice["id"]: "alice"}) as tg:
        await tg.say(alice, "/lang en")
        await tg.say(alice, "/customer add 华东精密机械有限公司 grade A")
        await tg.say(alice, "/visit 华东精密 见了张总")
        clock.advance(minutes=20)
        expect(await tg.step(api.message(alice, location=spot)), "Checked in")
        await tg.say(alice, "/customer")  # opens a dialogue: "Which customer?"
        clock.advance(minutes=20)
        seen = await tg.step(api.message(alice, location=spot))
        expect(seen, "no visit in the last 30 minutes")
        expect(await tg.say(alice, "华东精密"), "华东精密机械有限公司 #")  # the dialogue was kept
    with Session(engine) as s:
        visit = s.exec(select(Activity).where(col(Activity.kind) == "visit").order_by(col(Activity.id).desc())).first()
        assert visit is not None
        assert (visit.lat, visit.lon) == (31.2304, 121.4737)


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
async def test_join_binds_the_private_chat_and_a_group_join_reaches_the_person_privately(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    with transaction(session_factory(engine)) as s:
        codes = [invites.make_invite(s, role="rep", name=n, by=None, now=clock()).code for n in ("gus", "hal")]
    gus, hal = api.user(7101, "Gus"), api.user(7102, "Hal")
    group = api.group(GROUP_ID, "Sales team")
    async with running(api, core, "webhook", {7101: "gus", 7102: "hal", GROUP_ID: "group"}) as tg:
        expect(await tg.say(gus, f"/join {codes[0]}"), "→ gus: Welcome, gus!")
        expect(await tg.say(hal, f"/join@salesbot_test_bot {codes[1]}", chat=group), "→ group: Welcome, hal!")
        await tg.say(hal, "/start")  # hal opens a private chat with the bot
        seen = await tg.say(hal, "/customer add 私信科技", chat=group)
        expect(seen, "→ group: Created customer 私信科技")
        seen = await tg.say(hal, "/customer 私信科技", chat=group)
        expect(seen, "→ group: 🔒 hal", "→ hal: 私信科技")
    with Session(engine) as s:
        idents = {i.external_id: i.chat for i in s.exec(select(ChatIdentity)).all()}
        assert idents["7101"] == "7101" and idents["7102"] is None


async def test_files_go_out_as_photos_and_documents_and_come_in_as_attachments(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    alice = bind_demo_team(engine, api, clock)["alice"]
    got: list[Incoming] = []
    answer = [Reply(text="*Funnel* chart", image=Attachment("funnel.png", "image/png", PNG)),
              Reply(text="Your export", image=Attachment("deals.csv", "text/csv", b"id,title\n1,x\n"))]

    def handle(incoming: Incoming, **_: object) -> list[Reply]:
        got.append(incoming)
        return answer

    core.handle = handle  # type: ignore[method-assign]
    async with running(api, core, "polling", {alice["id"]: "alice"}) as tg:
        seen = await tg.step(api.document(alice, "customers.csv", "名称,等级\n华东,A\n".encode(), "text/csv",
                                          caption="/import"))
    assert got[0].file is not None and got[0].file.data.decode() == "名称,等级\n华东,A\n"
    assert got[0].file.name == "customers.csv" and got[0].text == "/import"
    photo, doc = seen.messages(alice["id"])
    assert photo["caption"] == "Funnel chart" and photo["caption_entities"][0]["type"] == "bold"
    assert api.file_bytes(photo) == PNG
    assert doc["document"]["file_name"] == "deals.csv" and api.file_bytes(doc) == b"id,title\n1,x\n"


async def test_a_long_reply_arrives_in_parts_that_telegram_accepts(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    alice = bind_demo_team(engine, api, clock)["alice"]
    text = "\n".join(f"{i:04d} *华东* 🎉 <b>&amp; " + "x" * 40 for i in range(220))

    def handle(incoming: Incoming, **_: object) -> list[Reply]:
        return [Reply(text=text)]

    core.handle = handle  # type: ignore[method-assign]
    async with running(api, core, "webhook", {alice["id"]: "alice"}) as tg:
        seen = await tg.say(alice, "/report long")
    parts = seen.messages(alice["id"])
    assert len(parts) >= 3
    assert "\n".join(p["text"] for p in parts) == text.replace("*", "")
    assert len([c for c in api.calls if c[1] == "sendMessage"]) == len(parts), "each part accepted at once"


async def test_the_outbox_sender_marks_a_blocked_user_unreachable_and_keeps_the_message(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    people = bind_demo_team(engine, api, clock)
    api.blocked.add(people["bob"]["id"])
    async with running(api, core, "polling") as tg:
        bot: TelegramBot = tg.bot
        with transaction(session_factory(engine)) as s:
            bob = s.exec(select(User).where(col(User.name) == "bob")).one()
            to_user(s, bob, Reply(text="approve please"), now=clock(), prefer="telegram")
        assert await bot.deliver() == 0
        with pytest.raises(delivery.Undeliverable, match="unreachable: Forbidden: bot was blocked by the user"):
            await bot.send(ChatRef("telegram", str(api.me["id"]), str(people["bob"]["id"])), Reply(text="x"))
    with Session(engine) as s:
        row = s.exec(select(Outbox)).one()
        assert row.status == "failed" and row.payload and "unreachable" in (row.error or "")


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
async def test_the_outbox_sender_turns_a_429_it_cannot_wait_out_into_retry_after(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    people = bind_demo_team(engine, api, clock)
    api.faults.append(Fault("sendMessage", ApiError(429, "Too Many Requests: retry after 7", retry_after=7)))
    async with running(api, core, "polling", limits=Limits(max_retries=0)) as tg:
        with transaction(session_factory(engine)) as s:
            alice = s.exec(select(User).where(col(User.name) == "alice")).one()
            to_user(s, alice, Reply(text="later"), now=clock(), prefer="telegram")
        assert await tg.bot.deliver() == 0
        with Session(engine) as s:
            row = s.exec(select(Outbox)).one()
            assert row.status == "pending" and row.next_attempt_at == clock() + timedelta(seconds=7)
        clock.advance(seconds=7)
        api.lift_holds()  # and Telegram's pause is over too
        assert await tg.bot.deliver() == 1
    assert [m["text"] for m in api.bot_messages(people["alice"]["id"])] == ["later"]


async def test_a_network_fault_on_a_direct_reply_parks_it_in_the_outbox(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    alice = bind_demo_team(engine, api, clock)["alice"]
    api.faults.append(Fault("sendMessage", ApiError(502, "Bad Gateway")))
    async with running(api, core, "polling", {alice["id"]: "alice"}) as tg:
        seen = await tg.say(alice, "/lang en")
    assert [e.message["text"] for e in seen.events if e.kind == "send"] == ["OK, English from now on."]


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
async def test_salesbot_run_finds_the_telegram_adapter_and_its_outbox_sender(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.adapters.telegram import app
    from bot.config import Config
    from bot.run import discover

    alice = bind_demo_team(engine, api, clock)["alice"]
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", api.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.url)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    adapters, senders = discover(Config(), core)
    assert [a.name for a in adapters] == ["telegram"] and "telegram" in senders
    to = ChatRef("telegram", str(api.me["id"]), str(alice["id"]))
    await adapters[0].start()
    try:
        await api.push(api.message(alice, "/lang en"))
        for _ in range(200):
            if api.bot_messages(alice["id"]):
                break
            await asyncio.sleep(0.02)
        assert api.bot_messages(alice["id"])[-1]["text"] == "OK, English from now on."
        running_bot = app._RUNNING[api.token]
        await senders["telegram"](to, Reply(text="through the running bot"))
    finally:
        await adapters[0].stop()
    assert api.token not in app._RUNNING and running_bot.application.running is False
    await senders["telegram"](to, Reply(text="through a bot of its own"))
    assert [m["text"] for m in api.bot_messages(alice["id"])][-2:] == ["through the running bot",
                                                                       "through a bot of its own"]


async def test_a_stored_button_works_only_for_the_person_it_was_shown_to(
        engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core) -> None:
    people = bind_demo_team(engine, api, clock)
    bob, dave = people["bob"], people["dave"]
    group = api.group(GROUP_ID, "Sales team")
    async with running(api, core, "webhook", {bob["id"]: "bob", dave["id"]: "dave", GROUP_ID: "group"}) as tg:
        await tg.say(bob, "/lead add 华东科技 张伟 13856781234 来源 展会", chat=group)
        seen = await tg.say(bob, "/lead add 华东科技有限公司 李四 来源 官网 预算 30万 规模 600人", chat=group)
        prompt, data = next((m, b["callback_data"]) for m in seen.messages()
                            for row in m.get("reply_markup", {}).get("inline_keyboard", []) for b in row
                            if b["callback_data"].startswith("tok:"))
        assert len(data) > 20 and not data[4:].isdigit()
        with Session(engine) as s:
            leads = s.exec(select(func.count()).select_from(Lead)).one()
        other = await tg.step(api.click(dave, prompt, data))
        expect(other, "That button was shown to someone else: only they can use it.")
        guessed = await tg.step(api.click(dave, prompt, "tok:1"))
        expect(guessed, "That button no longer works.")
        with Session(engine) as s:
            assert s.exec(select(func.count()).select_from(Lead)).one() == leads
        await tg.step(api.click(bob, prompt, data))
        with Session(engine) as s:
            assert s.exec(select(func.count()).select_from(Lead)).one() == leads + 1
