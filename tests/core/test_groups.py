"""The group rule of handlers/groups.py, platform-neutral (Telegram and Slack share it): in a group chat,
replies carrying personal data go to the speaker privately and the group gets a short note."""

from __future__ import annotations

from sqlalchemy import Engine

from handlers import deal_news, groups
from handlers.context import Settings
from handlers.core import Core
from handlers.registry import command_line_personal, load_all
from handlers.types import ChatRef, Incoming, Reply
from sales.demo import load_demo
from sales.names import directory
from tests.conftest import FakeClock


def test_what_counts_as_personal() -> None:
    load_all()
    plain = Reply(text="Pipeline: ¥2,560,000")
    assert groups.is_personal(Reply(text="张伟 +8613812345678"), command_line_personal("/today"))
    assert groups.is_personal(Reply(text="mail zhang@huadong.cn"), command_line_personal(""))
    assert groups.is_personal(Reply(text="联系 13812345678"), command_line_personal(""))
    assert groups.is_personal(Reply(text="x", private=True), command_line_personal("/pipeline"))
    assert groups.is_personal(plain, command_line_personal("/customer 华东精密"))
    assert groups.is_personal(plain, command_line_personal("/receivables@salesbot_test_bot overdue"))
    assert not groups.is_personal(plain, command_line_personal("/customer add 华东精密"))
    assert not groups.is_personal(Reply(text="OK: T's team digest comes here every working day."), command_line_personal("/digest here"))
    assert groups.is_personal(plain, command_line_personal("/digest"))
    assert not groups.is_personal(plain, command_line_personal("/pipeline team"))
    assert not groups.is_personal(Reply(text="Deal #12 → Won, 2027-01-15, order #3"), command_line_personal("/won 12"))


def test_a_deals_room_is_written_and_read_back() -> None:
    room = ChatRef("telegram", "4242", "-1001234567890", "77")
    assert deal_news.decode_room(deal_news.encode_room(room)) == room
    assert deal_news.decode_room("slack:T1:C2") == ChatRef("slack", "T1", "C2")
    assert deal_news.decode_room("C024BE91L") is None and deal_news.decode_room("threads:slack:T1:C2") is None


def test_in_a_group_the_core_addresses_personal_replies_to_the_person(engine: Engine, clock: FakeClock) -> None:
    directory._cache.clear()
    load_demo(engine, customers=20, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    dm = ChatRef("console", "local", "alice")
    room = ChatRef("console", "local", "team-room")
    core.handle(Incoming(chat=dm, user="alice", text="/lang en"))
    core.handle(Incoming(chat=dm, user="alice", text="/customer add 华东精密机械有限公司 grade A"))
    core.handle(Incoming(chat=dm, user="alice", text="/contact add 华东精密 张伟 +8613812345678"))
    replies = core.handle(Incoming(chat=room, user="alice", text="/customer 华东精密", private=False))
    note, card = replies
    assert note.to is None and "🔒 alice" in note.text and "+8613812345678" not in note.text
    assert card.to == dm and "+8613812345678" in card.text
    same = core.handle(Incoming(chat=dm, user="alice", text="/customer 华东精密"))
    assert len(same) == 1 and same[0].to is None  # in the private chat nothing changes
