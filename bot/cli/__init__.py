"""The `salesbot` command: chat, demo, migrate, invite."""

from __future__ import annotations

import logging
import sys
import time
from typing import Annotated

import typer
from sqlalchemy import Engine

from bot.cli import cards, clock, imports
from bot.config import Config
from handlers.core import Core
from sales import invites
from sales.demo import load_demo
from sales.errors import RuleError
from storage.db import make_engine, session_factory, transaction
from storage.migrate import upgrade

app = typer.Typer(add_completion=False, help="salesbot: a sales CRM that lives in team chat.")
imports.register(app)
cards.register(app)
clock.register(app)


def _engine() -> tuple[Config, Engine]:
    cfg = Config()
    engine = make_engine(cfg.database_url)
    upgrade(engine)
    return cfg, engine


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema."""
    _, engine = _engine()
    typer.echo(f"database at head: {engine.url.render_as_string(hide_password=True)}")


@app.command()
def chat() -> None:
    """The terminal chat: `@alice: /today`; piped input gives a transcript."""
    from bot.adapters.console.chat import run

    cfg, engine = _engine()
    raise typer.Exit(run(Core(engine, clock=clock.clock_from_env(), settings=cfg.core())))


@app.command()
def demo(
    customers: Annotated[int, typer.Option(help="how many customers to generate")] = 200,
    reset: Annotated[bool, typer.Option(help="empty the database first")] = False,
) -> None:
    """Load a realistic demo team (carol admin, bob manager, alice and dave reps, fay finance)."""
    _, engine = _engine()
    now = clock.clock_from_env()
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


@app.command()
def invite(
    role: Annotated[str, typer.Option(help="rep, manager, finance or admin")] = "admin",
    name: Annotated[str | None, typer.Option(help="the person's name")] = None,
) -> None:
    """Print a one-time code; the person sends /join CODE to the bot."""
    _, engine = _engine()
    now = clock.clock_from_env()  # the code's expiry counts from the time the chat will see
    try:
        with transaction(session_factory(engine)) as session:
            code = invites.make_invite(session, role=role, name=name, by=None, now=now()).code
    except RuleError as err:
        typer.echo(f"Refused ({err.code}): {', '.join(f'{k}={v}' for k, v in err.params.items())}", err=True)
        raise typer.Exit(1) from None
    typer.echo(code)


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app()

