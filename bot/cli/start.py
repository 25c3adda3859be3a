"""What every command that opens the database starts with, and `salesbot chat` itself: without typer, so
`salesbot chat` runs straight from bot.cli.main (no typer app is built for the command a newcomer runs first)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.errors import USAGE, CliError
from handlers.i18n import N_

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from bot.config import Config
    from handlers.context import Settings
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


# bot.config.Config's settings by the environment variable each is read from (lower case: it reads them in any
# case), for the core's part read without pydantic-settings (`plain_settings`); tests/processes/test_cli_now.py
# checks them against Config's fields and what it reads.
_INTS = {"port": 8080, "salesbot_rate_limit": 20, "salesbot_rate_window_s": 10,
         "salesbot_max_file_bytes": 20 * 1024 * 1024, "salesbot_max_unpacked_bytes": 200 * 1024 * 1024,
         "salesbot_max_rows": 1_048_576, "salesbot_max_columns": 1_000, "salesbot_max_cell_chars": 32_767,
         "salesbot_cadence_per_day": 5}
_TEXTS = {"salesbot_default_lang": "en", "salesbot_default_tz": "Asia/Shanghai", "salesbot_phone_region": "CN",
          "salesbot_public_url": "", "salesbot_company_name": ""}
# The others, none of which the core reads; any text is valid for them but FEISHU_MODE's.
_OTHERS = frozenset({
    "database_url", "salesbot_leads_token", "salesbot_tickets_token", "salesbot_log_level", "telegram_bot_token",
    "telegram_api_base_url", "telegram_webhook_url", "telegram_webhook_secret", "slack_bot_token",
    "slack_signing_secret", "slack_app_token", "slack_api_base_url", "feishu_app_id", "feishu_app_secret",
    "feishu_verification_token", "feishu_encrypt_key", "feishu_api_base_url", "feishu_mode"})
_DIGITS = re.compile(r"[0-9]{1,18}")


def plain_settings(environ: Mapping[str, str] = os.environ,
                   env_file: Path = Path(".env")) -> tuple[str | None, Settings] | None:
    """DATABASE_URL and the core's settings as bot.config.Config reads them, read from the environment without
    pydantic-settings (a tenth of `salesbot chat`'s start-up), when that reads the same for sure: no .env file,
    each variable set once, numbers plain digits, FEISHU_MODE ws or http. None otherwise: Config reads them
    (and says what is wrong)."""
    from handlers.context import Settings

    if env_file.exists():
        return None
    found: dict[str, str] = {}
    for key, value in environ.items():
        name = key.lower()
        if name in _INTS or name in _TEXTS or name in _OTHERS:
            if name in found:
                return None  # set twice in different cases: which one Config takes is its business
            found[name] = value
    if found.get("feishu_mode", "ws") not in ("ws", "http"):
        return None
    if any(name in found and not _DIGITS.fullmatch(found[name]) for name in _INTS):
        return None
    ints = {name: int(found[name]) if name in found else default for name, default in _INTS.items()}
    texts = {name: found.get(name, default) for name, default in _TEXTS.items()}
    url = found.get("database_url")
    settings = Settings(
        default_lang=texts["salesbot_default_lang"], default_tz=texts["salesbot_default_tz"],
        phone_region=texts["salesbot_phone_region"], rate_limit=ints["salesbot_rate_limit"],
        rate_window_s=ints["salesbot_rate_window_s"], max_file_bytes=ints["salesbot_max_file_bytes"],
        max_unpacked_bytes=ints["salesbot_max_unpacked_bytes"], max_rows=ints["salesbot_max_rows"],
        max_columns=ints["salesbot_max_columns"], max_cell_chars=ints["salesbot_max_cell_chars"],
        cadence_per_day=ints["salesbot_cadence_per_day"],
        public_url=(texts["salesbot_public_url"].strip() or f"http://localhost:{ints['port']}").rstrip("/"),
        company_name=texts["salesbot_company_name"].strip())
    return (url if url is not None and url.strip() else None), settings


def chat_core() -> Core:
    """The core `salesbot chat` talks to: the clock of SALESBOT_NOW, the database at head, the settings."""
    from handlers.core import Core
    from storage.db import make_engine
    from storage.migrate import upgrade

    now = clock_from_env()
    plain = plain_settings()
    if plain is None:
        cfg, engine = engine_at_head()
        return Core(engine, clock=now, settings=cfg.core())
    url, settings = plain
    engine = make_engine(url)
    upgrade(engine)
    return Core(engine, clock=now, settings=settings)


def chat(core: Core) -> int:
    """The terminal chat over stdin until its end; the exit code. The database's connections are closed after."""
    from bot.adapters.console.chat import run

    try:
        return run(core)
    finally:
        core.engine.dispose()
