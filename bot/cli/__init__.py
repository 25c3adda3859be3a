"""The `salesbot` command. Each command is one line of COMMANDS: its name, the module whose `register(app)`
adds it, and its line of help. A module is imported only when its command runs (or shows its own --help),
so each command imports only what it needs, and `salesbot --help` (or `salesbot` alone) imports nothing but this
module: its text is written here, as typer would write it (bot/cli/app.py holds the typer app that runs the rest).

Errors a person can cause are one line in their language and exit 2 (usage) or 1 (failure): bot/cli/errors.py.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

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


HELP = "salesbot: a sales CRM that lives in team chat."
OPTIONS = (("--lang <str>", "zh or en: the language of messages (default: LC_ALL/LANG)"),
           ("--help", "Show this message and exit."))


def help_text(width: int | None = None) -> str:
    """`salesbot --help` as typer writes it (click's layout: at most 80 columns, at least 50), without typer:
    tests/processes/test_cli.py compares the two at several terminal widths."""
    import shutil
    import textwrap

    if width is None:
        width = max(min(shutil.get_terminal_size().columns, 80) - 2, 50)

    def fill(text: str, columns: int, first: str = "", rest: str = "") -> str:
        return textwrap.fill(text, columns, initial_indent=first, subsequent_indent=rest, replace_whitespace=False)

    def rows(pairs: Sequence[tuple[str, str]]) -> list[str]:
        first_col = min(max(len(a) for a, _ in pairs), 30) + 2
        out: list[str] = []
        for name, about in pairs:
            lines = fill(about, max(width - first_col - 2, 10)).splitlines()
            if len(name) <= first_col - 2:
                out.append("  " + name + " " * (first_col - len(name)) + lines[0])
            else:
                out += ["  " + name, " " * (first_col + 2) + lines[0]]
            out += [" " * (first_col + 2) + line for line in lines[1:]]
        return out

    prefix = "Usage: salesbot "
    return "\n".join([fill("[OPTIONS] COMMAND [ARGS]...", width, prefix, " " * len(prefix)), "",
                      fill(HELP, width, "  ", "  "), "", "Options:", *rows(OPTIONS), "", "Commands:",
                      *rows([(name, about) for name, (_, about) in COMMANDS.items()])])


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
    args = list(sys.argv[1:] if argv is None else argv)
    if _without_lang(args) in ([], ["--help"]):  # `salesbot`, `salesbot --help` (with or without --lang)
        print(help_text())
        sys.exit(0)
    import logging

    from bot.cli.errors import cli_lang, report

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if _without_lang(args) == ["chat"]:  # the command a newcomer runs first: straight, no typer app built
        try:
            code = _chat()
        except KeyboardInterrupt:
            code = 130
        except Exception as exc:
            code = report(exc, cli_lang(args))
        sys.exit(code)
    import typer

    from bot.cli.app import app

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


def _chat() -> int:
    """`salesbot chat` (bot.cli.start), with Python's cyclic garbage collector paused while it starts: the
    start-up makes a few hundred thousand objects (SQLAlchemy, the tables, the commands) that all stay, so the
    collections it would run find nothing (about a fifth of its CPU time). They are then frozen (no later
    collection walks them again, nor the one at exit) and collection goes on as usual for the chat itself."""
    import gc
    import os

    from bot.cli import start

    # pydantic looks for plugins of its own (a scan of every installed package's entry points, 5% of the
    # start-up) when it builds the tables' first model; salesbot has none. PYDANTIC_DISABLE_PLUGINS= (empty)
    # brings the scan back.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.disable()
    try:
        core = start.chat_core()
    finally:
        gc.freeze()
        gc.enable()
    try:
        return start.chat(core)
    finally:
        gc.freeze()  # what the chat made: the interpreter's last collection at exit would walk it for nothing
