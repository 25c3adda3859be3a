"""From an input to its handler: a command line, the next step of an open dialogue, a button, free text."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from handlers import dialogs
from handlers.commands import visits
from handlers.context import Ctx
from handlers.registry import CLICKS, COMMANDS, FLOWS, click, flow
from handlers.types import Reply
from storage.models import Conversation

log = logging.getLogger("salesbot.core")
CANCEL = ("cancel", "取消", "/cancel")


def resume(ctx: Ctx, before: Any, text: str) -> None:
    """The speaker's answer to the question their open dialogue asked."""
    assert isinstance(before, Conversation)
    if text.strip().lower() in CANCEL:
        ctx.say("OK, cancelled.")
        return
    step = FLOWS.get(before.flow)
    if step is None:  # a dialogue stored by an older version of the code
        log.error("no flow registered for a stored dialogue", extra={"command": before.flow})
        free_text(ctx, text)
        return
    ctx.personal = step.personal
    if before.flow != dialogs.PARKED:
        ctx.resuming = (before.flow, dialogs.data_of(before))
    step.run(ctx, dialogs.data_of(before), text)


@flow("complete", personal=False)  # the answer completes a command line; that command decides what is personal
def complete(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """A command that was missing a part, with the part the speaker just sent."""
    run_text(ctx, f"{data.get('prefix', '')} {text}".strip())


@flow(dialogs.PARKED, personal=False)
def parked(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """Text while a dialogue is on hold is not its answer: free text (the dialogue stays on hold)."""
    free_text(ctx, text)


def continues(before: Any, text: str) -> bool:
    """Whether a command line is the answer an open dialogue asked for (a button completing its command)."""
    if not isinstance(before, Conversation) or before.flow == dialogs.PARKED:
        return True
    prefix = str(dialogs.data_of(before).get("prefix", ""))
    return before.flow == "complete" and bool(prefix) and text.startswith(prefix)


@click("dlg.go", personal=False)
def go_on(ctx: Ctx, arg: str) -> None:
    """[Continue]: the dialogue on hold is open again, and its question is asked again."""
    hold = ctx.held
    if hold is None:
        ctx.say("Nothing is on hold any more.")
        return
    ctx.held = None
    raw = hold.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ctx.dialog = (str(hold["flow"]), data)
    question = data.get(dialogs.QUESTION)
    ctx.replies.append(Reply(text=str(question) if question else ctx.t("Go on: send your answer.")))


@click("dlg.drop", personal=False)
def drop(ctx: Ctx, arg: str) -> None:
    """[Drop]: the dialogue on hold is forgotten."""
    ctx.held = None
    ctx.say("OK, dropped.")


def press(ctx: Ctx, action: str, before: Any) -> None:
    """A button press that is not simply a command to run."""
    verb, _, arg = action.partition(":")
    if isinstance(before, Conversation) and before.flow != dialogs.PARKED:
        ctx.dialog = (before.flow, dialogs.data_of(before))  # a click elsewhere keeps the dialogue open
    handler = CLICKS.get(verb)
    if handler is None:
        ctx.say("That button no longer works.")
        return
    ctx.personal = handler.personal
    handler.run(ctx, arg)


@click("pg", personal=False)  # the command it reruns decides what is personal
def page_click(ctx: Ctx, arg: str) -> None:
    """A list's Previous/Next button (`pg:N:/command args`): the command again at page N, in place of the list."""
    num, _, line = arg.partition(":")
    ctx.page = int(num) if num.isdigit() else 1
    before = len(ctx.replies)
    run_text(ctx, line)
    shown = ctx.replies[before:]
    if len(shown) == 1 and shown[0].to is None and shown[0].edit is None:
        ctx.replies[before] = replace(shown[0], edit="this")


@click("noop", personal=False)
def noop(ctx: Ctx, arg: str) -> None:
    """A button that only acknowledges."""
    ctx.say("OK.")


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
        ctx.say("I didn't get that. Send /help for the commands; mention a customer and I'll offer to log a visit.")


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
        ctx.say("There is no /{name} command. Send /help to see what I can do.", name=name[:30])
        return
    if ctx.user is None and not cmd.public:
        stranger(ctx)
        return
    if ctx.user is not None and ctx.user.role not in cmd.roles:
        ctx.say("Your role can't use /{name}.", name=name)
        return
    ctx.personal = cmd.personal_for(args)
    cmd.run(ctx, args.strip())


def stranger(ctx: Ctx) -> None:
    """The one polite line a person who has not joined gets."""
    ctx.say("Hi! Please bind your account first with /join CODE (ask your manager for a code).")
