"""What the core can run: commands, dialogue steps (flows) and button verbs (clicks), each registered where
it is written and each saying whether its answers are personal (shown to the speaker alone in a group)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.context import Ctx

Handler = Callable[["Ctx", str], None]
FlowStep = Callable[["Ctx", dict[str, Any], str], None]  # (ctx, the dialogue's data, the answer)
ClickRun = Callable[["Ctx", str], None]  # (ctx, the payload after "verb:")
ALL_ROLES = frozenset({"rep", "manager", "finance", "admin"})
# Payload verbs the core itself reads before any click handler: a command line to run, a stored payload.
BUILTIN_VERBS = frozenset({"say", "tok"})


@dataclass(frozen=True)
class Command:
    """A command: its handler, who may use it, how it is used, and whether its answers are personal."""

    name: str
    run: Handler
    usage: str
    about: str  # what it does, in English: the message id of its description (handlers/i18n.py)
    roles: frozenset[str] = ALL_ROLES
    public: bool = False  # works before /join
    personal: bool = False  # answers show contacts, other reps' money or secrets
    shared: frozenset[str] = frozenset()  # first words whose answers are not personal ("add" echoes its author)
    usage_by: tuple[tuple[str, str], ...] = ()  # (role, usage) where a role may use less than `usage` says

    def usage_of(self, role: str | None) -> str:
        """The usage line (a message id) as a person of `role` may use the command."""
        return dict(self.usage_by).get(role or "", self.usage)

    def personal_for(self, args: str) -> bool:
        """Whether this command's answers to `args` are personal."""
        first = args.split(maxsplit=1)[0].lower() if args.strip() else ""
        return self.personal and first not in self.shared


@dataclass(frozen=True)
class Flow:
    """A dialogue step: what the speaker's next message continues."""

    name: str
    run: FlowStep
    personal: bool


@dataclass(frozen=True)
class Click:
    """A button verb: what a press of a button whose payload starts with `verb:` does."""

    verb: str
    run: ClickRun
    personal: bool


COMMANDS: dict[str, Command] = {}
FLOWS: dict[str, Flow] = {}
CLICKS: dict[str, Click] = {}
_CREATING = ("add", "new", "新建", "添加")


def command(
    name: str, usage: str, about: str, *, roles: frozenset[str] = ALL_ROLES, public: bool = False,
    aliases: tuple[str, ...] = (), personal: bool = False, shared: tuple[str, ...] = _CREATING,
    usage_by: dict[str, str] | None = None,
) -> Callable[[Handler], Handler]:
    """Register a handler as the command `name` (`usage_by`: the usage a role sees where it may use less)."""

    def register(fn: Handler) -> Handler:
        cmd = Command(name=name, run=fn, usage=usage, about=about, roles=roles, public=public, personal=personal,
                      shared=frozenset(shared), usage_by=tuple(sorted((usage_by or {}).items())))
        for n in (name, *aliases):
            COMMANDS[n] = cmd
        return fn

    return register


def flow(name: str, *, personal: bool) -> Callable[[FlowStep], FlowStep]:
    """Register a dialogue step under `name` (what `ctx.ask(name, data)` continues)."""

    def register(fn: FlowStep) -> FlowStep:
        FLOWS[name] = Flow(name=name, run=fn, personal=personal)
        return fn

    return register


def click(verb: str, *, personal: bool) -> Callable[[ClickRun], ClickRun]:
    """Register what a button whose payload is `verb:ARG` does."""

    def register(fn: ClickRun) -> ClickRun:
        CLICKS[verb] = Click(verb=verb, run=fn, personal=personal)
        return fn

    return register


def command_line_personal(line: str) -> bool:
    """Whether the answers to a typed command line are personal."""
    if not line.startswith("/"):
        return False
    head, _, args = line[1:].partition(" ")
    cmd = COMMANDS.get(head.split("@", 1)[0].lower())
    return cmd is not None and cmd.personal_for(args)


def load_all() -> None:
    """Import every module that registers commands, flows or clicks (idempotent)."""
    import handlers.commands
    import handlers.dispatch  # registers the built-in flow and click

    for info in pkgutil.iter_modules(handlers.commands.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"handlers.commands.{info.name}")


def usage(ctx: Ctx, name: str) -> None:
    """Answer with a command's usage line as the speaker's role may use it (after garbled arguments)."""
    cmd = COMMANDS[name]
    role = ctx.user.role if ctx.user is not None else None
    ctx.say("Usage: `{u}`\n{d}", u=usage_for(role, cmd, ctx.t(cmd.usage_of(role))) or ctx.t(cmd.usage_of(role)),
            d=ctx.t(cmd.about))


# What /help leaves out: commands over records a role never sees, and the ways of a command that change records
# (`/deal new`, `/customer edit`) for a role that may not make them.
_SEES_NONE = {"finance": frozenset({"deal", "deals", "quote", "lead", "leads"})}
_CHANGING = frozenset({"add", "new", "edit", "merge", "rules"})
SELLING_ROLES = frozenset({"rep", "manager", "admin"})  # sales.access.SELLERS (this module imports no floor below)


def usage_for(role: str | None, cmd: Command, shown: str) -> str:
    """The part of `cmd`'s usage line a person of `role` may use ("" for none of it), from `shown`, the line in
    the reader's language (its translation keeps the " | " parts of the English line, in order)."""
    if role is None or role in SELLING_ROLES:
        return shown
    if cmd.name in _SEES_NONE.get(role, frozenset()):
        return ""
    parts, words = shown.split(" | "), cmd.usage_of(role).split(" | ")
    if len(parts) != len(words):
        parts = words
    kept = [p for p, w in zip(parts, words, strict=True) if [*w.split(), "", ""][1].lower() not in _CHANGING]
    return " | ".join(kept)
