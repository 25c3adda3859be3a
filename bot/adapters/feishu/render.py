"""Reply → Feishu messages: rich text (post) without buttons, an interactive card with them (or when a card is
to be updated in place), long texts split within Feishu's size limits, and how an attachment travels."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from handlers.markup import segments
from handlers.types import Attachment, Button, Reply

# Feishu refuses a card or post request body over 30 KB (text: 150 KB). A message's content is a JSON string
# inside the JSON body, so it is counted escaped; the rest of the body (receive_id, msg_type, uuid) fits in
# what is left over.
MAX_CONTENT = 28_000
_FRAME = 256  # a card's or post's own structure around its text
LOCALE = "zh_cn"  # a post names its language; clients show the one there is
ACTION_KEY = "act"  # a button's value is {"act": payload}; a click brings it back in event.action.value
_STYLE = {"bold": ["bold"], "italic": ["italic"], "code": [], "plain": []}
# Card markdown has formatting markers and HTML-like tags but no escape that every client honours: a character
# that could start formatting or a tag is replaced by its look-alike, so user text shows as it was typed.
_LOOKALIKE = str.maketrans({"*": "∗", "~": "∼", "`": "ˋ", "[": "［", "]": "］", "<": "＜", ">": "＞",
                            "\\": "＼"})
_HEADING = re.compile(r"(?m)^(\s*)#")  # a line starting with # would be a heading
_FILE_TYPES = {"xls": "xls", "xlsx": "xls", "csv": "stream", "pdf": "pdf", "doc": "doc", "docx": "doc",
               "ppt": "ppt", "pptx": "ppt", "mp4": "mp4", "opus": "opus"}
_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message for im/v1/messages: its msg_type and its content (serialized when sent)."""

    msg_type: Literal["post", "interactive"]
    content: dict[str, Any]
    source: str = ""  # the marked-up text it shows (what is left to send when a later piece is refused)

    def body(self) -> str:
        """The content as the Open API wants it: a JSON string."""
        return json.dumps(self.content, ensure_ascii=False, separators=(",", ":"))


def markdown(text: str) -> str:
    """The core's Markdown subset as card markdown, user text neutralized."""
    out = []
    for style, s in segments(text):
        inner = s.strip()
        if style in ("plain", "code") or not inner:
            out.append(s.translate(_LOOKALIKE))
            continue
        lead, trail = s[: len(s) - len(s.lstrip())], s[len(s.rstrip()):]
        mark = "**" if style == "bold" else "*"
        out.append(f"{lead}{mark}{inner.translate(_LOOKALIKE)}{mark}{trail}")
    return _HEADING.sub("\\1＃", "".join(out))


def paragraphs(text: str) -> list[list[dict[str, Any]]]:
    """The text as a post's paragraphs (one a line) of styled runs; post text is literal, nothing to escape."""
    lines: list[list[dict[str, Any]]] = [[]]
    for style, s in segments(text):
        for i, part in enumerate(s.split("\n")):
            if i:
                lines.append([])
            if part:
                run: dict[str, Any] = {"tag": "text", "text": part}
                if _STYLE[style]:
                    run["style"] = _STYLE[style]
                lines[-1].append(run)
    return [line or [{"tag": "text", "text": ""}] for line in lines]


def post(text: str) -> Outgoing:
    """A rich-text message."""
    return Outgoing("post", {LOCALE: {"title": "", "content": paragraphs(text)}}, text)


def button(b: Button) -> dict[str, Any]:
    """One card button: its label, its look, and the core's payload as its value."""
    kind = {"primary": "primary", "danger": "danger"}.get(b.style or "", "default")
    return {"tag": "button", "text": {"tag": "plain_text", "content": (b.label or "·")[:75]}, "type": kind,
            "value": {ACTION_KEY: b.action}}


