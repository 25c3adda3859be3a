"""The typer app behind `salesbot`: the group of COMMANDS, each command's module imported when it is used."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer._click import Command, Context
from typer.core import TyperCommand, TyperGroup

from bot.cli import COMMANDS, HELP, OPTIONS


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
                  help=HELP)


@app.callback()
def _options(
    lang: Annotated[str | None, typer.Option(help=OPTIONS[0][1])] = None,
) -> None:
    """salesbot: a sales CRM that lives in team chat."""
