"""`salesbot chat` reads its settings without pydantic-settings (bot.cli.start.plain_settings): what it reads is
what bot.config.Config reads, and where it could differ it leaves the reading to Config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import start
from bot.config import Config


def _env_name(name: str) -> str:
    field = Config.model_fields[name]
    alias = field.validation_alias
    return (alias if isinstance(alias, str) else f"SALESBOT_{name}").lower()


def test_every_setting_of_config_is_known_by_its_variable() -> None:
    known = set(start._INTS) | set(start._TEXTS) | set(start._OTHERS)
    assert known == {_env_name(name) for name in Config.model_fields}


ENVIRONMENTS: list[dict[str, str]] = [
    {},
    {"DATABASE_URL": "sqlite:////tmp/x.db", "PORT": "9090"},
    {"DATABASE_URL": "   ", "salesbot_rate_limit": "0", "SALESBOT_DEFAULT_LANG": "zh"},
    {"SALESBOT_PUBLIC_URL": " https://crm.example.com/ ", "SALESBOT_COMPANY_NAME": "  Acme  ",
     "SALESBOT_DEFAULT_TZ": "Europe/Berlin", "SALESBOT_PHONE_REGION": "DE", "SALESBOT_MAX_ROWS": "020"},
    {"SALESBOT_CADENCE_PER_DAY": "7", "SALESBOT_MAX_FILE_BYTES": "1000", "SALESBOT_MAX_UNPACKED_BYTES": "5000",
     "SALESBOT_MAX_COLUMNS": "12", "SALESBOT_MAX_CELL_CHARS": "99", "SALESBOT_RATE_WINDOW_S": "3",
     "FEISHU_MODE": "http", "TELEGRAM_BOT_TOKEN": "", "SALESBOT_LOG_LEVEL": "DEBUG", "OTHER": "x"},
]


@pytest.mark.parametrize("environ", ENVIRONMENTS)
def test_plain_settings_read_what_config_reads(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for key in list(os.environ):
        if key.lower() in set(start._INTS) | set(start._TEXTS) | set(start._OTHERS):
            monkeypatch.delenv(key)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    plain = start.plain_settings()
    assert plain is not None
    cfg = Config()
    assert plain == (cfg.database_url, cfg.core())


@pytest.mark.parametrize("environ", [{"PORT": "eighty"}, {"PORT": " 80"}, {"SALESBOT_RATE_LIMIT": "-1"},
                                     {"SALESBOT_MAX_ROWS": "1_000"}, {"FEISHU_MODE": "poll"},
                                     {"PORT": "80", "port": "81"}])
def test_what_might_read_otherwise_is_left_to_config(environ: dict[str, str], tmp_path: Path) -> None:
    assert start.plain_settings(environ, tmp_path / ".env") is None


def test_an_env_file_is_left_to_config(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=9090\n")
    assert start.plain_settings({}, tmp_path / ".env") is None
    assert start.plain_settings({}, tmp_path / "none.env") is not None
