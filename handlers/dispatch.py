"""Continuing dialogues, button clicks, locations and free text."""

from __future__ import annotations

from typing import Any

from handlers import dialogs
from handlers.commands import deals, followups, quotes, visits
from handlers.context import Ctx
from handlers.registry import COMMANDS
from sales.refs import as_id
from storage.models import Conversation


def resume(ctx: Ctx, before: Any, text: str) -> None:
    """The speaker's answer to the question their open dialogue asked."""
    assert isinstance(before, Conversation)
    data = dialogs.data_of(before)
    if text.strip().lower() in ("cancel", "取消", "/cancel"):
        ctx.say("好的，已取消。", "OK, cancelled.")
        return
    flow = before.flow
    if flow == "complete":
        run_text(ctx, f"{data.get('prefix', '')} {text}".strip())
    elif flow == "qualify":
        deals.qualify_answer(ctx, int(data["deal"]), str(data["field"]), text)
    elif flow == "quote":
        quotes.pending_quote_lines(ctx, int(data["deal"]), list(data.get("lines", [])), text)
    elif flow == "quote_discount":
        quotes.pending_quote_discount(ctx, int(data["deal"]), list(data.get("lines", [])), text)
    elif flow == "edit_activity":
        visits.replace(ctx, int(data["activity"]), text)
    else:
        free_text(ctx, text)


def click(ctx: Ctx, action: str, before: Any) -> None:
    """A button press that is not simply a command to run."""
    verb, _, arg = action.partition(":")
    num = as_id(arg) or 0
    if isinstance(before, Conversation):
        ctx.dialog = (before.flow, dialogs.data_of(before))  # a click elsewhere keeps the dialogue open
    if verb == "ap.ok" or verb == "ap.no":
        quotes.decide(ctx, num, verb == "ap.ok")
    elif verb in ("fu.done", "fu.snz"):
        followups.click(ctx, "done" if verb == "fu.done" else "snooze", num)
    elif verb == "act.undo":
        visits.undo(ctx, num)
    elif verb == "act.edit":
        visits.edit(ctx, num)
    elif verb == "noop":
        ctx.say("好的。", "OK.")
    else:
        ctx.say("这个按钮已经失效了。", "That button no longer works.")


def location(ctx: Ctx, where: tuple[float, float]) -> None:
    """A shared location: the check-in of a recent visit."""
    visits.check_in(ctx, where[0], where[1])


def free_text(ctx: Ctx, text: str) -> None:
    """Plain text: offered as a visit log when it names a customer, else a hint."""
    if not text.strip():
        return
    if ctx.incoming.private and visits.offer(ctx, text):
        return
    if ctx.incoming.private:
        ctx.say("没看懂。发 /help 看看能做什么；提到客户名称的话我会帮你记成拜访。",
                "I didn't get that. Send /help for the commands; mention a customer and I'll offer to log a visit.")


def run_text(ctx: Ctx, text: str) -> None:
    """Run a command line, or treat the text as free text."""
    if not text.startswith("/"):
        free_text(ctx, text)
        return
    head, _, args = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    cmd = COMMANDS.get(name)
    if cmd is None:
        if ctx.user is None:
            stranger(ctx)
            return
        ctx.say("没有 /{name} 这个命令。发 /help 看看能做什么。",
                "There is no /{name} command. Send /help to see what I can do.", name=name[:30])
        return
    if ctx.user is None and not cmd.public:
        stranger(ctx)
        return
    if ctx.user is not None and ctx.user.role not in cmd.roles:
        ctx.say("你的角色不能用 /{name}。", "Your role can't use /{name}.", name=name)
        return
    cmd.run(ctx, args.strip())


def stranger(ctx: Ctx) -> None:
    """The one polite line a person who has not joined gets."""
    ctx.say("你好！请先用 /join 邀请码 绑定你的账号（邀请码向经理索取）。",
            "Hi! Please bind your account first with /join CODE (ask your manager for a code).")
