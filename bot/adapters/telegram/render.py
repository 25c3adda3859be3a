"""Reply → the Bot API calls that show it: HTML with everything escaped, inline keyboards, 4096-character parts."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode

from handlers.markup import Style, segments
from handlers.types import Reply

log = logging.getLogger("salesbot.telegram")
TEXT_LIMIT = 4096  # characters of a message's text after entity parsing (counted in UTF-16 units)
CAPTION_LIMIT = 1024
CALLBACK_LIMIT = 64  # bytes of callback_data
PHOTO_LIMIT = 10 * 1024 * 1024
_TAGS: dict[Style, tuple[str, str]] = {"plain": ("", ""), "bold": ("<b>", "</b>"), "italic": ("<i>", "</i>"),
                                       "code": ("<code>", "</code>")}
Part = list[tuple[Style, str]]


@dataclass(frozen=True)
class Call:
    """One Bot API call: the name of the telegram.Bot method and its keyword arguments."""

    method: str  # send_message | edit_message_text | send_photo | send_document
    kwargs: dict[str, Any] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def html_of(part: Part) -> str:
    """Styled runs as Telegram HTML, every run's text escaped."""
    out = []
    for style, text in part:
        start, end = _TAGS[style]
        out.append(f"{start}{html.escape(text, quote=False)}{end}")
    return "".join(out)


def _fit(text: str, room: int) -> int:
    """How many characters of `text` fit in `room` UTF-16 units, cut after a space when there is one."""
    used, k = 0, 0
    for ch in text:
        w = 2 if ord(ch) > 0xFFFF else 1
        if used + w > room:
            break
        used += w
        k += 1
    if k < len(text):
        space = text.rfind(" ", 0, k)
        if space > 0:
            return space + 1
    return k


def _lines(text: str) -> list[Part]:
    """The styled runs of each line (markup never spans lines, so a line end is a safe cut)."""
    lines: list[Part] = [[]]
    for style, run in segments(text):
        for k, piece in enumerate(run.split("\n")):
            if k:
                lines.append([])
            if piece:
                lines[-1].append((style, piece))
    return lines


def split(text: str, limit: int = TEXT_LIMIT) -> list[Part]:
    """Markup text cut into parts whose visible text fits `limit`, at line ends where possible."""
    parts: list[Part] = []
    cur: Part = []
    size = 0

    def flush() -> None:
        nonlocal cur, size
        if "".join(s for _, s in cur).strip():
            parts.append(cur)
        cur, size = [], 0

    for segs in _lines(text):
        width = sum(utf16_len(s) for _, s in segs)
        if cur and size + 1 + width <= limit:
            cur.append(("plain", "\n"))
            cur.extend(segs)
            size += 1 + width
            continue
        if cur:
            flush()
        for style, s in segs:
            while s:
                room = limit - size
                if utf16_len(s) <= room:
                    cur.append((style, s))
                    size += utf16_len(s)
                    break
                k = _fit(s, room)
                if k == 0:
                    flush()
                    continue
                cur.append((style, s[:k]))
                flush()
                s = s[k:]
        if not segs:
            cur.append(("plain", ""))
    flush()
    return parts


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard; a payload over 64 bytes is left out rather than refused."""
    rows = []
    for row in reply.buttons:
        keep = []
        for b in row:
            if len(b.action.encode()) > CALLBACK_LIMIT:
                log.error("button payload over 64 bytes left out", extra={"label": b.label})
                continue
            keep.append(InlineKeyboardButton(text=b.label or "·", callback_data=b.action))
        if keep:
            rows.append(keep)
    return InlineKeyboardMarkup(rows) if rows else None


def _file_call(reply: Reply, where: dict[str, Any], caption: str | None,
               markup: InlineKeyboardMarkup | None) -> Call:
    image = reply.image
    assert image is not None
    photo = image.mime.startswith("image/") and image.mime != "image/svg+xml" and len(image.data) <= PHOTO_LIMIT
    kind = "photo" if photo else "document"
    kwargs: dict[str, Any] = {**where, kind: InputFile(image.data, filename=image.name)}
    if caption:
        kwargs.update(caption=caption, parse_mode=ParseMode.HTML)
    if markup is not None:
        kwargs["reply_markup"] = markup
    return Call(f"send_{kind}", kwargs)


def calls(reply: Reply, *, chat_id: int | str, thread: int | str | None = None,
          edit_message_id: int | None = None) -> list[Call]:
    """The calls that show `reply` in a chat (or forum topic), or replace the message `edit_message_id`."""
    markup = keyboard(reply)
    where: dict[str, Any] = {"chat_id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id}
    if thread and str(thread).isdigit():  # a forum topic; other thread keys (e.g. "deal:12") post flat
        where["message_thread_id"] = int(thread)
    if reply.image is not None:
        captions = split(reply.text, CAPTION_LIMIT)
        if len(captions) <= 1:
            return [_file_call(reply, where, html_of(captions[0]) if captions else None, markup)]
        texts = [Call("send_message", {**where, "text": html_of(p), "parse_mode": ParseMode.HTML})
                 for p in split(reply.text)]
        return [*texts, _file_call(reply, where, None, markup)]
    parts = [html_of(p) for p in split(reply.text)]
    out: list[Call] = []
    for i, text in enumerate(parts):
        last = i == len(parts) - 1
        kwargs: dict[str, Any] = {"text": text, "parse_mode": ParseMode.HTML}
        if last and markup is not None:
            kwargs["reply_markup"] = markup
        if i == 0 and edit_message_id is not None:
            # no reply_markup on an edit removes the old buttons: a decided request loses them
            out.append(Call("edit_message_text", {"chat_id": where["chat_id"], "message_id": edit_message_id,
                                                  **kwargs}))
        else:
            out.append(Call("send_message", {**where, **kwargs}))
    return out
