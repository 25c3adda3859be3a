"""The `salesbot` command. Each command is one line of COMMANDS: its name, the module whose `register(app)`
adds it, and its line of help. A module is imported only when its command runs (or shows its own --help),
so `salesbot --help` imports typer alone and each command only what it needs.

Errors a person can cause are one line in their language and exit 2 (usage) or 1 (failure): bot/cli/errors.py.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer._click import Command, Context
from typer.core import TyperCommand, TyperGroup

COMMANDS: dict[str, tuple[str, str]] = {
    "chat": ("bot.cli.basics", "The terminal chat: `@alice: /today`; piped input gives a transcript."),
    "demo": ("bot.cli.basics", "Load a realistic demo team (carol admin, bob manager, alice and dave reps, fay finance)."),
    "invite": ("bot.cli.basics", "Print a one-time code; the person sends /join CODE to the bot."),
    "migrate": ("bot.cli.basics", "Bring the database to the newest schema."),
    "import": ("bot.cli.imports", "Import customers, contacts, follow-up records, deals or leads from a spreadsheet."),
    "export": ("bot.cli.imports", "Export to a file with the same headers the import reads."),
    "run": ("bot.cli.clock", "Run salesbot: the web server and chat adapters, the clock and delivery."),
    "clock": ("bot.cli.clock", "Create due reminders and digests, claim them, queue them, and deliver the outbox."),
    "outbox": ("bot.cli.clock", "What was sent to whom and when, and what failed and why."),
    "card": ("bot.cli.cards", "What a business card photo reads as (company, person, title, mobile, email…)."),
    "backup": ("bot.cli.backup", "Copy the database to a file while the bot runs."),
    "restore": ("bot.cli.backup", "Replace the database with a backup (asks first; --yes does not)."),
}


class _Later(TyperCommand):
    """A command known by its name and help; its module is imported when it is used."""

    def __init__(self, name: str, module: str, help_line: str) -> None:
        super().__init__(name, help=help_line, short_help=help_line, rich_markup_mode=None)
        self.module, self.command_name = module, name
        self._real: Command | None = None

    def real(self) -> Command:
        if self._real is None:
            sub = typer.Typer(rich_markup_mode=None)
            importlib.import_module(self.module).register(sub)
            made = typer.main.get_command(sub)
            found = made.commands.get(self.command_name) if isinstance(made, TyperGroup) else made
            if found is None:
                raise LookupError(f"{self.module} does not register {self.name}")
            self._real = found
        return self._real

    def make_context(self, info_name: str | None, args: list[str], parent: Context | None = None,
                     **extra: Any) -> Context:
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Context) -> Any:
        return self.real().invoke(ctx)


class _Commands(TyperGroup):
    """The group of COMMANDS, each imported when asked for."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, help_line = COMMANDS[cmd_name]
            self.commands[cmd_name] = _Later(cmd_name, module, help_line)
        return self.commands.get(cmd_name)


app = typer.Typer(cls=_Commands, add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
                  help="salesbot: a sales CRM that lives in team chat.")


@app.callback()
def _options(
    lang: Annotated[str | None, typer.Option(help="zh or en: the language of messages (default: LC_ALL/LANG)")] = None,
) -> None:
    """salesbot: a sales CRM that lives in team chat."""


def _without_lang(args: list[str]) -> list[str]:
    rest, skip = [], False
    for a in args:
        if skip or a.startswith("--lang="):
            skip = False
        elif a == "--lang":
            skip = True
        else:
            rest.append(a)
    return rest


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script: runs the command, turns what goes wrong into one line and an exit code."""
    from bot.cli.errors import cli_lang, report

    args = list(sys.argv[1:] if argv is None else argv)
    if not _without_lang(args):
        args.append("--help")  # `salesbot` alone (or with only --lang): the list of commands
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        code = typer.main.get_command(app).main(args, prog_name="salesbot", standalone_mode=False)
    except typer.Abort:
        print(file=sys.stderr)
        code = 130
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # every failure becomes one line, never a traceback
        code = report(exc, cli_lang(args))
    sys.exit(code if isinstance(code, int) else 0)
