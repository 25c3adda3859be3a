"""`salesbot import FILE` and `salesbot export WHAT`: the spreadsheet move from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlmodel import Session, col, select

from bot.cli.errors import USAGE, CliError
from bot.config import Config
from handlers.commands.imports import describe
from handlers.core import system_clock
from handlers.i18n import N_, tr
from handlers.markup import to_plain
from handlers.sheets import file_message, reason_text
from sales import exporting, imports, invites
from sales.imports import BadFile, Options
from storage.db import make_engine, session_factory, transaction
from storage.migrate import upgrade
from storage.models import User


def _owner(session: Session, name: str | None) -> User:
    """Who imports from the command line (and owns the rows naming nobody): --owner, or the first admin, who is
    created when there is none yet."""
    found = invites.first_admin(session, name=name, now=system_clock())
    if found is None:
        typer.echo(f"No user {name}: --owner names an active user (or leave it out for the first admin).", err=True)
        raise typer.Exit(2)
    return found


def _user(session: Session, name: str | None) -> User:
    q = select(User).where(col(User.active))
    users = list(session.exec(q.order_by(col(User.id))).all())
    if name:
        found = [u for u in users if u.name.casefold() == name.casefold()]
    else:
        found = [u for u in users if u.role == "admin"][:1]
    if not found:
        typer.echo(f"No {'user ' + name if name else 'admin'} yet: `salesbot invite --role admin --name NAME` prints a "
                   "code that person sends as /join CODE in the chat (or `salesbot demo` loads a demo team).", err=True)
        raise typer.Exit(2)
    return found[0]


def _progress(done: int, total: int, what: str) -> None:
    if total >= 2000:
        typer.echo(f"\r  {what}: {done}/{total}", nl=False, err=True)
        if done >= total:
            typer.echo("", err=True)


def register(app: typer.Typer) -> None:
    """Add the import and export commands to the salesbot CLI."""

    @app.command("import")
    def import_cmd(
        file: Annotated[Path, typer.Argument(help="an .xlsx, .xls, .ods or .csv file")],
        sheet: Annotated[str | None, typer.Option(help="the sheet to read (default: the first with data)")] = None,
        kind: Annotated[str | None, typer.Option(help="customers, activities, deals or leads (default: guessed)")] = None,
        map_: Annotated[list[str] | None, typer.Option("--map", help="correct a column: 'COLUMN=field' ('COLUMN=' ignores it)")] = None,
        merge: Annotated[list[int] | None, typer.Option(help="merge suspected duplicate N (see the preview)")] = None,
        merge_all: Annotated[bool, typer.Option(help="merge every suspected duplicate")] = False,
        dry_run: Annotated[bool, typer.Option(help="show the preview, save nothing")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
        user: Annotated[str | None, typer.Option(
            "--owner", "--as", help="who imports and owns rows naming nobody (default: the first admin, created "
            "when there is none yet)")] = None,
        move_owners: Annotated[bool, typer.Option(
            help="let an owner cell move an existing customer to another owner (default: listed, not moved)")] = False,
        lang: Annotated[str | None, typer.Option(help="zh or en (default: the user's)")] = None,
        rejected: Annotated[Path | None, typer.Option(help="where to write the rejected rows (.xlsx)")] = None,
    ) -> None:
        """Import customers, contacts, follow-up records, deals or leads from a spreadsheet: all or nothing."""
        cfg = Config()
        engine = make_engine(cfg.database_url)
        upgrade(engine)
        if not file.exists():
            raise CliError(N_("{name}: no such file"), code=USAGE, name=str(file))
        if file.stat().st_size > cfg.max_file_bytes:  # refused before reading it into memory
            err = BadFile("too_large", size=round(file.stat().st_size / 1024 / 1024, 1),
                          limit=cfg.max_file_bytes // 1024 // 1024)
            typer.echo(file_message(err, lang or cfg.default_lang), err=True)
            raise typer.Exit(2)
        data = file.read_bytes()
        now = system_clock()
        try:
            with transaction(session_factory(engine)) as session:
                me = _owner(session, user)
                speak = lang or me.lang or cfg.default_lang
                options = Options(kind=kind, sheet=sheet, mapping=imports.parse_mapping(map_ or []),
                                  merge=frozenset(merge or []), merge_all=merge_all, move_owners=move_owners,
                                  region=cfg.phone_region,
                                  tz=me.tz or cfg.default_tz, max_bytes=cfg.max_file_bytes,
                                  max_unpacked=cfg.max_unpacked_bytes, max_rows=cfg.max_rows,
                                  max_columns=cfg.max_columns, max_cell=cfg.max_cell_chars)
                plan = imports.import_file(session, data=data, file_name=file.name, by=me, now=now,
                                             options=options, dry_run=dry_run,
                                             progress=None if as_json else _progress)
                bad_rows = None if dry_run else exporting.rejected_file(plan, lambda i: reason_text(i, speak),
                                                                         tr(speak, "Reason"))
        except BadFile as err:
            typer.echo(file_message(err, lang or cfg.default_lang), err=True)
            raise typer.Exit(2) from None
        if bad_rows is not None:
            out = rejected or file.with_name(file.stem + ".rejected.xlsx")
            out.write_bytes(bad_rows)
        if as_json:
            typer.echo(json.dumps(plan.summary(), ensure_ascii=False, indent=2, default=str))
            return
        typer.echo(to_plain(describe(plan, speak, applied=plan.applied and not dry_run)))
        if dry_run:
            typer.echo("(dry run: nothing saved)" if speak != "zh" else "（预览：什么都没有保存）")
        elif bad_rows is not None:
            typer.echo(f"rejected rows: {out}")

    @app.command("export")
    def export_cmd(
        what: Annotated[str, typer.Argument(help="customers, deals, activities, leads or invoices")],
        fmt: Annotated[str, typer.Option("--format", help="xlsx or csv")] = "xlsx",
        out: Annotated[Path | None, typer.Option(help="the file to write (default: WHAT.xlsx)")] = None,
        user: Annotated[str | None, typer.Option("--as", help="export what this user may see (default: an admin)")] = None,
        lang: Annotated[str | None, typer.Option(help="headers in zh or en (default: the user's)")] = None,
    ) -> None:
        """Export to a file with the same headers the import reads."""
        if what not in exporting.EXPORTS or fmt not in exporting.FORMATS:
            raise CliError(N_("Unknown export “{what}”; use: salesbot export {kinds} [--format {formats}]"), code=USAGE,
                           what=what if what not in exporting.EXPORTS else fmt,
                           kinds="|".join(exporting.EXPORTS), formats="|".join(exporting.FORMATS))
        cfg = Config()
        engine = make_engine(cfg.database_url)
        upgrade(engine)
        with session_factory(engine)() as session:
            me = _user(session, user)
            data, n = exporting.export(session, what=what, user=me, tz=ZoneInfo(me.tz or cfg.default_tz),
                                       lang=lang or me.lang or cfg.default_lang, fmt=fmt)
        path = out or Path(f"{what}.{fmt}")
        if str(path) == "-":
            sys.stdout.buffer.write(data)
            return
        path.write_bytes(data)
        typer.echo(f"{n} rows → {path}")
