"""The Feishu adapter through the real SDK against the local Open API: groups and topics, the language from
Feishu, files both ways, long texts, cards that cannot be updated, rate limits and refusals in the outbox
sender, the deal's card, and `salesbot run` finding it."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot import delivery
from bot.adapters.feishu.api import FeishuApi, FeishuError
from bot.adapters.feishu.app import Feishu
from handlers.context import Settings
from handlers.core import Core
from handlers.outbox import reply_to_json, to_user
from handlers.types import Attachment, ChatRef, Incoming, Reply
from sales import invites
from sales.demo import load_demo
from sales.names import directory
from storage.db import session_factory, transaction
from storage.models import ChatIdentity, Customer, Deal, DealThread, Outbox, Team, User
from tests.adapters.feishu.test_feishu_walk import expect
from tests.conftest import FakeClock
from tests.standins.feishu import APP_ID, APP_SECRET, FeishuStandIn, buttons_of, p2p_of, text_of
from tests.standins.feishu_run import bind_demo, names_of, running, standing

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GROUP = "oc_9a0up00000000000000000000000001"


@pytest.fixture(autouse=True)
def fresh_name_index() -> None:
    """PostgreSQL tables are truncated between tests, which the process's name index cannot notice."""
    directory._cache.clear()


@pytest.fixture
async def api() -> AsyncIterator[FeishuStandIn]:
    """The local Open API, listening."""
    async with standing() as stand_in:
        yield stand_in


@pytest.fixture
def core(engine: Engine, clock: FakeClock) -> Core:
    """The demo team's core, answering in English unless a person chose otherwise."""
    load_demo(engine, customers=20, now=clock())
    return Core(engine, clock=clock, settings=Settings(default_lang="en"))


def _to(api: FeishuStandIn, chat: str) -> ChatRef:
    return ChatRef("feishu", api.app_id, chat)


