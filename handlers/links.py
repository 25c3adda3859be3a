"""What a posted message stands for: an approval request is the key "ap:N" wherever it was posted (a DM, a
deal thread, a card), so that deciding it anywhere updates every copy (storage/threads.py keeps the links)."""

from __future__ import annotations

import re

from handlers.types import Reply

_APPROVAL = re.compile(r"^ap\.(?:ok|no):(\d+)$")


def approval_key(action: str) -> str | None:
    """The key of an approval button's payload ("ap.ok:12" → "ap:12"), or None for any other payload."""
    m = _APPROVAL.match(action)
    return f"ap:{m.group(1)}" if m else None


def keys_of(reply: Reply) -> set[str]:
    """The keys a message stands for: one per approval its buttons decide."""
    return {k for row in reply.buttons for b in row if (k := approval_key(b.action))}
