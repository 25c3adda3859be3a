"""`salesbot backup [PATH]` and `salesbot restore PATH`: a consistent copy of the database while the bot runs.

SQLite: the online backup API copies a snapshot (writers go on meanwhile; WAL mode lets them) and restores the
same way, into the live file, so running processes see the restored data at their next transaction.
PostgreSQL: `pg_dump --format=custom` (one snapshot) and `pg_restore --clean`, when they are installed;
otherwise the README's recipe (Backups) does the same through the database's container.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.errors import USAGE, CliError, cli_lang
from bot.cli.start import clock_from_env, engine_at_head
from handlers.i18n import N_, tr


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise CliError(N_("An in-memory database has nothing to back up."), code=USAGE)
    return Path(parsed.database)


def _libpq_url(url: str) -> str:
    """The address as pg_dump and pg_restore read it (no SQLAlchemy driver suffix)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CliError(N_("{tool} is not installed here: use the README's recipe (Backups), which runs it in the "
                          "database's container."), tool=name)
    return found


def _run_tool(args: list[str], url: str) -> None:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    done = subprocess.run([*args, url], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise CliError(N_("{tool} failed: {detail}"), tool=Path(args[0]).name, detail=detail)


def backup(
    path: Annotated[Path | None, typer.Argument(help="where to write it (default: salesbot-YYYYMMDD-HHMMSS.db "
                                                     "or .dump in this folder)")] = None,
) -> None:
    """Copy the database to a file while the bot runs: a consistent snapshot."""
    _, engine = engine_at_head()
    url = engine.url.render_as_string(hide_password=False)
    live = _sqlite_file(url)
    stamp = clock_from_env()().strftime("%Y%m%d-%H%M%S")
    target = path or Path(f"salesbot-{stamp}.{'db' if live else 'dump'}")
    if target.exists():
        raise CliError(N_("{name} already exists: give another path or remove it first."), code=USAGE,
                       name=str(target))
    if live is not None:
        source = sqlite3.connect(live, timeout=30)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # one step: the snapshot of a single read transaction
        finally:
            copy.close()
            source.close()
    else:
        _run_tool([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", "--dbname"], _libpq_url(url))
    engine.dispose()
    lang = cli_lang(sys.argv[1:])
    typer.echo(tr(lang, "Backed up {url} to {path} ({size} KB).", url=engine.url.render_as_string(hide_password=True),
                  path=str(target), size=max(1, target.stat().st_size // 1024)))


def restore(
    path: Annotated[Path, typer.Argument(help="a file made by `salesbot backup`")],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for a confirmation")] = False,
) -> None:
    """Replace the database with a backup (asks first; --yes does not)."""
    from storage.migrate import upgrade

    if not path.is_file():
        raise CliError(N_("{name}: no such file"), code=USAGE, name=str(path))
    _, engine = engine_at_head()
    url = engine.url.render_as_string(hide_password=False)
    shown = engine.url.render_as_string(hide_password=True)
    lang = cli_lang(sys.argv[1:])
    live = _sqlite_file(url)
    if live is not None:
        _check_sqlite_backup(path)
    if not yes:
        if not sys.stdin.isatty():
            raise CliError(N_("Restoring replaces everything in {url}; run it in a terminal to confirm, or add "
                              "--yes."), code=USAGE, url=shown)
        if not typer.confirm(tr(lang, "Replace everything in {url} with {path}? What changed since that backup is "
                                      "lost.", url=shown, path=str(path))):
            typer.echo(tr(lang, "Nothing was changed."))
            raise typer.Exit(1)
    engine.dispose()
    if live is not None:
        source = sqlite3.connect(path)
        target = sqlite3.connect(live, timeout=30)
        try:
            source.backup(target)  # into the live file, under its lock: other processes see it whole or not at all
        finally:
            target.close()
            source.close()
    else:
        _run_tool([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                   str(path), "--dbname"], _libpq_url(url))
    upgrade(engine)  # a backup of an older version is brought to this version's schema
    engine.dispose()
    typer.echo(tr(lang, "Restored {url} from {path}.", url=shown, path=str(path)))


def _check_sqlite_backup(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        ok, tables = None, set()
    if not ok or ok[0] != "ok" or "alembic_version" not in tables:
        raise CliError(N_("{name} is not a salesbot backup of a SQLite database."), name=str(path))


def register(app: typer.Typer) -> None:
    """Add backup and restore to the `salesbot` CLI."""
    app.command()(backup)
    app.command()(restore)