def card(text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> Outgoing:
    """An interactive card: the text as markdown, each row of buttons an action block. Shared with everyone
    who sees it (update_multi), which is what lets it be updated in place after a click."""
    elements: list[dict[str, Any]] = []
    if text.strip():
        elements.append({"tag": "markdown", "content": markdown(text)})
    elements.extend({"tag": "action", "actions": [button(b) for b in row]} for row in buttons if row)
    return Outgoing("interactive", {"config": {"wide_screen_mode": True, "update_multi": True},
                                    "elements": elements or [{"tag": "markdown", "content": " "}]}, text)


def size(message: Outgoing) -> int:
    """Bytes the content takes in a request body (a JSON string in JSON)."""
    return len(json.dumps(message.body(), ensure_ascii=False).encode())


def messages(reply: Reply, *, as_card: bool = False) -> list[Outgoing]:
    """A reply as one or more messages within Feishu's limits; the buttons go with the last piece.
    A card when there are buttons or `as_card` (an update in place must stay a card), else rich text."""
    pieces = split(reply.text) if reply.text.strip() else []
    if not pieces and not (reply.buttons or as_card):
        return []
    pieces = pieces or [""]
    if reply.buttons and size(card(pieces[-1], reply.buttons)) > MAX_CONTENT:
        # the buttons take room too: the last piece is cut again so that they fit beside it
        room = MAX_CONTENT - (size(card("", reply.buttons)) - size(card("")))
        pieces[-1:] = split(pieces[-1], max(room - _FRAME, MAX_CONTENT // 4))
    piece = card if as_card else post
    out = [piece(p) for p in pieces[:-1]]
    last = pieces[-1]
    out.append(card(last, reply.buttons) if reply.buttons or as_card else post(last))
    return out


def split(text: str, limit: int = MAX_CONTENT - _FRAME) -> list[str]:
    """Marked-up text cut at line ends (inside a line at a space) into pieces whose card or post fits."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for line in text.split("\n"):
        cost = _cost(line)
        while cost > limit:  # one line longer than a message: cut it
            if current:
                pieces.append("\n".join(current))
                current, used = [], 0
            cut = _cut(line, limit)
            pieces.append(line[:cut])
            line = line[cut:]
            cost = _cost(line)
        if current and used + cost > limit:
            pieces.append("\n".join(current))
            current, used = [], 0
        current.append(line)
        used += cost
    if current:
        pieces.append("\n".join(current))
    return [p for p in pieces if p.strip()] or [" "]


def _cost(line: str) -> int:
    # What the line adds to a message's escaped content, in the bigger of its two renderings: as card
    # markdown (the line and its newline), or as a post paragraph (each run with its braces and keys).
    as_card = _escaped(markdown(line)) + 4
    as_post = 8 + sum(_escaped(s) + (64 if style in ("bold", "italic") else 40) for style, s in segments(line))
    return max(as_card, as_post)


def _escaped(text: str) -> int:
    return len(json.dumps(json.dumps(text, ensure_ascii=False), ensure_ascii=False).encode()) - 6


def _cut(line: str, limit: int) -> int:
    lo, hi = 1, len(line)
    while lo < hi:  # the longest prefix that fits
        mid = (lo + hi + 1) // 2
        if _cost(line[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    space = line.rfind(" ", max(1, lo - 200), lo)
    cut = space + 1 if space > 0 else lo
    while cut > 1 and line[cut - 1] == "\\":  # never leave an escape without the character it escapes
        cut -= 1
    return cut


def is_image(att: Attachment) -> bool:
    """Whether an attachment goes as an image message (a chart) rather than as a file."""
    return att.mime.lower() in _IMAGES


def file_type(att: Attachment) -> str:
    """Feishu's file_type for an upload: xls, pdf, doc, ppt, mp4, opus, or stream for anything else."""
    ext = att.name.rsplit(".", 1)[-1].lower() if "." in att.name else ""
    return _FILE_TYPES.get(ext, "stream")


def image_content(image_key: str) -> str:
    """The content of an image message."""
    return json.dumps({"image_key": image_key})


def file_content(file_key: str) -> str:
    """The content of a file message."""
    return json.dumps({"file_key": file_key})
