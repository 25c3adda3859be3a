"""The Slack adapter: parse (payloads → Incoming), render (Reply → Block Kit), app (Bolt listeners, embedded
in bot/web.py over HTTP or in Socket Mode), adapter (turns and sending), surfaces and views (modals, App Home).

`bot.run` finds `make_adapter` and `make_sender` here.
"""

from __future__ import annotations

from typing import Any


def make_adapter(cfg: Any, core: Any) -> Any:
    """The Socket Mode listener for `salesbot run`, or None without SLACK_BOT_TOKEN and SLACK_APP_TOKEN (over
    HTTP the process's web server, bot/web.py, serves the listeners)."""
    if not getattr(cfg, "slack_bot_token", None) or not getattr(cfg, "slack_app_token", None):
        return None
    from bot.adapters.slack import app
    from bot.run import Adapter

    async def start() -> None:
        await app.start(core, cfg)

    return Adapter(name="slack", start=start, stop=app.stop)


def make_sender(cfg: Any) -> Any:
    """The outbox sender for Slack, or None when SLACK_BOT_TOKEN is not set."""
    if not getattr(cfg, "slack_bot_token", None):
        return None
    from bot.adapters.slack import app

    return app.sender(cfg)
