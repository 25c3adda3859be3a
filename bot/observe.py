"""What every turn leaves behind: one JSON log line and the Prometheus counters."""

from __future__ import annotations

import logging

from bot import metrics
from handlers.types import Incoming

log = logging.getLogger("salesbot.turn")


def observe(incoming: Incoming, command: str, seconds: float, outcome: str) -> None:
    """Log and count one handled message or click (ids only, never its text)."""
    platform = incoming.chat.platform
    metrics.MESSAGES.labels(platform=platform, command=command).inc()
    metrics.LATENCY.labels(platform=platform).observe(seconds)
    metrics.OUTCOMES.labels(platform=platform, outcome=outcome).inc()
    if outcome in ("error", "unavailable"):
        metrics.ERRORS.labels(platform=platform).inc()
    log.info("handled", extra={"platform": platform, "workspace": incoming.chat.workspace,
                               "chat": incoming.chat.chat, "user": incoming.user, "command": command,
                               "latency_ms": round(seconds * 1000, 1), "outcome": outcome,
                               "event_id": incoming.event_id})
