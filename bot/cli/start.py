"""What every command that opens the database starts with, and `salesbot chat` itself: without typer, so
`salesbot chat` runs straight from bot.cli.main (no typer app is built for the command a newcomer runs first)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.cli.errors import USAGE, CliError
from handlers.i18n import N_

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from bot.config import Config
    from handlers.core import Core

    Now = Callable[[], datetime]


def clock_from_env() -> Now:
    """`SALESBOT_NOW=2026-12-02T15:00:00+08:00` freezes the clock (demos, tests, `salesbot chat`); else the real time."""
    from handlers.core import system_clock  # bot.clock's twin, without the scheduler behind bot.clock

    frozen = os.environ.get("SALESBOT_NOW")
    if not frozen:
        return system_clock
    try:
        at = datetime.fromisoformat(frozen)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise CliError(N_("SALESBOT_NOW={value} is not a time with its UTC offset, e.g. 2026-12-02T15:00:00+08:00"),
                       code=USAGE, value=repr(frozen))
    frozen_at = at.astimezone(UTC)  # the same zone as system_now: the clock answers in UTC
    return lambda: frozen_at


def engine_at_head() -> tuple[Config, Engine]:
    """The configuration and an engine on a database at the newest schema."""
    from bot.config import Config
    from storage.db import make_engine
    from storage.migrate import upgrade

    cfg = Config()
    engine = make_engine(cfg.database_url)
    upgrade(engine)
    return cfg, engine


def chat_core() -> Core:
    """The core `salesbot chat` talks to: the clock of SALESBOT_NOW, the database at head, the settings."""
    from handlers.core import Core

    now = clock_from_env()
    cfg, engine = engine_at_head()
    return Core(engine, clock=now, settings=cfg.core())


def chat(core: Core) -> int:
    """The terminal chat over stdin until its end; the exit code. The database's connections are closed after."""
    from bot.adapters.console.chat import run

    try:
        return run(core)
    finally:
        core.engine.dispose()
