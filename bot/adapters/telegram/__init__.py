"""The Telegram adapter: parse (Update → Incoming), render (Reply → Bot API calls), app (wiring, polling,
the webhook's handling behind bot/web.py, the outbox sender). `salesbot run` finds it through make_adapter and
make_sender."""

from __future__ import annotations

from typing import Any


def make_adapter(cfg: Any, core: Any) -> Any:
    """The long-polling Telegram listener for `salesbot run`, or None when TELEGRAM_BOT_TOKEN is not set or
    TELEGRAM_WEBHOOK_URL is (the webhook is served by the process's web server, bot/web.py)."""
    if not getattr(cfg, "telegram_token", None) or getattr(cfg, "telegram_webhook_url", None):
        return None
    from bot.adapters.telegram import app
    from bot.run import Adapter

    bot = app.from_config(cfg, core)
    return Adapter(name="telegram", start=bot.start_polling, stop=bot.stop)


def make_sender(cfg: Any) -> Any:
    """The outbox sender for Telegram, or None when TELEGRAM_BOT_TOKEN is not set."""
    if not getattr(cfg, "telegram_token", None):
        return None
    from bot.adapters.telegram import app

    return app.sender(cfg)
