"""The stand-in answers as the Bot API does: its results parse with PTB's own models, and its errors come with
Telegram's status codes and descriptions, which PTB turns into its own exceptions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot, File, Message, Update
from telegram import error as tg

from tests.standins.telegram import BotApiStandIn, standing


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    async with standing() as stand_in:
        stand_in.user(7001, "alice")
        stand_in.started.add(7001)
        yield stand_in


async def call(api: BotApiStandIn, method: str, *, token: str | None = None, form: Any = None,
               body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        url = f"{api.url}/bot{token or api.token}/{method}"
        async with http.post(url, data=form, json=body) as resp:
            return resp.status, await resp.json()


async def test_answers_parse_with_ptbs_own_models(api: BotApiStandIn) -> None:
    keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "noop"}]]}
    status, got = await call(api, "sendMessage", form={  # form-encoded, as PTB sends it
        "chat_id": "7001", "text": "<b>华东</b> &amp; 🎉 <code>x&lt;y</code>", "parse_mode": "HTML",
        "reply_markup": json.dumps(keyboard)})
    assert status == 200 and got["ok"] is True
    msg = Message.de_json(got["result"], None)
    assert msg.text == "华东 & 🎉 x<y" and msg.chat.id == 7001 and msg.from_user and msg.from_user.is_bot
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [("bold", 0, 2), ("code", 8, 3)]
    assert msg.reply_markup and msg.reply_markup.inline_keyboard[0][0].callback_data == "noop"
    assert msg.text_html == "<b>华东</b> &amp; 🎉 <code>x&lt;y</code>"

    status, got = await call(api, "editMessageText", body={  # JSON, as other clients send it
        "chat_id": 7001, "message_id": msg.message_id, "text": "done"})
    edited = Message.de_json(got["result"], None)
    assert edited.text == "done" and edited.edit_date is not None and edited.reply_markup is None

    form = aiohttp.FormData()
    form.add_field("chat_id", "7001")
    form.add_field("caption", "export")
    form.add_field("document", b"id,title\n", filename="deals.csv", content_type="text/csv")
    status, got = await call(api, "sendDocument", form=form)  # multipart
    doc = Message.de_json(got["result"], None).document
    assert status == 200 and doc and doc.file_name == "deals.csv" and doc.file_size == 9

    status, got = await call(api, "getFile", body={"file_id": doc.file_id})
    f = File.de_json(got["result"], None)
    async with aiohttp.ClientSession() as http, http.get(f"{api.url}/file/bot{api.token}/{f.file_path}") as resp:
        assert await resp.read() == b"id,title\n"

    uid = await api.push(api.message(api.user(7001, "alice"), "/today"))
    status, got = await call(api, "getUpdates", body={"timeout": 0})
    (update,) = [Update.de_json(u, None) for u in got["result"]]
    assert update.update_id == uid and update.message and update.message.text == "/today"
    assert update.message.entities[0].type == "bot_command"


ERRORS = [
    ("sendMessage", {"chat_id": 7001, "text": "x" * 4097}, 400, "Bad Request: message is too long"),
    ("sendMessage", {"chat_id": 7001, "text": "🎉" * 2049}, 400, "Bad Request: message is too long"),
    ("sendMessage", {"chat_id": 7001, "text": "  "}, 400, "Bad Request: message text is empty"),
    ("sendMessage", {"chat_id": 7001, "text": "a < b", "parse_mode": "HTML"}, 400,
     "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2"),
    ("sendMessage", {"chat_id": 7001, "text": "ok", "reply_markup": {"inline_keyboard": [[
        {"text": "x", "callback_data": "y" * 65}]]}}, 400, "Bad Request: BUTTON_DATA_INVALID"),
    ("sendMessage", {"chat_id": 12345, "text": "hi"}, 400, "Bad Request: chat not found"),
    ("sendMessage", {"chat_id": 7002, "text": "hi"}, 403, "Forbidden: bot can't initiate conversation with a user"),
    ("sendMessage", {"chat_id": 7003, "text": "hi"}, 403, "Forbidden: bot was blocked by the user"),
    ("answerCallbackQuery", {"callback_query_id": "123"}, 400,
     "Bad Request: query is too old and response timeout expired or query ID is invalid"),
    ("editMessageText", {"chat_id": 7001, "message_id": 999, "text": "x"}, 400,
     "Bad Request: message to edit not found"),
]


@pytest.mark.parametrize(("method", "params", "status", "description"), ERRORS)
async def test_errors_come_with_telegrams_status_and_words(api: BotApiStandIn, method: str,
                                                           params: dict[str, Any], status: int,
                                                           description: str) -> None:
    api.user(7002, "never_started")
    api.user(7003, "blocker")
    api.started.add(7003)
    api.blocked.add(7003)
    got_status, got = await call(api, method, body=params)
    assert (got_status, got) == (status, {"ok": False, "error_code": status, "description": description})


async def test_not_modified_429_unauthorized_and_conflict(api: BotApiStandIn) -> None:
    _, sent = await call(api, "sendMessage", body={"chat_id": 7001, "text": "same"})
    status, got = await call(api, "editMessageText", body={"chat_id": 7001, "message_id": sent["result"]["message_id"],
                                                           "text": "same"})
    assert status == 400 and got["description"].startswith("Bad Request: message is not modified")
    api.limits["chat"] = (1, 60)
    await call(api, "sendMessage", body={"chat_id": 7001, "text": "one"})
    status, got = await call(api, "sendMessage", body={"chat_id": 7001, "text": "two"})
    assert status == 429 and got["parameters"] == {"retry_after": 1} and got["error_code"] == 429
    status, got = await call(api, "getMe", token="1:wrong")
    assert (status, got["description"]) == (401, "Unauthorized")
    await call(api, "setWebhook", body={"url": "https://example.invalid/hook", "secret_token": "abc"})
    status, got = await call(api, "getUpdates", body={})
    assert status == 409 and got["description"].startswith("Conflict: can't use getUpdates method while webhook")


async def test_ptb_raises_its_own_exceptions_from_the_stand_ins_errors(api: BotApiStandIn) -> None:
    api.user(7003, "blocker")
    api.started.add(7003)
    api.blocked.add(7003)
    api.limits["chat"] = (1, 60)
    async with Bot(api.token, base_url=f"{api.url}/bot{{token}}") as bot:
        assert bot.username == "salesbot_test_bot"
        with pytest.raises(tg.BadRequest, match="Message is too long"):
            await bot.send_message(7001, "x" * 5000)
        with pytest.raises(tg.Forbidden, match="bot was blocked by the user"):
            await bot.send_message(7003, "hi")
        await bot.send_message(7001, "first")
        with pytest.raises(tg.RetryAfter):
            await bot.send_message(7001, "second")