async def test_in_a_group_commands_work_with_or_without_at_and_personal_answers_go_privately(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    team = bind_demo(engine, api, clock)
    alice, dave = team["alice"], team["dave"]
    api.group(GROUP, "销售一组", *team.values())
    async with running(api, core, "ws", names_of(team, group=GROUP)) as fs:
        seen = await fs.say(alice, "/customer add 群聊科技", chat=GROUP)
        expect(seen, "→ group: 已新建客户 群聊科技")
        assert seen.messages(GROUP)[0]["parent_id"], "an answer in a group quotes what it answers"
        seen = await fs.say(alice, "customer 群聊科技", chat=GROUP, mention=True)
        expect(seen, "→ group: 🔒 alice", "→ alice: 群聊科技")
        assert len(seen.messages(GROUP)) == 1, "the customer's card went to alice alone"
        assert (await fs.say(dave, "中午吃什么？", chat=GROUP)).events == [], "chatter is not for the bot"
        expect(await fs.say(dave, "today", chat=GROUP, mention=True), "→ group:")


async def test_an_answer_in_a_topic_stays_in_the_topic(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    team = bind_demo(engine, api, clock)
    api.group(GROUP, "销售一组", *team.values())
    async with running(api, core, "ws", names_of(team, group=GROUP)) as fs:
        first = await fs.say(team["carol"], "/help lang", chat=GROUP)
        root = first.messages(GROUP)[0]
        api.messages[root["message_id"]]["thread_id"] = "omt_topic0001"
        seen = await fs.say(team["carol"], "/help today", chat=GROUP, thread_of=root["message_id"])
    answer = seen.messages(GROUP)[0]
    assert answer["thread_id"] == "omt_topic0001" and answer["root_id"] == root["message_id"]


async def test_a_strangers_language_comes_from_feishu(engine: Engine, clock: FakeClock, api: FeishuStandIn,
                                                      core: Core) -> None:
    zhang, kim = api.person("zhang", "zh-CN"), api.person("kim", "en-US")
    lin = api.person("lin", None)
    async with running(api, core, "http") as fs:
        said = {p.name: text_of((await fs.say(p, "/deals")).messages()[0]) for p in (zhang, kim, lin)}
        api.fail("user", 41050, "no user authority error")
        said["unknown"] = text_of((await fs.say(api.person("wu", "zh-CN"), "/deals")).messages()[0])
    assert "/join" in said["zhang"] and any("\u4e00" <= ch <= "\u9fff" for ch in said["zhang"])
    assert "/join" in said["kim"] and not any("\u4e00" <= ch <= "\u9fff" for ch in said["kim"])
    assert said["lin"] == said["kim"] == said["unknown"], "without a language: SALESBOT_DEFAULT_LANG (en)"


async def test_a_stranger_joins_with_the_name_feishu_knows(engine: Engine, clock: FakeClock, api: FeishuStandIn,
                                                           core: Core) -> None:
    with transaction(session_factory(engine)) as s:
        code = invites.make_invite(s, role="rep", name=None, by=None, now=clock()).code
    gus = api.person("Gus Grant", "en-US")
    async with running(api, core, "ws") as fs:
        expect(await fs.say(gus, f"/join {code}"), "Welcome, Gus Grant!")
    with Session(engine) as s:
        ident = s.exec(select(ChatIdentity).where(col(ChatIdentity.external_id) == gus.open_id)).one()
        assert ident.platform == "feishu" and ident.workspace == APP_ID and ident.chat == p2p_of(gus.open_id)


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
async def test_members_who_chose_no_language_are_answered_in_their_feishu_language(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    with transaction(session_factory(engine)) as s:
        codes = [invites.make_invite(s, role="rep", name=None, by=None, now=clock()).code for _ in range(2)]
    zhou, emma = api.person("周明", "zh-CN"), api.person("Emma Stone", "en-US")
    async with running(api, core, "http") as fs:
        expect(await fs.say(zhou, f"/join {codes[0]}"), "欢迎，周明！")
        expect(await fs.say(emma, f"/join {codes[1]}"), "Welcome, Emma Stone!")
        zh_card = (await fs.say(zhou, "/advance")).messages()[0]
        en_card = (await fs.say(emma, "/advance")).messages()[0]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text_of(zh_card)), text_of(zh_card)
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text_of(en_card)), text_of(en_card)
        zh_lang = (await fs.say(zhou, "/lang")).messages()[0]
        en_lang = (await fs.say(emma, "/lang")).messages()[0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text_of(zh_lang))
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text_of(en_lang))
    with Session(engine) as s:
        chosen = {u.name: u.lang for u in s.exec(select(User).where(col(User.name).in_(["周明", "Emma Stone"])))}
        assert chosen == {"周明": None, "Emma Stone": None}, "nothing chosen: Feishu's language each time"


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
async def test_files_come_in_as_attachments_and_go_out_as_images_and_files(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    alice = bind_demo(engine, api, clock)["alice"]
    got: list[Incoming] = []
    answer = [Reply(text="*Funnel* chart", image=Attachment("funnel.png", "image/png", PNG)),
              Reply(text="Your export", image=Attachment("deals.xlsx", "application/vnd.openxmlformats-officedocument"
                                                         ".spreadsheetml.sheet", b"PK\x03\x04xlsx"))]

    def handle(incoming: Incoming, **_: object) -> list[Reply]:
        got.append(incoming)
        return answer

    core.handle = handle  # type: ignore[method-assign]
    async with running(api, core, "ws") as fs:
        seen = await fs.step(api.file_message(alice, "客户信息.csv", "名称,等级\n华东,A\n".encode(), "text/csv"))
        await fs.step(api.file_message(alice, "名片.jpg", b"\xff\xd8\xff\xe0jpeg", "image/jpeg", image=True))
    assert got[0].file is not None and got[0].file.data.decode() == "名称,等级\n华东,A\n"
    assert got[0].file.name == "客户信息.csv" and got[0].file.mime == "text/csv" and got[0].text == ""
    assert got[1].file is not None and got[1].file.data == b"\xff\xd8\xff\xe0jpeg" and got[1].file.mime == "image/jpeg"
    chart_text, chart, export_text, export = seen.messages()
    assert text_of(chart_text) == "Funnel chart" and chart["msg_type"] == "image"
    assert api.resources[json.loads(chart["body"]["content"])["image_key"]][0] == PNG
    assert text_of(export_text) == "Your export" and export["msg_type"] == "file"
    data, name, _ = api.resources[json.loads(export["body"]["content"])["file_key"]]
    assert data == b"PK\x03\x04xlsx" and name == "deals.xlsx"
    assert ("file", {"file_key": json.loads(export["body"]["content"])["file_key"], "file_type": "xls",
                     "file_name": "deals.xlsx"}) in api.calls


async def test_photos_reach_the_core_as_pictures_privately_and_with_a_caption_in_a_group(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    team = bind_demo(engine, api, clock)
    alice = team["alice"]
    api.group(GROUP, "销售一组", *team.values())
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32
    got: list[Incoming] = []

    def handle(incoming: Incoming, **_: object) -> list[Reply]:
        got.append(incoming)
        return [Reply(text="seen")]

    core.handle = handle  # type: ignore[method-assign]
    async with running(api, core, "ws", names_of(team, group=GROUP)) as fs:
        photo = api.file_message(alice, "", jpeg, "application/octet-stream", image=True)  # served untyped
        await fs.step(photo)
        await fs.step(api.photo_post(alice, "/card", jpeg, chat=GROUP))
        await fs.step(api.photo_post(alice, "名片", jpeg, chat=GROUP, mention=True))
        assert (await fs.step(api.photo_post(alice, "看看这个", jpeg, chat=GROUP))).events == [], \
            "a photo in a group that is not for the bot"
        await fs.step(api.photo_post(alice, "", jpeg))  # pasted privately without words
    private, captioned, mentioned, bare = got
    for inc in got:
        assert inc.file is not None and inc.file.data == jpeg and inc.file.mime == "image/jpeg"
        assert inc.file.name.endswith(".jpg") and inc.file.name.startswith("img_v3_")
    assert private.private and private.text == ""
    assert not captioned.private and captioned.text == "/card" and captioned.chat.chat == GROUP
    assert not mentioned.private and mentioned.text == "/名片"  # a mention of the bot with a command word is that command
    assert bare.private and bare.text == ""


async def test_an_import_is_previewed_from_a_sent_spreadsheet_and_confirmed_on_its_card(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    carol = bind_demo(engine, api, clock)["carol"]
    sheet = "客户名称,客户等级,联系人,手机\n飞书导入科技有限公司,A,王五,13912345678\n".encode()
    async with running(api, core, "http") as fs:
        seen = await fs.step(api.file_message(carol, "客户信息.csv", sheet, "text/csv"))
        preview = seen.messages()[-1]
        assert "Preview" in text_of(preview) and "飞书导入科技有限公司" in text_of(preview)
        assert buttons_of(preview) == ["Confirm import", "Cancel"]
        seen = await fs.press(carol, preview["message_id"], "Confirm import")
    assert "Imported" in seen.text()
    assert "飞书导入科技有限公司" in {c.name for c in _customers(engine)}


def _customers(engine: Engine) -> list[Customer]:
    with Session(engine) as s:
        return list(s.exec(select(Customer)).all())


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
async def test_a_long_reply_arrives_in_parts_feishu_accepts(engine: Engine, clock: FakeClock, api: FeishuStandIn,
                                                            core: Core) -> None:
    alice = bind_demo(engine, api, clock)["alice"]
    text = "\n".join(f"{i:04d} *华东精密* 🎉 <at id=all></at> " + "长" * 60 for i in range(600))

    def handle(incoming: Incoming, **_: object) -> list[Reply]:
        return [Reply(text=text)]

    core.handle = handle  # type: ignore[method-assign]
    sent_at: list[float] = []
    async with running(api, core, "ws") as fs:
        send = fs.feishu.api.send

        async def timed(chat: str, message: Any, **kw: Any) -> str:
            sent_at.append(asyncio.get_running_loop().time())
            return await send(chat, message, **kw)

        fs.feishu.api.send = timed  # type: ignore[method-assign]
        seen = await fs.say(alice, "/report long")
    parts = seen.messages()
    assert len(parts) >= 3 and all(p["msg_type"] == "post" for p in parts)
    assert len(sent_at) == len(parts)
    assert min(b - a for a, b in itertools.pairwise(sent_at)) >= 0.19, "5 messages a second to one chat"
    assert "\n".join(text_of(p) for p in parts) == text.replace("*", "")
    assert len([c for c in api.calls if c[0] == "create"]) == len(parts), "each part accepted at once"


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
async def test_a_long_reply_meeting_a_rate_limit_midway_sends_only_the_rest_later(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    alice = bind_demo(engine, api, clock)["alice"]
    text = "\n".join(f"{i:04d} " + "长" * 80 for i in range(600))
    answer = [Reply(text=text, image=Attachment("funnel.png", "image/png", PNG))]

    def handle(incoming: Incoming, **_: object) -> list[Reply]:
        return answer

    core.handle = handle  # type: ignore[method-assign]
    chat = p2p_of(alice.open_id)
    async with running(api, core, "ws") as fs:
        api.fail("create", 230020, "This operation triggers the frequency limit.", after=1)  # the chat's limit
        seen = await fs.say(alice, "/report long")
        assert len(seen.messages()) == 1, "the first piece went out"
        with Session(engine) as s:
            row = s.exec(select(Outbox)).one()
            assert row.status == "pending" and row.next_attempt_at == clock() + timedelta(seconds=1)
        api.rate_limit("image", reset=7)  # the rest goes out, then the chart's upload meets the gateway's limit
        clock.advance(seconds=1)
        await fs.feishu.deliver()
        with Session(engine) as s:
            rows = s.exec(select(Outbox).order_by(col(Outbox.id))).all()
            assert [r.status for r in rows] == ["sent", "pending"], "the row is done; only the chart waits"
            assert rows[1].next_attempt_at == clock() + timedelta(seconds=7)
        clock.advance(seconds=7)
        await fs.feishu.deliver()
    sent = api.in_chat(chat)
    assert "\n".join(text_of(m) for m in sent[:-1]) == text, "every line once, in order"
    assert sent[-1]["msg_type"] == "image" and [m["msg_type"] for m in sent[:-1]] == ["post"] * (len(sent) - 1)


async def test_a_card_that_cannot_be_updated_is_answered_anew(engine: Engine, clock: FakeClock,
                                                              api: FeishuStandIn, core: Core) -> None:
    alice = bind_demo(engine, api, clock)["alice"]
    async with running(api, core, "ws") as fs:
        seen = await fs.say(alice, "/lang")
        card = seen.messages()[0]
        api.fail("patch", 230001, "Your request contains an invalid request parameter, ext=message too old.")
        seen = await fs.press(alice, card["message_id"], "English")
    assert [e.kind for e in seen.events] == ["send"] and "English" in text_of(seen.events[0].message)


async def test_a_direct_reply_that_meets_a_rate_limit_is_parked_and_sent_later(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    alice = bind_demo(engine, api, clock)["alice"]
    api.rate_limit("create", reset=4)
    async with running(api, core, "ws") as fs:
        seen = await fs.say(alice, "/lang en")
        assert seen.events == []
        with Session(engine) as s:
            row = s.exec(select(Outbox)).one()
            assert row.status == "pending" and row.chat == p2p_of(alice.open_id)
            assert row.next_attempt_at == clock() + timedelta(seconds=4), "x-ogw-ratelimit-reset is honoured"
        assert await fs.feishu.deliver() == 0
        clock.advance(seconds=4)
        assert await fs.feishu.deliver() == 1
    assert text_of(api.in_chat(p2p_of(alice.open_id))[-1]) == "OK, English from now on."


async def test_a_clicked_card_whose_update_meets_a_rate_limit_is_updated_after_the_wait(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    team = bind_demo(engine, api, clock)
    async with running(api, core, "ws") as fs:
        await fs.say(team["alice"], "/customer add 限流科技有限公司")
        await fs.say(team["alice"], "/deal new 限流科技 设备 100000")
        seen = await fs.say(team["alice"], "/quote new 限流科技 设备 10 10000 discount 20%")
        request = seen.messages(p2p_of(team["bob"].open_id))[-1]
        api.rate_limit("patch", reset=5)
        seen = await fs.press(team["bob"], request["message_id"], "批准")
        assert "批准" in " ".join(buttons_of(api.current(request["message_id"]))), "not updated yet"
        clock.advance(seconds=5)
        await fs.feishu.deliver()
    now = api.current(request["message_id"])
    assert "已批准" in text_of(now) and buttons_of(now) == [], "the card itself, updated after the wait"
    assert not [m for m in api.in_chat(p2p_of(team["bob"].open_id)) if "已批准" in text_of(m)
                and m["message_id"] != request["message_id"]], "no second message"


async def test_the_outbox_sender_waits_out_rate_limits_and_gives_up_on_refusals(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    team = bind_demo(engine, api, clock)
    outside = "oc_0u751de0000000000000000000000000"
    api.group(outside, "no bot here", *team.values(), bot=False)
    feishu = Feishu(core, FeishuApi(APP_ID, APP_SECRET, api.url))
    api.fail("create", 230020, "This operation triggers the frequency limit.")
    with pytest.raises(delivery.RetryAfter) as wait:
        await feishu.send(_to(api, p2p_of(team["bob"].open_id)), Reply(text="x"))
    assert wait.value.seconds == 1
    api.rate_limit("create", reset=9)
    with pytest.raises(delivery.RetryAfter) as wait:
        await feishu.send(_to(api, p2p_of(team["bob"].open_id)), Reply(text="x"))
    assert wait.value.seconds == 9
    with pytest.raises(delivery.Undeliverable, match="230002"):
        await feishu.send(_to(api, outside), Reply(text="x"))
    with pytest.raises(delivery.Undeliverable, match="230013"):
        await feishu.send(_to(api, "ou_" + "0" * 32), Reply(text="x"))
    api.fail("create", 500, "internal error", status=500)
    with pytest.raises(FeishuError):
        await feishu.send(_to(api, p2p_of(team["bob"].open_id)), Reply(text="x"))
    with transaction(session_factory(engine)) as s:
        bob = s.exec(select(User).where(col(User.name) == "bob")).one()
        to_user(s, bob, Reply(text="approve please"), now=clock(), prefer="feishu")
        s.add(Outbox(platform="feishu", workspace=api.app_id, chat=outside, payload=reply_to_json(Reply(text="y")),
                     next_attempt_at=clock(), created_at=clock()))
    assert await feishu.deliver() == 1
    with Session(engine) as s:
        rows = {r.chat: r for r in s.exec(select(Outbox)).all()}
        assert rows[outside].status == "failed" and "230002" in (rows[outside].error or "")
    assert text_of(api.in_chat(p2p_of(team["bob"].open_id))[-1]) == "approve please"


async def test_the_sender_posts_a_deals_card_once_then_updates_it_in_place(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    team = bind_demo(engine, api, clock)
    api.group(GROUP, "商机", *team.values())
    with transaction(session_factory(engine)) as s:
        deal = s.exec(select(Deal)).first()
        assert deal is not None and deal.id is not None
        s.add(DealThread(deal_id=deal.id, platform="feishu", workspace=api.app_id, channel=GROUP, created_at=clock()))
        deal_id = deal.id
    feishu = Feishu(core, FeishuApi(APP_ID, APP_SECRET, api.url))
    to = ChatRef("feishu", api.app_id, GROUP, thread=f"deal:{deal_id}")
    await feishu.send(to, Reply(text=f"💼 Deal #{deal_id} · prospect"))
    await feishu.send(to, Reply(text=f"💼 Deal #{deal_id} · *qualified*", edit="card"))
    await feishu.send(to, Reply(text="📝 alice logged a visit"))
    await feishu.send(to, Reply(text=f"💼 Deal #{deal_id} · *won*", edit="card"))
    card, note = api.in_chat(GROUP)
    assert card["msg_type"] == "interactive" and text_of(card) == f"💼 Deal #{deal_id} · won"
    assert [e.kind for e in api.events] == ["send", "patch", "send", "patch"]
    assert note["root_id"] == card["message_id"] and note["thread_id"], "other news go in the card's thread"
    with Session(engine) as s:
        row = s.exec(select(DealThread)).one()
        assert row.thread_ts == card["message_id"] and row.posted_channel == GROUP


async def test_the_deals_room_keeps_one_card_per_deal_and_patches_it_as_the_deal_moves(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    team = bind_demo(engine, api, clock)
    api.group(GROUP, "商机动态", *team.values())
    async with running(api, core, "ws", names_of(team, room=GROUP)) as fs:
        expect(await fs.say(team["bob"], "/dealroom", chat=GROUP), "→ room: 好的，团队")
        await fs.say(team["alice"], "/customer add 房间科技有限公司")
        seen = await fs.say(team["alice"], "/deal new 房间科技 试用 10000")
        expect(seen, "→ alice:", "→ room: 💼 #", "试用 · 房间科技有限公司", "📈 Prospect · alice", "[Details]  [Advance]")
        card = seen.messages(GROUP)[0]
        assert card["msg_type"] == "interactive"
        # a jump from prospect past the skipped stages' rules: a manager's, with the reason
        seen = await fs.say(team["bob"], "/advance 房间科技 negotiation because 客户直接谈判")
        expect(seen, "✎ room: 💼 #", "📈 Negotiation · bob")
        assert seen.messages(GROUP) == [], "the move updates the card: nothing new in the room"
        api.rate_limit("patch", reset=3)  # Feishu's frequency limit on the second update: it waits, then patches
        seen = await fs.say(team["bob"], "/won 房间科技")
        assert [e.kind for e in seen.events if e.message["chat_id"] == GROUP] == []
        clock.advance(seconds=3)
        await fs.feishu.deliver()
    in_room = [m for m in api.in_chat(GROUP) if m["msg_type"] == "interactive" and "房间科技" in text_of(m)]
    assert [m["message_id"] for m in in_room] == [card["message_id"]], "one card for the deal"
    patches = [e for e in api.events if e.kind == "patch" and e.message["message_id"] == card["message_id"]]
    assert len(patches) == 2, "patched once per move"
    now = api.current(card["message_id"])
    assert "📈 Won · bob" in text_of(now) and buttons_of(now) == ["Details"], "a closed deal cannot be advanced"
    with Session(engine) as s:
        rooms = {t.deals_room for t in s.exec(select(Team)).all()}
        assert f"feishu:{api.app_id}:{GROUP}" in rooms
        row = s.exec(select(DealThread).where(col(DealThread.channel) == GROUP)).one()
        assert row.thread_ts == card["message_id"], "the deal's card is remembered in its DealThread row"
        assert {r.status for r in s.exec(select(Outbox)).all()} == {"sent"}


async def test_a_deal_card_too_old_to_update_is_posted_anew_and_updated_from_then_on(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    team = bind_demo(engine, api, clock)
    api.group(GROUP, "商机", *team.values())
    with transaction(session_factory(engine)) as s:
        deal = s.exec(select(Deal)).first()
        assert deal is not None and deal.id is not None
        s.add(DealThread(deal_id=deal.id, platform="feishu", workspace=api.app_id, channel=GROUP, created_at=clock()))
        deal_id = deal.id
    feishu = Feishu(core, FeishuApi(APP_ID, APP_SECRET, api.url))
    to = ChatRef("feishu", api.app_id, GROUP, thread=f"deal:{deal_id}")
    await feishu.send(to, Reply(text="prospect", edit="card"))
    api.fail("patch", 230031, "The message is too old to be updated.")  # past Feishu's 14 days
    await feishu.send(to, Reply(text="qualified", edit="card"))
    await feishu.send(to, Reply(text="proposal", edit="card"))
    old, new = api.in_chat(GROUP)
    assert text_of(old) == "prospect" and text_of(new) == "proposal"
    assert [e.kind for e in api.events] == ["send", "send", "patch"]
    with Session(engine) as s:
        assert s.exec(select(DealThread)).one().thread_ts == new["message_id"]


async def test_an_event_split_over_several_frames_is_read_whole(engine: Engine, clock: FakeClock,
                                                                api: FeishuStandIn, core: Core) -> None:
    alice = bind_demo(engine, api, clock)["alice"]
    async with running(api, core, "ws") as fs:
        ack = await api.push(api.message(alice, "/lang en"), parts=3)
        await fs.feishu.drain()
    assert ack == {"code": 200}
    assert text_of(api.in_chat(p2p_of(alice.open_id))[-1]) == "OK, English from now on."


async def test_wrong_credentials_fail_at_start(engine: Engine, clock: FakeClock, api: FeishuStandIn,
                                               core: Core) -> None:
    feishu = Feishu(core, FeishuApi(APP_ID, "not-the-secret", api.url))
    with pytest.raises(FeishuError, match="10014"):
        await feishu.start()


async def test_salesbot_run_finds_the_feishu_adapter_and_its_outbox_sender(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.adapters.feishu import app
    from bot.config import Config
    from bot.run import discover

    alice = bind_demo(engine, api, clock)["alice"]
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "FEISHU_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FEISHU_APP_ID", APP_ID)
    monkeypatch.setenv("FEISHU_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("FEISHU_API_BASE_URL", api.url)
    monkeypatch.setenv("DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    adapters, senders = discover(Config(_env_file=None), core)
    assert [a.name for a in adapters] == ["feishu"] and "feishu" in senders
    to = _to(api, p2p_of(alice.open_id))
    await adapters[0].start()
    try:
        await asyncio.wait_for(api.connected.wait(), 10)
        await api.push(api.message(alice, "/lang en"))
        for _ in range(200):
            if api.in_chat(to.chat):
                break
            await asyncio.sleep(0.02)
        assert text_of(api.in_chat(to.chat)[-1]) == "OK, English from now on."
        assert APP_ID in app._RUNNING
        await senders["feishu"](to, Reply(text="through the running adapter"))
    finally:
        await adapters[0].stop()
    assert APP_ID not in app._RUNNING and not api.peers, "the long connection is closed"
    await senders["feishu"](to, Reply(text="through an adapter of its own"))
    assert [text_of(m) for m in api.in_chat(to.chat)][-2:] == ["through the running adapter",
                                                               "through an adapter of its own"]
    cfg = Config(_env_file=None)
    assert discover(cfg, None)[0] == [], "without a core (the worker): a sender only"


@pytest.mark.parametrize(("role", "mode"), [("all", "ws"), ("web", "ws"), ("all", "http"), ("web", "http"),
                                           ("worker", "ws"), ("worker", "http")])
async def test_every_role_of_salesbot_run_starts_feishu_from_its_two_variables(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core, monkeypatch: pytest.MonkeyPatch,
        role: str, mode: str) -> None:
    from bot.config import Config
    from bot.roles import role_adapters
    from bot.run import discover
    from tests.processes import free_port
    from tests.standins.feishu import ENCRYPT_KEY, VERIFICATION_TOKEN

    alice = bind_demo(engine, api, clock)["alice"]
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FEISHU_APP_ID", APP_ID)
    monkeypatch.setenv("FEISHU_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("FEISHU_API_BASE_URL", api.url)
    monkeypatch.setenv("FEISHU_MODE", mode)
    monkeypatch.setenv("FEISHU_VERIFICATION_TOKEN", VERIFICATION_TOKEN)
    monkeypatch.setenv("FEISHU_ENCRYPT_KEY", ENCRYPT_KEY)
    monkeypatch.setenv("DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    cfg = Config(_env_file=None)
    assert "feishu" in discover(cfg, None)[1], "every role delivers Feishu's outbox rows"
    port = free_port()
    adapters = role_adapters(role, cfg, core, port=port, host="127.0.0.1")
    names = [a.name for a in adapters]
    assert names == {"worker": ["metrics"], "ws": ["web", "feishu"], "http": ["web"]}["worker" if role == "worker"
                                                                                       else mode]
    for adapter in adapters:
        await adapter.start()
    try:
        if role == "worker":
            await asyncio.sleep(0.5)
            assert not api.peers, "the worker only sends"
            return
        if mode == "ws":
            await asyncio.wait_for(api.connected.wait(), 10)
            await api.push(api.message(alice, "/lang en"))
        else:
            api.callback_url = f"http://127.0.0.1:{port}/feishu/events"
            assert (await api.post(api.message(alice, "/lang en")))[0] == 200
        for _ in range(300):
            if api.in_chat(p2p_of(alice.open_id)):
                break
            await asyncio.sleep(0.02)
        assert [text_of(m) for m in api.in_chat(p2p_of(alice.open_id))] == ["OK, English from now on."]
    finally:
        for adapter in reversed(adapters):
            await adapter.stop()


async def test_an_export_arrives_as_a_spreadsheet_file_that_imports_back(
        engine: Engine, clock: FakeClock, api: FeishuStandIn, core: Core) -> None:
    carol = bind_demo(engine, api, clock)["carol"]
    async with running(api, core, "http") as fs:
        seen = await fs.say(carol, "/export customers")
        sent = seen.messages()
        files = [m for m in sent if m["msg_type"] == "file"]
        assert len(files) == 1, [m["msg_type"] for m in sent]
        data, name, _ = api.resources[json.loads(files[0]["body"]["content"])["file_key"]]
        assert name.endswith(".xlsx") and data.startswith(b"PK")
        # sent back to the bot, the same file is previewed for import: nothing new in it
        seen = await fs.step(api.file_message(carol, name, data, "application/octet-stream"))
    assert "Preview" in text_of(seen.messages()[-1]), seen.text()


async def test_a_report_answers_with_its_chart_as_an_image(engine: Engine, clock: FakeClock, api: FeishuStandIn,
                                                           core: Core) -> None:
    bob = bind_demo(engine, api, clock)["bob"]
    async with running(api, core, "http") as fs:
        seen = await fs.say(bob, "/pipeline team")
    text, chart = seen.messages()
    assert text["msg_type"] == "post" and chart["msg_type"] == "image"
    assert api.resources[json.loads(chart["body"]["content"])["image_key"]][0].startswith(b"\x89PNG")
