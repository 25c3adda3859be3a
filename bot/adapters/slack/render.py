"""Reply → Block Kit: mrkdwn escaped, buttons with action_id and value, long content split at Slack's limits."""

from __future__ import annotations

import re
from typing import Any

from handlers.markup import segments, to_plain
from handlers.types import Button, Reply

MAX_SECTION = 3000  # characters of a section's text
MAX_BLOCKS = 50  # blocks of a message (a Home tab or a modal: 100)
MAX_VIEW_BLOCKS = 100
MAX_BUTTONS = 25  # elements of an actions block
MAX_FALLBACK = 3000  # the notification text beside the blocks
BUTTON_PREFIX = "crm."

# Slack mrkdwn has no backslash escape: a marker that could open or close formatting is replaced by its
# look-alike, so user text never turns bold, italic, struck or code.
_LOOKALIKE = {"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"}
_BOUNDARY_MARK = re.compile(r"(?<![^\W_])[*_~]|[*_~](?![^\W_])")  # not between two letters or digits


def escape(text: str) -> str:
    """Literal text for mrkdwn: &, <, > as entities, formatting markers neutralized."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("`", _LOOKALIKE["`"])
    return _BOUNDARY_MARK.sub(lambda m: _LOOKALIKE[m.group(0)], text)


def mrkdwn(text: str) -> str:
    """The core's Markdown subset as Slack mrkdwn."""
    out = []
    for style, s in segments(text):
        if style == "plain":
            out.append(escape(s))
            continue
        inner = s.strip()
        if not inner:
            out.append(escape(s))
            continue
        lead, trail = s[: len(s) - len(s.lstrip())], s[len(s.rstrip()):]
        mark = {"bold": "*", "italic": "_", "code": "`"}[style]
        body = escape(inner) if style != "code" else inner.replace("&", "&amp;").replace("<", "&lt;").replace(
            ">", "&gt;").replace("`", _LOOKALIKE["`"])
        out.append(f"{lead}{mark}{body}{mark}{trail}")
    return "".join(out)


def plain(text: str, limit: int = MAX_FALLBACK) -> str:
    """The text as a person reads it (notifications, plain_text fields), cut to `limit`."""
    flat = to_plain(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def split(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Mrkdwn cut into pieces of at most `limit` characters, at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = _safe_cut(line, limit)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [" "]


def _safe_cut(line: str, limit: int) -> int:
    # Never cut inside an entity like &amp; or a word when a space is near.
    cut = limit
    amp = line.rfind("&", max(0, cut - 6), cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp
    space = line.rfind(" ", cut - 200, cut)
    return space + 1 if space > 0 else cut


def button(b: Button, action_id: str) -> dict[str, Any]:
    """One button element: its label, our action_id, and the core's payload as value."""
    el: dict[str, Any] = {"type": "button", "action_id": action_id,
                          "text": {"type": "plain_text", "text": (b.label or "·")[:75], "emoji": True},
                          "value": b.action[:2000]}
    if b.style:
        el["style"] = b.style
    return el


def actions(rows: tuple[tuple[Button, ...], ...], block_prefix: str = "b") -> list[dict[str, Any]]:
    """Each row of buttons as an actions block (at most 25 buttons each)."""
    blocks = []
    n = 0
    for r, row in enumerate(rows):
        for start in range(0, len(row), MAX_BUTTONS):
            chunk = row[start:start + MAX_BUTTONS]
            elements = []
            for c, b in enumerate(chunk):
                elements.append(button(b, f"{BUTTON_PREFIX}{r}.{start + c}"))
            blocks.append({"type": "actions", "block_id": f"{block_prefix}{n}", "elements": elements})
            n += 1
    return blocks


def to_blocks(reply: Reply, block_prefix: str = "s") -> list[dict[str, Any]]:
    """All the blocks of a reply: its sections, then its buttons (may pass 50: see to_messages)."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": f"{block_prefix}{i}", "text": {"type": "mrkdwn", "text": piece}}
        for i, piece in enumerate(split(mrkdwn(reply.text)))]
    blocks.extend(actions(reply.buttons, block_prefix=f"{block_prefix}a"))
    return blocks


def to_messages(reply: Reply) -> list[dict[str, Any]]:
    """A reply as one or more chat.postMessage bodies (text + blocks), each within Slack's limits."""
    blocks = to_blocks(reply)
    chunks = [blocks[i:i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)] or [[]]
    if len(chunks) > 1 and chunks[-1][0]["type"] == "actions" and chunks[-2][-1]["type"] == "section":
        # keep the buttons with the text they belong to
        chunks[-1].insert(0, chunks[-2].pop())
    out = []
    for chunk in chunks:
        text = "\n".join(b["text"]["text"] for b in chunk if b["type"] == "section")
        if len(text) > MAX_FALLBACK:
            text = text[:_safe_cut(text, MAX_FALLBACK - 1)] + "…"
        out.append({"text": text or " ", "blocks": chunk})
    return out

