"""Prometheus metrics of the process, served at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()
MESSAGES = Counter("salesbot_messages_total", "Inbound messages and clicks handled", ["platform", "command"],
                   registry=REGISTRY)
LATENCY = Histogram("salesbot_handle_seconds", "Time to handle one inbound message", ["platform"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=REGISTRY)
ERRORS = Counter("salesbot_errors_total", "Turns that failed", ["platform"], registry=REGISTRY)
OUTCOMES = Counter("salesbot_turns_total", "Turns by outcome: ok, error, repeat, unavailable, limited (rate limit)",
                   ["platform", "outcome"], registry=REGISTRY)
OUTBOX_SENT = Counter("salesbot_outbox_sent_total", "Outbox messages delivered", registry=REGISTRY)
OUTBOX_FAILED = Counter("salesbot_outbox_failed_total",
                        "Outbox messages given up on: refused for good or out of attempts", registry=REGISTRY)
OUTBOX_BACKLOG = Gauge("salesbot_outbox_backlog", "Outbox messages waiting", registry=REGISTRY)
REMINDERS_DUE = Gauge("salesbot_reminders_due", "Reminders due and not yet claimed", registry=REGISTRY)
REMINDERS_CLAIMED = Counter("salesbot_reminders_claimed_total", "Reminders claimed by this process",
                            registry=REGISTRY)


def render() -> bytes:
    """The metrics in Prometheus' text format."""
    return generate_latest(REGISTRY)
