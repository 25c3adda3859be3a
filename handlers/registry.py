"""The command table: every command's handler, roles and usage line in both languages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.context import Ctx

Handler = Callable[[Ctx, str], None]
ALL_ROLES = frozenset({"rep", "manager", "finance", "admin"})


@dataclass(frozen=True)
class Command:
    """A command: its handler, who may use it, and how it is used."""

    name: str
    run: Handler
    usage: str
    zh: str
    en: str
    roles: frozenset[str] = ALL_ROLES
    public: bool = False  # works before /join


COMMANDS: dict[str, Command] = {}


def command(
    name: str, usage: str, zh: str, en: str, *, roles: frozenset[str] = ALL_ROLES, public: bool = False,
    aliases: tuple[str, ...] = (),
) -> Callable[[Handler], Handler]:
    """Register a handler as the command `name`."""

    def register(fn: Handler) -> Handler:
        cmd = Command(name=name, run=fn, usage=usage, zh=zh, en=en, roles=roles, public=public)
        for n in (name, *aliases):
            COMMANDS[n] = cmd
        return fn

    return register


def usage(ctx: Ctx, name: str) -> None:
    """Answer with a command's usage line (after garbled arguments)."""
    cmd = COMMANDS[name]
    ctx.say("用法：`{u}`\n{d}", "Usage: `{u}`\n{d}", u=cmd.usage, d=cmd.zh if ctx.lang == "zh" else cmd.en)
