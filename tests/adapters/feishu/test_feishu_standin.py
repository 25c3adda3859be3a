"""The Feishu stand-in speaks as lark-oapi expects: its answers and events read through the SDK's own models,
its callbacks pass the SDK's own decryption and signature check, its frames are the SDK's pbbp2 classes."""

from __future__ import annotations

import asyncio
import json
import time

import lark_oapi as lark
from lark_oapi.api.contact.v3 import GetUserRequest
from lark_oapi.api.im.v1 import (
    CreateMessageRequest,
    CreateMessageRequestBody,
    GetChatRequest,
    P2ImMessageReceiveV1,
    ReplyMessageRequest,
    ReplyMessageRequestBody,
)
from lark_oapi.core.token import TokenManager
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTrigger

from tests.standins.feishu import APP_ID, APP_SECRET, ENCRYPT_KEY, VERIFICATION_TOKEN, encrypt, p2p_of, sign
from tests.standins.feishu_run import standing


async def test_answers_read_through_the_sdks_models() -> None:
    async with standing() as api:
        alice = api.person("alice")
        client = lark.Client.builder().app_id(APP_ID).app_secret(APP_SECRET).domain(api.url).build()
        # the SDK fetches its token with a blocking call: not on this loop, which serves the stand-in
        await asyncio.to_thread(TokenManager.get_self_tenant_token, client.config)
        body = CreateMessageRequestBody.builder().receive_id(alice.open_id).msg_type("post").content(
            json.dumps({"zh_cn": {"title": "", "content": [[{"tag": "text", "text": "hi"}]]}})).build()
        sent = await client.im.v1.message.acreate(
            CreateMessageRequest.builder().receive_id_type("open_id").request_body(body).build())
        assert sent.success() and sent.data.message_id.startswith("om_") and sent.data.chat_id == p2p_of(alice.open_id)
        assert sent.data.sender.sender_type == "app" and sent.data.msg_type == "post"
        answer = ReplyMessageRequestBody.builder().msg_type("post").content(body.content).reply_in_thread(True).build()
        reply = await client.im.v1.message.areply(
            ReplyMessageRequest.builder().message_id(sent.data.message_id).request_body(answer).build())
        assert reply.data.root_id == sent.data.message_id and reply.data.thread_id.startswith("omt_")
        user = await client.contact.v3.user.aget(GetUserRequest.builder().user_id(alice.open_id)
                                                 .user_id_type("open_id").build())
        assert user.data.user.name == "alice" and user.data.user.notification_option.language == "zh-CN"
        chat = await client.im.v1.chat.aget(GetChatRequest.builder().chat_id(p2p_of(alice.open_id)).build())
        assert chat.data.chat_mode == "p2p"
        refused = await client.im.v1.message.acreate(CreateMessageRequest.builder().receive_id_type("chat_id")
                                                     .request_body(body).build())
        assert refused.code == 230002 and refused.raw.status_code == 400 and not refused.success()


async def test_events_read_through_the_sdks_models_and_pass_its_checks() -> None:
    async with standing() as api:
        alice = api.person("alice")
        said = api.message(alice, "/today", chat=None, mention=False)
        event = P2ImMessageReceiveV1(said)
        assert event.event.message.chat_type == "p2p" and event.event.sender.sender_id.open_id == alice.open_id
        card = api._store(p2p_of(alice.open_id), {"msg_type": "interactive", "content": json.dumps(
            {"config": {"update_multi": True}, "elements": [{"tag": "action", "actions": [
                {"tag": "button", "text": {"tag": "plain_text", "content": "OK"}, "type": "primary",
                 "value": {"act": "say:/today"}}]}]})}, "send")
        click = P2CardActionTrigger(api.click(alice, card["message_id"], "OK"))
        assert click.event.action.value == {"act": "say:/today"}
        assert click.event.context.open_message_id == card["message_id"]

        seen: list[object] = []
        handler = (lark.EventDispatcherHandler.builder(ENCRYPT_KEY, VERIFICATION_TOKEN)
                   .register_p2_im_message_receive_v1(seen.append).build())
        raw = json.dumps({"encrypt": encrypt(json.dumps(said), ENCRYPT_KEY)}).encode()
        stamp, nonce = str(int(time.time())), "n0nce"
        request = lark.RawRequest()
        request.body = raw
        request.headers = {"X-Lark-Request-Timestamp": stamp, "X-Lark-Request-Nonce": nonce,
                           "X-Lark-Signature": sign(stamp, nonce, ENCRYPT_KEY, raw)}
        assert handler.do(request).status_code == 200 and len(seen) == 1
        request.headers["X-Lark-Signature"] = sign(stamp, nonce, "another key", raw)
        assert handler.do(request).status_code == 500 and len(seen) == 1, "the SDK refuses a bad signature too"
