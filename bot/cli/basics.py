"""`salesbot chat`, `demo`, `invite` and `migrate`: what a newcomer runs first."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from bot.cli import start
from bot.cli.start import clock_from_env, engine_at_head


def migrate() -> None:
    """Bring the database to the newest schema."""
    from sales.names.directory import rekey
    from storage.db import session_factory, transaction

    _, engine = engine_at_head()
    with transaction(session_factory(engine)) as s:
        renamed = rekey(s)  # name keys of an older version (traditional characters): search and duplicates
    typer.echo(f"database at head: {engine.url.render_as_string(hide_password=True)}"
               + (f"; {renamed} customer name keys brought up to date" if renamed else ""))


def chat() -> None:
    """The terminal chat: `@alice: /today`; piped input gives a transcript."""
    raise typer.Exit(start.chat(start.chat_core()))


def demo(
    customers: Annotated[int, typer.Option(help="how many customers to generate")] = 200,
    reset: Annotated[bool, typer.Option(help="empty the database first")] = False,
) -> None:
    """Load a realistic demo team (carol admin, bob manager, alice and dave reps, fay finance)."""
    from sales.demo import load_demo

    now = clock_from_env()
    _, engine = engine_at_head()
    started = time.perf_counter()

    def progress(done: int, total: int, what: str) -> None:
        typer.echo(f"\r  {what}: {done}/{total}", nl=False, err=True)
        if done >= total:
            typer.echo("", err=True)

    summary = load_demo(engine, customers=customers, now=now(), reset=reset, progress=progress)
    if summary is None:
        typer.echo("The demo team is already loaded (use --reset to start over).")
        return
    typer.echo(f"Demo loaded in {time.perf_counter() - started:.1f}s: {summary}")
    typer.echo("Try: salesbot chat, then `@alice: /today` or `@bob: /pipeline`.")


def invite(
    role: Annotated[str, typer.Option(help="rep, manager, finance or admin")] = "admin",
    name: Annotated[str | None, typer.Option(help="the person's name")] = None,
) -> None:
    """Print a one-time code; the person sends /join CODE to the bot."""
    from sales import invites
    from sales.errors import RuleError
    from storage.db import session_factory, transaction

    if role not in invites.ROLES:  # a wrong word on the command line: said before the database is opened
        raise RuleError("unknown_role", role=role)
    now = clock_from_env()  # the code's expiry counts from the time the chat will see
    _, engine = engine_at_head()
    with transaction(session_factory(engine)) as session:
        code = invites.make_invite(session, role=role, name=name, by=None, now=now()).code
    typer.echo(code)


def register(app: typer.Typer) -> None:
    """Add the first-hour commands to the `salesbot` CLI."""
    for command in (chat, demo, invite, migrate):
        app.command()(command)
