"""All configuration in one place, from the environment (and an .env file)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.context import Settings as CoreSettings


class Config(BaseSettings):
    """salesbot's settings; secrets come only from the environment or files."""

    model_config = SettingsConfigDict(env_prefix="SALESBOT_", env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    port: int = Field(default=8080, validation_alias="PORT")
    leads_token: SecretStr | None = Field(default=None, validation_alias="SALESBOT_LEADS_TOKEN")
    tickets_token: SecretStr | None = Field(default=None, validation_alias="SALESBOT_TICKETS_TOKEN")
    log_level: str = "INFO"
    rate_limit: int = 20  # inputs per person per window; 0 turns the limit off
    rate_window_s: int = 10
    max_file_bytes: int = 20 * 1024 * 1024
    max_unpacked_bytes: int = 200 * 1024 * 1024  # what an xlsx/ods may unpack to
    max_rows: int = 1_048_576
    max_columns: int = 1_000
    max_cell_chars: int = 32_767
    default_lang: str = "en"
    default_tz: str = "Asia/Shanghai"
    phone_region: str = "CN"
    cadence_per_day: int = 5  # cadence follow-ups the clock puts on one rep's working day
    # Survey links (/s/TOKEN on the web role): the address customers reach it at; unset, http://localhost:PORT.
    public_url: str = ""
    company_name: str = ""  # the name a survey page shows (none: the page names no company)
    telegram_token: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default="https://api.telegram.org", validation_alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_url: str | None = Field(default=None, validation_alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_WEBHOOK_SECRET")
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")  # Socket Mode
    slack_api_base_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_BASE_URL")
    feishu_app_id: str | None = Field(default=None, validation_alias="FEISHU_APP_ID")
    feishu_app_secret: SecretStr | None = Field(default=None, validation_alias="FEISHU_APP_SECRET")
    feishu_verification_token: SecretStr | None = Field(default=None, validation_alias="FEISHU_VERIFICATION_TOKEN")
    feishu_encrypt_key: SecretStr | None = Field(default=None, validation_alias="FEISHU_ENCRYPT_KEY")
    # Where the Open API lives: Feishu (China), https://open.larksuite.com for Lark, a local stand-in in tests.
    feishu_api_base_url: str = Field(default="https://open.feishu.cn", validation_alias="FEISHU_API_BASE_URL")
    feishu_mode: Literal["ws", "http"] = Field(default="ws", validation_alias="FEISHU_MODE")  # long connection

    @property
    def feishu_on(self) -> bool:
        """Whether Feishu is configured (an app id and its secret)."""
        return bool(self.feishu_app_id and self.feishu_app_secret)

    @field_validator("database_url", "leads_token", "tickets_token", "telegram_token", "telegram_webhook_url",
                     "telegram_webhook_secret", "slack_bot_token", "slack_signing_secret", "slack_app_token",
                     "feishu_app_id", "feishu_app_secret", "feishu_verification_token", "feishu_encrypt_key",
                     mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An .env line like `TELEGRAM_BOT_TOKEN=` means "not configured", not "an empty token".
        return None if isinstance(value, str) and not value.strip() else value

    def core(self) -> CoreSettings:
        """The part of the settings the core needs."""
        return CoreSettings(default_lang=self.default_lang, default_tz=self.default_tz,
                            phone_region=self.phone_region, rate_limit=self.rate_limit,
                            rate_window_s=self.rate_window_s, max_file_bytes=self.max_file_bytes,
                            max_unpacked_bytes=self.max_unpacked_bytes, max_rows=self.max_rows,
                            max_columns=self.max_columns, max_cell_chars=self.max_cell_chars,
                            cadence_per_day=self.cadence_per_day,
                            public_url=(self.public_url.strip() or f"http://localhost:{self.port}").rstrip("/"),
                            company_name=self.company_name.strip())
