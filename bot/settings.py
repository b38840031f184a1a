"""Process configuration, read once from environment variables.

A missing or malformed variable must stop the process with one clear line naming it, so that an
operator reading the dyno's log sees what to fix without a traceback.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///leads-bot.sqlite3"


class RunMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class SettingsError(Exception):
    """Raised with a one-line, operator-facing message that names the offending variable."""


class Settings(BaseSettings):
    """Everything the bot process needs, with the variable names the issue fixes."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    telegram_bot_token: SecretStr = Field(description="the bot's token from @BotFather")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="a local Bot API server or a test double",
    )
    perfectgym_api_url: str = Field(
        description="the tenant's base URL, https://<tenant>.open-api.perfectgym.com"
    )
    perfectgym_api_key: SecretStr = Field(
        description="the studio's API key (LEAD_READ, LEAD_WRITE)"
    )
    database_url: str = Field(
        default=DEFAULT_SQLITE_URL, description="sqlite:///file (one process) or postgres://..."
    )
    webhook_url: str | None = Field(default=None, description="webhook mode when set; else polling")
    port: int = Field(default=8080, ge=1, le=65535, description="the webhook server's port")
    webhook_secret: SecretStr | None = Field(default=None, description="required with WEBHOOK_URL")
    webhook_listen_host: str = Field(default="0.0.0.0", description="the address the webhook binds")
    default_locale: str = Field(
        default="en", description="language for prospects whose own has no catalog"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING or ERROR"
    )
    staff_chat_id: int | None = Field(default=None, description="chat that is told of every lead")
    config_ttl_seconds: float = Field(
        default=600.0, gt=0, description="leads config cache, seconds"
    )
    outbox_give_up_hours: float = Field(
        default=72.0, gt=0, description="hours after which a lead is no longer retried"
    )
    outbox_retry_base_seconds: float = Field(default=5.0, gt=0, description="first retry delay")
    outbox_rate_limit_seconds: float = Field(
        default=60.0, ge=0, description="pause after a 429 without Retry-After"
    )
    perfectgym_timeout_seconds: float = Field(default=10.0, gt=0, description="per PerfectGym call")
    studio_texts_file: str | None = Field(default=None, description="the studio's own texts (JSON)")
    min_age: int = Field(default=16, ge=0, le=100, description="youngest age the studio takes details from")

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("must look like <digits>:<secret>")
        return value

    @field_validator("telegram_api_base_url", "perfectgym_api_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise ValueError("must be a sqlite://, postgres:// or postgresql:// URL")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "webhook_url", "staff_chat_id", "webhook_secret", "studio_texts_file", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def run_mode(self) -> RunMode:
        return RunMode.WEBHOOK if self.webhook_url else RunMode.POLLING


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings, turning pydantic's report into one line per process start."""
    env = dict(os.environ if environ is None else environ)
    try:
        settings = Settings.model_validate(
            {
                key.lower(): value
                for key, value in env.items()
                if key.lower() in Settings.model_fields
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        reason = (
            "is required but not set"
            if first["type"] == "missing"
            else first["msg"].removeprefix("Value error, ")
        )
        raise SettingsError(f"{name} {reason}") from None
    if settings.run_mode is RunMode.WEBHOOK and settings.webhook_secret is None:
        raise SettingsError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
    return settings
