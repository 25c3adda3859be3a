"""parse.to_incoming against recorded Bot API updates (tests/fixtures/telegram/*.json)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from telegram import Update

from bot.adapters.telegram import parse
from handlers.types import ChatRef, Incoming
from tests.conftest import FIXTURES as TEST_FIXTURES

FIXTURES = TEST_FIXTURES / "telegram"
WS = "4242"
GROUP = ChatRef("telegram", WS, "-4012345678")


def update(name: str) -> Update:
    return Update.de_json(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")), None)


def incoming(name: str) -> Incoming | None:
    return parse.to_incoming(update(name), workspace=WS, bot_username="salesbot_test_bot", bot_id=4242)


EXPECTED: dict[str, dict[str, Any]] = {
    "private_command": {"chat": ChatRef("telegram", WS, "7001"), "user": "7001", "private": True,
                        "text": "/visit 华东精密 见了张总，下周三下午3点再跟进", "event_id": "800000001",
                        "locale": "zh-hans", "display_name": "Alice Wang"},
    "private_text": {"text": "见了华东科技张总，要50台报价", "private": True},
    "group_command_botname": {"chat": GROUP, "text": "/deals team", "private": False},
    "group_reply_to_bot": {"chat": GROUP, "text": "华东精密", "private": False},
    "group_mention": {"chat": GROUP, "text": "华东精密 下周三再跟进"},
    "topic_command": {"chat": ChatRef("telegram", WS, "-1001234567890", "77"), "text": "/pipeline"},
    "callback_query": {"chat": ChatRef("telegram", WS, "7002"), "user": "7002", "text": "", "action": "ap.ok:12",
                       "event_id": "800000009", "locale": "en", "private": True},
    "callback_query_inaccessible": {"chat": ChatRef("telegram", WS, "7001"), "action": "fu.done:3"},
    "location": {"text": "", "location": (31.230416, 121.473701)},
    "document": {"text": "/import", "file": None},
    "photo_with_caption": {"text": "/note 华东精密 样机照片"},
    "photo_no_caption": {"text": "", "private": True},  # a business card to read (handlers/commands/cards.py)
}
IGNORED = ["group_command_other_bot", "group_chatter", "sticker", "edited_message",
           "channel_post", "service_new_members", "anonymous_admin", "my_chat_member"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_update_becomes_this_incoming(name: str) -> None:
    got = incoming(name)
    assert got is not None
    for key, value in EXPECTED[name].items():
        assert getattr(got, key) == value, key


@pytest.mark.parametrize("name", IGNORED)
def test_what_is_not_for_the_bot_becomes_nothing(name: str) -> None:
    assert incoming(name) is None


def test_a_document_is_named_for_download_and_the_clicked_message_for_editing() -> None:
    doc = parse.document_of(update("document"))
    assert doc == parse.DocumentRef(file_id="BQACAgUAAxkBAAIBZ2VZ", name="customers.xlsx",
                                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                    size=18234)
    assert parse.document_of(update("private_text")) is None
    # a photo sent privately is fetched in its largest size; one captioned with another command is not fetched
    assert parse.document_of(update("photo_no_caption")) == parse.DocumentRef(
        file_id="AgACAgUAAxkBAAIBaWVZ-m", name="photo_16.jpg", mime="image/jpeg", size=22146)
    assert parse.document_of(update("photo_with_caption")) is None
    assert parse.clicked_message_id(update("callback_query")) == 41
    assert parse.clicked_message_id(update("private_text")) is None


def test_a_command_on_several_lines_keeps_its_text() -> None:
    raw = json.loads((FIXTURES / "private_command.json").read_text(encoding="utf-8"))
    raw["message"]["text"] = "/visit@SalesBot_Test_Bot\n华东精密\n见了张总"
    got = parse.to_incoming(Update.de_json(raw, None), workspace=WS, bot_username="salesbot_test_bot")
    assert got is not None and got.text == "/visit 华东精密\n见了张总"
