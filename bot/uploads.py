"""Files the adapters refuse before downloading them: the answer, in the words of the core."""

from __future__ import annotations

from handlers.door import too_large_text
from handlers.types import Reply


def too_large(limit: int, lang: str) -> Reply:
    """The answer to a file over `limit` bytes: the text of the core's own check (handlers.door.gate)."""
    return Reply(text=too_large_text(limit, lang))
