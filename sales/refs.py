"""Record numbers as people type them (#12, 12)."""

from __future__ import annotations

MAX_ID = 2**31 - 1


def as_id(text: str) -> int | None:
    """The record number `text` names, or None when it is not a plausible one."""
    t = text.strip().lstrip("#")
    if not (t.isascii() and t.isdigit()) or len(t) > 10:
        return None
    n = int(t)
    return n if 0 < n <= MAX_ID else None
