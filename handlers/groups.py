"""Answers in a group chat: what is personal goes to the speaker privately, the rest is shown masked."""

from __future__ import annotations

import re
from dataclasses import replace

from handlers.context import Ctx
from handlers.markup import esc
from handlers.outbox import masked, private_chat
from handlers.types import Reply
from sales.privacy import has_phone

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def is_personal(reply: Reply, personal_turn: bool) -> bool:
    """Whether a reply carries personal data: marked so, in a personal turn, or showing a phone or an email."""
    return reply.private or personal_turn or bool(_EMAIL.search(reply.text)) or has_phone(reply.text)


def route(ctx: Ctx) -> None:
    """In a group chat, address the speaker's personal replies to their private chat; the group gets a note."""
    if ctx.incoming.private or ctx.user is None:
        return
    out: list[Reply] = []
    noted = False
    platform = ctx.incoming.chat.platform
    for r in ctx.replies:
        if r.to is not None or r.edit is not None or not is_personal(r, ctx.personal):
            out.append(r if r.to is not None else masked(r))  # what stays in the group shows no phone or email
            continue
        if not noted:
            out.append(Reply(text=ctx.t("🔒 {n}: I sent you that privately (if nothing arrives, open a private chat with me and send /start).", n=esc(ctx.me.name))))
            noted = True
        where = private_chat(ctx.session, ctx.me, platform)
        if where is not None and where.platform == platform:
            out.append(replace(r, to=where, private=False))
    ctx.replies[:] = out
