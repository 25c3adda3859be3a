"""Structured logs: one JSON line per event, ids only, secrets never written."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# Fields a log call may carry via `extra=`; anything else (message text, payloads) is not written.
LIBRARIES = ("telegram", "slack_bolt", "slack_sdk", "lark_oapi", "Lark", "aiohttp", "urllib3", "hpack", "h11",
             "uvicorn", "starlette", "sqlalchemy", "psycopg", "alembic", "websockets", "asyncio")
FIELDS = ("platform", "workspace", "chat", "user", "command", "latency_ms", "outcome", "event_id",
          "outbox_id", "reminder_id", "inbox_id", "error", "role", "count", "path", "status")


# Shapes of secrets, redacted even when not configured: Telegram and Slack tokens, Feishu's access tokens
# (t-…, a-…, u-…), a URL's password.
_SHAPES = re.compile(r"(?<!\d)\d{6,}:(?=[\w-]*[A-Za-z])[A-Za-z0-9_-]{30,}|\bx(?:ox[a-z]|app)-[A-Za-z0-9-]{10,}"
                     r"|\b[tau]-(?=[\w.-]*\d)[A-Za-z0-9_.-]{24,}|(?<=://)[^/:@\s]+:[^/@\s]+(?=@)")


def scrub(text: str) -> str:
    """The text without anything shaped like a token or a URL's credentials."""
    return _SHAPES.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object with the known fields."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(data, ensure_ascii=False, default=str))

    def redact(self, text: str) -> str:
        """The text with every configured secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return scrub(text)


def setup(level: str = "INFO", secrets: Iterable[str] = (), stream: Any = None) -> None:
    """Send every log record to stderr (or `stream`) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The platform libraries log request and response bodies at DEBUG (message text, names, phones) and the
    # database driver logs statements' values: never below INFO, whatever SALESBOT_LOG_LEVEL says.
    for library in LIBRARIES:
        logger = logging.getLogger(library)
        logger.setLevel(max(logging.INFO, logger.level))
