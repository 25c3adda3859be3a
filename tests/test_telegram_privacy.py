"""The group rule of handlers/privacy.py, platform-neutral (Telegram and Slack share it): in a group chat,
replies carrying personal data go to the speaker privately and the group gets a short note."""

from __future__ import annotations

from sqlalchemy import Engine

from handlers import privacy
from handlers.context import Settings
from handlers.core import Core
from handlers.types import ChatRef, Incoming, Reply
from sales.demo import load_demo
from sales.names import directory
from tests.conftest import FakeClock


def test_what_counts_as_personal() -> None:
    plain = Reply(text="Pipeline: ¥2,560,000")
    assert privacy.is_personal(Reply(text="张伟 +8613812345678"), "/today")
    assert privacy.is_personal(Reply(text="mail zhang@huadong.cn"), "")
    assert privacy.is_personal(Reply(text="联系 13812345678"), "")
    assert privacy.is_personal(Reply(text="x", private=True), "/pipeline")
    assert privacy.is_personal(plain, "/customer 华东精密")
    assert privacy.is_personal(plain, "/receivables@salesbot_test_bot overdue")
    assert not privacy.is_personal(plain, "/customer add 华东精密")
    assert not privacy.is_personal(Reply(text="OK: T's team digest comes here every working day."), "/digest here")
    assert privacy.is_personal(plain, "/digest")
    assert not privacy.is_personal(plain, "/pipeline team")
    assert not privacy.is_personal(Reply(text="Deal #12 → Won, 2027-01-15, order #3"), "/won 12")


def test_a_deals_room_is_written_and_read_back() -> None:
    room = ChatRef("telegram", "4242", "-1001234567890", "77")
    assert privacy.decode_room(privacy.encode_room(room)) == room
    assert privacy.decode_room("slack:T1:C2") == ChatRef("slack", "T1", "C2")
    assert privacy.decode_room("C024BE91L") is None and privacy.decode_room("threads:slack:T1:C2") is None


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
