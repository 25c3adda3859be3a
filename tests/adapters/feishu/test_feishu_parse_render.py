"""The Feishu adapter's pure edges: recorded event payloads → Incoming, Reply → post and card messages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lark_oapi.api.im.v1 import P2ImMessageReceiveV1
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTrigger

from bot.adapters.feishu import parse, render
from handlers.markup import to_plain
from handlers.types import Attachment, Button, ChatRef, Reply
from tests.conftest import FIXTURES as TEST_FIXTURES

FIXTURES = TEST_FIXTURES / "feishu"
APP = "cli_a5standin0000001"
BOT = "ou_b07b07b07b07b07b07b07b07b07b0700"


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", ["message_p2p_text", "message_group_mention", "message_post", "message_file"])
def test_the_recorded_messages_are_what_the_sdk_reads(name: str) -> None:
    body = payload(name)
    event = P2ImMessageReceiveV1(body)
    assert event.header.event_type == parse.MESSAGE and event.event.message.message_id
    assert parse.event_type(body) == parse.MESSAGE


def test_a_private_word_that_names_a_command_becomes_it() -> None:
    p = parse.from_message(payload("message_p2p_text"), workspace=APP, bot_open_id=BOT, commands={"today", "visit"})
    assert p is not None and p.kind == "message"
    inc = p.incoming
    assert inc.text == "/today" and inc.private and inc.user == "ou_84aad35d084aa403a838cf73ee18467"
    assert inc.chat == ChatRef("feishu", APP, "oc_5ce6d572455d361153b7xx51da133945")
    assert inc.event_id == "5e3702a84e847582be8db7fb73283c02" and p.message_id == "om_5ce6d572455d361153b7cb51da133945"


def test_a_mention_of_the_bot_in_a_topic_is_a_command_there_and_others_keep_their_names() -> None:
    p = parse.from_message(payload("message_group_mention"), workspace=APP, bot_open_id=BOT, commands={"visit"})
    assert p is not None
    inc = p.incoming
    assert inc.text == "/visit 华东精密 和 @Dave 一起见了张总" and not inc.private
    assert inc.chat.thread == "om_40eb06e7b84dc71c03e009ad3c754195", "answers stay in the topic"


def test_group_chatter_is_not_for_the_bot_but_its_commands_are() -> None:
    body = payload("message_group_mention")
    body["event"]["message"]["mentions"] = body["event"]["message"]["mentions"][1:]
    body["event"]["message"]["content"] = json.dumps({"text": "@_user_2 午饭吃什么"})
    assert parse.from_message(body, workspace=APP, bot_open_id=BOT, commands={"visit"}) is None
    body["event"]["message"]["content"] = json.dumps({"text": "/today"})
    p = parse.from_message(body, workspace=APP, bot_open_id=BOT, commands={"today"})
    assert p is not None and p.incoming.text == "/today" and not p.incoming.private


def test_rich_text_reads_as_its_lines() -> None:
    p = parse.from_message(payload("message_post"), workspace=APP, bot_open_id=BOT, commands={"visit"})
    assert p is not None and p.incoming.text == "/visit 华东精密 演示了样机\n下周三再跟进 :THUMBSUP:"


def test_a_file_is_fetched_from_its_message_and_a_bots_message_is_ignored() -> None:
    body = payload("message_file")
    p = parse.from_message(body, workspace=APP, bot_open_id=BOT)
    assert p is not None and p.file == parse.FileRef("om_72a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9",
                                                     "file_v3_00cv_1c7e2a6b-9f5d-4e3a-8b1c-2d4e6f8a0b1g", "file",
                                                     "客户信息.xlsx")
    body["event"]["sender"]["sender_type"] = "app"
    assert parse.from_message(body, workspace=APP, bot_open_id=BOT) is None


def test_a_location_is_a_check_in() -> None:
    body = payload("message_p2p_text")
    body["event"]["message"].update(message_type="location",
                                    content=json.dumps({"name": "华东精密", "longitude": "121.47", "latitude": "31.23"}))
    p = parse.from_message(body, workspace=APP, bot_open_id=BOT)
    assert p is not None and p.incoming.location == (31.23, 121.47) and p.incoming.text == ""


def test_a_click_carries_the_buttons_payload_and_the_card() -> None:
    body = payload("card_action")
    assert P2CardActionTrigger(body).event.action.value == {"act": "ap.ok:12"}
    p = parse.from_action(body, workspace=APP, private=True)
    assert p is not None and p.kind == "action" and p.clicked == "om_3c1a5e7b9d2f4a6c8e0b2d4f6a8c0e2f"
    assert p.incoming.action == "ap.ok:12" and p.incoming.text == "" and p.incoming.private
    assert p.incoming.event_id == "f8e7d6c5b4a3928170f1e2d3c4b5a697"
    body["event"]["action"]["value"] = {"other": "x"}
    assert parse.from_action(body, workspace=APP, private=True) is None


def test_a_reply_without_buttons_is_rich_text_and_with_them_a_shared_card() -> None:
    plain, = render.messages(Reply(text="*Won* #12\n_华东_ `A-1`"))
    assert plain.msg_type == "post"
    runs = plain.content["zh_cn"]["content"]
    assert runs[0] == [{"tag": "text", "text": "Won", "style": ["bold"]}, {"tag": "text", "text": " #12"}]
    assert runs[1] == [{"tag": "text", "text": "华东", "style": ["italic"]}, {"tag": "text", "text": " "},
                       {"tag": "text", "text": "A-1"}]
    card, = render.messages(Reply(text="*Approve?*", buttons=((Button("批准", "ap.ok:1", "primary"),
                                                                Button("拒绝", "ap.no:1", "danger")),)))
    assert card.msg_type == "interactive" and card.content["config"]["update_multi"] is True
    assert card.content["elements"][0] == {"tag": "markdown", "content": "**Approve?**"}
    assert [(b["text"]["content"], b["type"], b["value"]) for b in card.content["elements"][1]["actions"]] == [
        ("批准", "primary", {"act": "ap.ok:1"}), ("拒绝", "danger", {"act": "ap.no:1"})]
    assert render.messages(Reply(text=""), as_card=True)[0].msg_type == "interactive", "an update stays a card"


def test_user_text_in_a_card_cannot_format_or_make_tags() -> None:
    text = render.markdown("*Deal* " + "\\*x\\* <at id=all></at> [a](http://e.x) ~~s~~ `c`\n# h")
    assert text == "**Deal** ∗x∗ ＜at id=all＞＜/at＞ ［a］(http://e.x) ∼∼s∼∼ c\n＃ h"


@pytest.mark.parametrize("line", ["见了张总，要50台报价 ", "*a* \"q\" \\\\ x ", "x"])
def test_long_texts_are_split_under_feishus_limit_at_line_ends(line: str) -> None:
    text = "\n".join(f"{i:05d} " + line * 20 for i in range(800))
    many = tuple(tuple(Button(f"客户 {r}-{c}", f"say:/customer 华东精密机械有限公司 {r}{c}") for c in range(5))
                 for r in range(8))
    for reply in (Reply(text=text), Reply(text=text, buttons=((Button("OK", "say:/today"),),)),
                  Reply(text=text, buttons=many)):
        parts = render.messages(reply)
        assert len(parts) > 1 and all(render.size(m) <= render.MAX_CONTENT for m in parts)
        assert [m.msg_type for m in parts][-1] == ("interactive" if reply.buttons else "post")
        shown = [" ".join(r["text"] for p in m.content["zh_cn"]["content"] for r in p) for m in parts[:-1]]
        assert all(s.startswith(f"{int(s[:5]):05d} ") for s in shown), "pieces start at a line"
    one = "x" * 100_000
    assert "".join(render.split(one)) == one and len(render.split(one)) > 3


def test_attachments_go_as_images_or_files_of_feishus_types() -> None:
    assert render.is_image(Attachment("funnel.png", "image/png", b""))
    assert not render.is_image(Attachment("deals.xlsx", "application/vnd.ms-excel", b""))
    assert [render.file_type(Attachment(n, "x", b"")) for n in ("a.xlsx", "b.csv", "c.pdf", "d")] == [
        "xls", "stream", "pdf", "stream"]


def test_what_a_person_reads_in_a_post_is_the_replys_text() -> None:
    text = "📈 *Deal #3* → _Won_ · alice\n\nnext"
    post = render.post(text)
    read = "\n".join("".join(r["text"] for r in p) for p in post.content["zh_cn"]["content"])
    assert read == to_plain(text)
