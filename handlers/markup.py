"""The small Markdown subset of Reply.text: *bold*, _italic_, `code`, backslash escapes."""

from __future__ import annotations

import re
from typing import Literal

Style = Literal["plain", "bold", "italic", "code"]
_SPECIAL = re.compile(r"([\\*_`\[\]])")
_TOKEN = re.compile(r"\\(.)|\*([^*\n]+)\*|_([^_\n]+)_|`([^`\n]+)`", re.S)


def esc(text: object) -> str:
    """User-supplied text made literal inside a Reply."""
    return _SPECIAL.sub(r"\\\1", str(text))


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def segments(text: str) -> list[tuple[Style, str]]:
    """Split marked-up text into styled runs of literal text."""
    out: list[tuple[Style, str]] = []
    pos = 0

    def plain(s: str) -> None:
        if s:
            if out and out[-1][0] == "plain":
                out[-1] = ("plain", out[-1][1] + s)
            else:
                out.append(("plain", s))

    for m in _TOKEN.finditer(text):
        plain(text[pos:m.start()])
        pos = m.end()
        if m.group(1) is not None:
            plain(m.group(1))
        elif m.group(2) is not None:
            out.append(("bold", _unescape(m.group(2))))
        elif m.group(3) is not None:
            out.append(("italic", _unescape(m.group(3))))
        else:
            out.append(("code", m.group(4)))
    plain(text[pos:])
    return out


def to_plain(text: str) -> str:
    """The text as a person reads it, without markup."""
    return "".join(s for _, s in segments(text))
