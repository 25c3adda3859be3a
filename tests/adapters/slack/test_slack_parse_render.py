"""The pure edges of the Slack adapter: recorded payloads → Incoming, and Reply → Block Kit within limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.adapters.slack import parse, render, views
from bot.adapters.slack.parse import ParseError
from handlers.markup import esc
from handlers.types import Button, Reply
from tests.conftest import FIXTURES as TEST_FIXTURES

FIXTURES = TEST_FIXTURES / "slack"
COMMANDS = {"visit", "call", "advance", "help", "deal"}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_a_slash_command_becomes_the_core_command_and_a_channel_reference() -> None:
    p = parse.slash(load("slash_command"), COMMANDS)
    assert p.incoming is not None
    assert p.incoming.text == "/config deals-channel #C0DEALS|sales-deals & more"
    assert p.incoming.chat.chat == "C0GENERAL" and p.incoming.chat.workspace == "T0STANDIN"
    assert p.incoming.private is False and p.incoming.user == "U0ALICE"
    assert p.incoming.event_id == "cmd:13345224609.738474920.8088930838d88f008e0"
    assert p.response_url and p.kind == "command"
    bare = parse.slash({**load("slash_command"), "text": "", "channel_id": "D0ALICE",
                        "channel_name": "directmessage"}, COMMANDS)
    assert bare.incoming is not None and bare.incoming.text == "/help" and bare.incoming.private


def test_a_click_carries_the_core_payload_and_where_the_message_is() -> None:
    p = parse.action(load("block_actions"))
    assert p.incoming is not None and p.incoming.action == "ap.ok:7" and p.incoming.text == ""
    assert p.channel == "C0DEALS" and p.message_ts == "1790000012.000012" and p.thread_ts == "1790000005.000005"
    assert p.incoming.chat.thread == "1790000005.000005" and not p.incoming.private and not p.ephemeral
    assert p.incoming.event_id == "act:1234567.890.abcdef"


def test_a_modal_submission_gives_its_values() -> None:
    p = parse.submission(load("view_submission"))
    values = p.extra["values"]
    assert p.extra["callback_id"] == views.VISIT and p.extra["meta"] == {"channel": "C0GENERAL"}
    assert parse.value_of(values, "customer", "customer") == "201"
    assert parse.value_of(values, "followup", "date") == "2026-11-25"
    assert parse.value_of(values, "text", "text") == "见了张总，要50台报价"
    assert parse.value_of(values, "missing", "x") == ""


def test_dm_text_without_a_slash_is_the_command_and_entities_are_decoded() -> None:
    p = parse.event(load("message_im"), COMMANDS)
    assert p.kind == "message" and p.incoming is not None
    assert p.incoming.text == "/visit 华东精密 见了张总 <重要> 下周三再跟进"
    assert p.incoming.event_id == "ev:Ev0MESSAGE01" and p.incoming.private
    free = parse.event({**load("message_im"), "event": {**load("message_im")["event"], "text": "见了华东的张总"}},
                       COMMANDS)
    assert free.incoming is not None and free.incoming.text == "见了华东的张总"


def test_a_mention_loses_the_bot_and_answers_in_its_thread() -> None:
    p = parse.event(load("app_mention"), COMMANDS, bot_user="U0SALESBOT")
    assert p.kind == "mention" and p.incoming is not None
    assert p.incoming.text == "/advance 12 qualified zhang@huadong.cn"
    assert p.thread_ts == "1790000005.000005" and not p.incoming.private


def test_a_file_share_names_the_file_to_download() -> None:
    p = parse.event(load("file_share"), COMMANDS)
    assert p.file is not None and p.file.name == "customers.csv" and p.file.mime == "text/csv"
    assert p.file.url.endswith("/download/customers.csv") and p.file.size == 58


def test_the_shortcut_and_home_and_ignored_events() -> None:
    s = parse.shortcut(load("message_action"))
    assert s.extra["callback_id"] == "log_visit" and s.extra["text"] == "客户 @U0ALICE 说下周再谈"
    home = parse.event(load("app_home_opened"), COMMANDS)
    assert home.kind == "home" and home.user == "U0ALICE"
    bot = load("message_im")
    bot["event"]["bot_id"] = "B0SALESBOT"
    assert parse.event(bot, COMMANDS).kind == "ignore"
    channel = load("message_im")
    channel["event"].update(channel="C0GENERAL", channel_type="channel")
    assert parse.event(channel, COMMANDS).kind == "ignore"


@pytest.mark.parametrize("broken", [
    {"event": {"type": "message", "channel": "D1", "channel_type": "im", "user": 5, "text": "x", "ts": "1"}},
    {"event": {"type": "app_mention", "channel": "C1", "user": "U1", "text": ["x"], "ts": "1"}},
    {"event": "message"},
    {"event_id": None},
])
def test_wrong_types_in_an_event_are_refused(broken: dict[str, Any]) -> None:
    body = {**load("message_im"), **broken}
    with pytest.raises(ParseError):
        parse.check(body)


def test_http_bodies_that_slack_never_sends_are_refused() -> None:
    for raw, ctype in [("payload=%7Bx", "application/x-www-form-urlencoded"), ("[1]", "application/json"),
                       ("payload=" + json.dumps({"type": "view_submission", "user": {"id": "U"}}),
                        "application/x-www-form-urlencoded"),
                       ("command=/crm&team_id=T", "application/x-www-form-urlencoded")]:
        with pytest.raises(ParseError):
            parse.body_from_http(raw, ctype)
    ok = parse.body_from_http(json.dumps(load("message_im")), "application/json")
    assert ok["event_id"] == "Ev0MESSAGE01"


def _validate(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= render.MAX_BLOCKS
    for b in blocks:
        parsed = Block.parse(b)
        assert parsed is not None
        parsed.to_dict()  # slack_sdk's validation: lengths and required fields
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= render.MAX_SECTION


def test_markup_becomes_escaped_mrkdwn() -> None:
    text = "*#3 " + esc("<b> & co") + "* " + esc("*not bold* _x_") + " · `code` _it_ zhang_san"
    got = render.mrkdwn(text)
    assert got.startswith("*#3 &lt;b&gt; &amp; co* ∗not bold∗ ˍxˍ")
    assert "`code`" in got and "_it_" in got and "zhang_san" in got
    assert "<" not in got and ">" not in got


def test_buttons_carry_an_action_id_and_the_core_payload() -> None:
    reply = Reply(text="Approve?", buttons=((Button("批准", "ap.ok:12", "primary"), Button("拒绝", "ap.no:12", "danger")),
                                            (Button("x" * 100, "say:/deal 3"),)))
    body = render.to_messages(reply)
    assert len(body) == 1
    blocks = body[0]["blocks"]
    _validate(blocks)
    first, second = (b for b in blocks if b["type"] == "actions")
    assert [(e["action_id"], e["value"], e.get("style")) for e in first["elements"]] == [
        ("crm.0.0", "ap.ok:12", "primary"), ("crm.0.1", "ap.no:12", "danger")]
    assert len(second["elements"][0]["text"]["text"]) == 75


def test_long_content_is_split_at_3000_characters_and_50_blocks() -> None:
    line = esc("客户 & <公司> ") * 40
    reply = Reply(text="\n".join(f"{i}. {line}" for i in range(400)), buttons=((Button("Done", "fu.done:1"),),))
    messages = render.to_messages(reply)
    assert len(messages) > 1
    for m in messages:
        _validate(m["blocks"])
        assert len(m["text"]) <= render.MAX_FALLBACK
    assert messages[-1]["blocks"][-1]["type"] == "actions"
    joined = "\n".join(b["text"]["text"] for m in messages for b in m["blocks"] if b["type"] == "section")
    assert joined.count("&amp;") == 400 * 40 and "&amp" not in joined.replace("&amp;", "")
    one_line = render.split("x" * 7000)
    assert [len(p) for p in one_line] == [3000, 3000, 1000]


def test_views_validate_with_slack_sdk() -> None:
    from slack_sdk.models.views import View

    View(**views.visit_modal("zh", text="x" * 5000, kind="call")).to_dict()
    View(**views.quote_modal("en")).to_dict()
    replies = [Reply(text=f"follow-up {i}", buttons=((Button("Done", f"fu.done:{i}"),),)) for i in range(80)]
    home = views.home_view("en", [("Today", replies), ("Approvals", [Reply(text="none")])], can_log=True,
                           can_quote=True)
    assert len(home["blocks"]) <= 100
    View(**home).to_dict()
