"""The Feishu (Lark) adapter: parse (events → Incoming), render (Reply → post and card messages), api (the Open
API through lark-oapi), app (turns, answers, the outbox sender), events (the long connection, the HTTP
callback). `salesbot run` finds it through make_adapter and make_sender; lark-oapi is imported only when
FEISHU_APP_ID and FEISHU_APP_SECRET are set."""

from __future__ import annotations

from typing import Any


def make_adapter(cfg: Any, core: Any) -> Any:
    """The Feishu listener for `salesbot run` (the long connection, or taking the web app's callbacks), or
    None when FEISHU_APP_ID and FEISHU_APP_SECRET are not set."""
    if not getattr(cfg, "feishu_on", False) or core is None:
        return None
    from bot.adapters.feishu import app, events

    return events.adapter(app.from_config(cfg, core), cfg)


def make_sender(cfg: Any) -> Any:
    """The outbox sender for Feishu, or None when it is not configured."""
    if not getattr(cfg, "feishu_on", False):
        return None
    from bot.adapters.feishu import app

    return app.sender(cfg)
