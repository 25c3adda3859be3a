"""The Slack adapter in the process: configuration, `salesbot run` discovery, the outbox sender, the manifest."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.adapters.slack.app import COMMAND
from bot.adapters.slack.views import CUSTOMER_PICKER, DEAL_PICKER
from bot.config import Config
from bot.delivery import deliver_due_async
from bot.run import discover
from handlers.context import Settings
from handlers.core import Core
from handlers.outbox import reply_to_json
from handlers.types import Reply
from storage.models import Outbox
from tests.conftest import ROOT, FakeClock
from tests.standins.slack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, TEAM, SlackAPI, SlackSide, dm_of

MANIFEST = ROOT / "slack" / "manifest.yml"


def _config(monkeypatch: pytest.MonkeyPatch, api: SlackAPI, engine: Engine) -> Config:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_BASE_URL", api.api_url)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return Config(_env_file=None)  # type: ignore[call-arg]


async def test_run_discovers_socket_mode_and_a_sender_that_works_without_it(
        engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.adapters.slack import app

    api = SlackAPI()
    await api.start()
    api.add_user("U0ALICE", "alice")
    try:
        cfg = _config(monkeypatch, api, engine)
        assert cfg.slack_api_base_url == api.api_url and cfg.slack_app_token is None
        core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
        adapters, senders = discover(cfg, core)
        # over HTTP the process's web server serves the listeners (bot/roles.py): no listener of its own
        assert "slack" in senders and all(a.name != "slack" for a in adapters)
        with Session(engine) as s:
            s.add(Outbox(platform="slack", workspace=TEAM, chat="U0ALICE", payload=reply_to_json(Reply("*hi*")),
                         next_attempt_at=clock(), created_at=clock()))
            s.commit()
        # `salesbot clock --once`: no adapter running, the sender still delivers
        assert await deliver_due_async(engine, {"slack": senders["slack"]}, clock()) == 1
        assert api.last(dm_of("U0ALICE")).mrkdwn() == "*hi*"
        monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
        adapters, _ = discover(Config(_env_file=None), core)  # type: ignore[call-arg]
        slack_adapter = next(a for a in adapters if a.name == "slack")
        await slack_adapter.start()
        try:
            assert app._current is not None and app._current.socket is not None
            command = dict(parse_qsl(SlackSide(api, "unused").slash_body("U0ALICE", "help")))
            envelope, _ = await api.push("slash_commands", command)
            await api.acked(envelope)
            await app._current.drain()
            assert api.responses[-1]["response_type"] == "ephemeral"  # a stranger's answer, over response_url
        finally:
            await slack_adapter.stop()
        assert app._current is None
        with Session(engine) as s:
            assert s.exec(select(Outbox)).one().status == "sent"
    finally:
        await api.stop()


def test_without_a_token_there_is_no_slack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    cfg = Config(_env_file=None)  # type: ignore[call-arg]
    adapters, senders = discover(cfg, None)
    assert "slack" not in senders and all(a.name != "slack" for a in adapters)


def test_the_manifest_declares_what_the_app_listens_to() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert re.search(rf"command: {COMMAND}\b", text) and "should_escape: true" in text
    assert "callback_id: log_visit" in text and "type: message" in text
    for event in ("app_home_opened", "app_mention", "message.im"):
        assert f"- {event}" in text
    for scope in ("chat:write", "commands", "im:history", "im:write", "users:read", "files:write", "files:read",
                  "app_mentions:read"):
        assert f"- {scope}" in text
    assert text.count("/slack/events") == 4 and "home_tab_enabled: true" in text
    assert CUSTOMER_PICKER and DEAL_PICKER and "message_menu_options_url" in text


async def test_the_standin_answers_with_slacks_error_shapes() -> None:
    from slack_sdk.errors import SlackApiError

    from bot.adapters.slack.app import make_client

    api = SlackAPI()
    await api.start()
    api.add_user("U0ALICE", "alice")
    api.add_channel("C0QUIET", "quiet", bot_member=False)
    client = make_client(BOT_TOKEN, api.api_url)
    client.retry_handlers.clear()

    async def error(**kw: object) -> tuple[int, str]:
        try:
            await client.chat_postMessage(**kw)  # type: ignore[arg-type]
        except SlackApiError as err:
            return err.response.status_code, str(err.response["error"])
        raise AssertionError("no error")

    try:
        section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
        assert await error(channel="U0ALICE", text="x" * 40_001) == (200, "msg_too_long")
        assert await error(channel="U0ALICE", text="x", blocks=[section] * 51) == (200, "invalid_blocks")
        long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
        assert await error(channel="U0ALICE", text="x", blocks=[long_section]) == (200, "invalid_blocks")
        assert await error(channel="C0NOWHERE", text="x") == (200, "channel_not_found")
        assert await error(channel="C0QUIET", text="x") == (200, "not_in_channel")
        api.rate_limit("chat.postMessage", 7)
        assert await error(channel="U0ALICE", text="x") == (429, "ratelimited")
        assert api.calls[-1][1]["channel"] == "U0ALICE"
        bad = make_client("xoxb-wrong", api.api_url)
        try:
            await bad.auth_test()
        except SlackApiError as err:
            assert err.response["error"] == "invalid_auth"
        ok = await client.chat_postMessage(channel="U0ALICE", text="hi")
        assert ok["ok"] and ok["channel"] == dm_of("U0ALICE") and ok["message"]["text"] == "hi"
        # the query string and the body are both read
        info = await client.api_call("users.info", http_verb="GET", params={"user": "U0ALICE"})
        assert info["user"]["name"] == "alice"
    finally:
        await api.stop()
