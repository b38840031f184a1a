"""Process configuration, read once from environment variables.

A missing or malformed variable must stop the process with one clear line naming it, so that an
operator reading the dyno's log sees what to fix without a traceback.
"""

from __future__ import annotations

import inspect
import os
from enum import StrEnum
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.locality import is_time_zone, territory_names

DEFAULT_SQLITE_URL = "sqlite:///leads-bot.sqlite3"


class RunMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class AddressForm(StrEnum):
    INFORMAL = "informal"
    FORMAL = "formal"


class StaffNoticeDetails(StrEnum):
    """What the staff chat is told of a created lead: its customer number (``minimal``), or
    also the prospect's name, e-mail and phone (``full``)."""

    MINIMAL = "minimal"
    FULL = "full"


class SettingsError(Exception):
    """Raised with a one-line, operator-facing message that names the offending variable."""


HTTP_URL = "must start with http:// or https://"
COUNTRY_CODE = "must be an ISO 3166-1 alpha-2 code such as GB, AT or PL"
TIME_ZONE = "must be an IANA time zone such as Europe/London"
PRIVACY_ADDRESS = "must be a web address starting with https://"
# A whole PerfectGym call may take this many per-phase timeouts (the client's own default too).
DEADLINE_PER_TIMEOUT = 1.5
# One outbox attempt validates and creates (a deadline each), then stores: its lease must hold
# this many deadlines, so even an attempt whose lease could not be renewed ends within it.
LEASE_PER_DEADLINE = 3.0
_Url = TypeVar("_Url", str, str | None)


def _web_address(value: _Url, problem: str) -> _Url:
    """Every URL setting: an http(s) address, or unset where the setting is optional."""
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError(problem)
    return value


REMINDER_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0}


def reminder_offsets(text: str) -> tuple[float, ...]:
    """``TRIAL_REMINDERS`` ("24h,2h", "1d,30m", "off") as seconds before the session, longest
    first, each once; a ValueError says what is wrong."""
    if text.strip().lower() in ("off", "none", "0", ""):
        return ()
    offsets = set()
    for part in text.split(","):
        item = part.strip().lower()
        unit = REMINDER_UNITS.get(item[-1:])
        number = item[:-1]
        if (
            unit is None
            or not number.isdigit()
            or not 0 < int(number) * unit <= 14 * REMINDER_UNITS["d"]
        ):
            raise ValueError(
                f"must be times before the session such as 24h,2h or 30m (d, h, m; at most 14d), "
                f"or off; "
                f"not {part.strip()!r}"
            )
        offsets.add(int(number) * unit)
    return tuple(sorted(offsets, reverse=True))


def _unset_if_blank(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class StudioSettings(BaseSettings):
    """Who the bot speaks for and how: all the demo needs to preview a studio's own bot."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    default_locale: str = Field(
        default="en", description="language for prospects whose own has no catalog"
    )
    studio_texts_file: str | None = Field(default=None, description="the studio's own texts (JSON)")
    min_age: int = Field(
        default=16, ge=0, le=100, description="youngest age the studio takes details from"
    )
    studio_name: str | None = Field(
        default=None, description="the studio's name when PerfectGym does not give it"
    )
    studio_country: str | None = Field(
        default=None, description="ISO 3166-1 code (GB, AT) when PerfectGym does not give it"
    )
    studio_timezone: str | None = Field(
        default=None, description="IANA zone for 'today'; default: the country's main zone"
    )
    privacy_url: str | None = Field(
        default=None, description="the studio's privacy notice, linked in the welcome"
    )
    address_form: AddressForm = Field(
        default=AddressForm.INFORMAL, description="informal or formal (German Sie)"
    )

    @field_validator(
        "studio_texts_file",
        "studio_name",
        "studio_country",
        "studio_timezone",
        "privacy_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return _unset_if_blank(value)

    @field_validator("studio_country")
    @classmethod
    def _country_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in territory_names():
            raise ValueError(COUNTRY_CODE)
        return code

    @field_validator("studio_timezone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        if value is not None and not is_time_zone(value):
            raise ValueError(TIME_ZONE)
        return value

    @field_validator("privacy_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        return _web_address(value, PRIVACY_ADDRESS)

    @field_validator("address_form", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


class PerfectGymTimeout(BaseSettings):
    """How long the bot waits for PerfectGym, whichever tenant (or tenants) it speaks to."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    perfectgym_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="PerfectGym silent this long fails a call; a whole call ends after 1.5 times it",
    )

    @property
    def perfectgym_deadline_seconds(self) -> float:
        """The most one PerfectGym call may take, however slowly its answer trickles in."""
        return DEADLINE_PER_TIMEOUT * self.perfectgym_timeout_seconds


class PerfectGymSettings(PerfectGymTimeout):
    """The studio's PerfectGym tenant: all ``studio-texts-template`` needs."""

    perfectgym_api_url: str = Field(
        description="the tenant's base URL, https://<tenant>.open-api.perfectgym.com"
    )
    perfectgym_api_key: SecretStr = Field(
        description="the studio's API key (LEAD_READ, LEAD_WRITE)"
    )

    @field_validator("perfectgym_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _web_address(value, HTTP_URL)


class ChainPerfectGymSettings(PerfectGymTimeout):
    """The bot's PerfectGym tenant: from these two variables, or per studio from STUDIOS_FILE
    (``bot.chain.roster``); ``load_settings`` requires them when STUDIOS_FILE is not set."""

    perfectgym_api_url: str | None = Field(
        default=None,
        description="the tenant's base URL, https://<tenant>.open-api.perfectgym.com "
        "(required unless STUDIOS_FILE is set)",
    )
    perfectgym_api_key: SecretStr | None = Field(
        default=None,
        description="the studio's API key (LEAD_READ, LEAD_WRITE; required unless STUDIOS_FILE "
        "is set)",
    )

    perfectgym_webhook_key: SecretStr | None = Field(
        default=None,
        description="the studio's webhook API key: PerfectGym's events (check-ins, contracts, "
        "cancelled bookings) are taken on POST /perfectgym/webhook (one studio; a chain: "
        "perfectgym_webhook_key_env per studio); a missed trial session is then followed up",
    )

    # Each validator's name is its own: Settings inherits from several bases, and pydantic keeps
    # one validator per name (StudioSettings' ``_blank_is_unset`` would replace this one).
    @field_validator(
        "perfectgym_api_url", "perfectgym_api_key", "perfectgym_webhook_key", mode="before"
    )
    @classmethod
    def _blank_tenant_is_unset(cls, value: object) -> object:
        return _unset_if_blank(value)

    # Not ``_http_url``: TelegramSettings' validator of that name would replace it in Settings,
    # and PERFECTGYM_API_URL would go unchecked.
    @field_validator("perfectgym_api_url")
    @classmethod
    def _perfectgym_url(cls, value: str | None) -> str | None:
        return _web_address(value, HTTP_URL)


class TelegramSettings(BaseSettings):
    """The bot's Telegram identity: all ``link`` needs (getMe for the bot's username)."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    telegram_bot_token: SecretStr = Field(description="the bot's token from @BotFather")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="a local Bot API server or a test double",
    )

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("must look like <digits>:<secret>")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _web_address(value, HTTP_URL)


class Settings(TelegramSettings, StudioSettings, ChainPerfectGymSettings):
    """Everything the bot process needs, with the variable names the issue fixes."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    studios_file: Path | None = Field(
        default=None, description="a chain of studios: their TOML file (README); else one studio"
    )
    database_url: str = Field(
        default=DEFAULT_SQLITE_URL, description="sqlite:///file (one process) or postgres://..."
    )
    webhook_url: str | None = Field(default=None, description="webhook mode when set; else polling")
    port: int = Field(
        default=8080, ge=1, le=65535, description="webhook server, or /health when polling"
    )
    webhook_secret: SecretStr | None = Field(default=None, description="required with WEBHOOK_URL")
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="polling: /health and /metrics here"
    )
    webhook_listen_host: str = Field(default="0.0.0.0", description="the address the webhook binds")
    metrics_listen_host: str = Field(
        default="127.0.0.1", description="the address METRICS_PORT binds (polling)"
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="when set, GET /metrics needs Authorization: Bearer <token>"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING or ERROR"
    )
    staff_chat_id: int | None = Field(default=None, description="chat that is told of every lead")
    staff_notice_details: StaffNoticeDetails = Field(
        default=StaffNoticeDetails.MINIMAL,
        description="minimal: a created lead by its customer number; full: also name and contact",
    )
    config_ttl_seconds: float = Field(
        default=600.0, gt=0, description="leads config cache, seconds"
    )
    outbox_give_up_hours: float = Field(
        default=72.0, gt=0, description="hours after which a lead is no longer retried"
    )
    outbox_retry_base_seconds: float = Field(default=5.0, gt=0, description="first retry delay")
    outbox_lease_seconds: float = Field(
        default=60.0,
        ge=1,
        description="how long one attempt holds a lead (other instances wait); "
        "at least 4.5 times PERFECTGYM_TIMEOUT_SECONDS",
    )
    outbox_rate_limit_seconds: float = Field(
        default=60.0, ge=0, description="pause after a 429 without Retry-After"
    )
    reminder_after_hours: float = Field(
        default=20.0, ge=0, description="one reminder this long after the last answer; 0: none"
    )
    retention_days: int = Field(
        default=30, ge=1, description="unfinished conversations are erased after this many days"
    )
    trial_booking: bool = Field(
        default=False,
        description="on: after the lead, offer to book a free trial session (TRIAL_OFFER_* scopes)",
    )
    trial_reminders: str = Field(
        default="24h,2h",
        description="reminders before a booked trial session, e.g. 24h,2h or 24h,2h,30m; off: none",
    )
    sweep_seconds: float = Field(
        default=60.0, gt=0, description="how often due reminders and idle conversations are sought"
    )
    database_wait_seconds: float = Field(
        default=60.0, ge=0, description="how long start-up waits for an unavailable database"
    )
    studio_health_seconds: float = Field(
        default=60.0,
        gt=0,
        description="a chain: how often a studio out of the choice is asked again",
    )

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return _web_address(value, HTTP_URL)

    @field_validator("trial_reminders")
    @classmethod
    def _trial_reminders(cls, value: str) -> str:
        reminder_offsets(value)  # a ValueError names what is wrong
        return value

    @property
    def trial_reminder_offsets(self) -> tuple[float, ...]:
        """Seconds before the session, longest first; empty when turned off."""
        return reminder_offsets(self.trial_reminders)

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

    @field_validator("staff_notice_details", mode="before")
    @classmethod
    def _lower_details(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator(
        "studios_file",
        "webhook_url",
        "staff_chat_id",
        "webhook_secret",
        "metrics_port",
        "metrics_token",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return _unset_if_blank(value)

    @property
    def run_mode(self) -> RunMode:
        return RunMode.WEBHOOK if self.webhook_url else RunMode.POLLING


_S = TypeVar("_S", bound=BaseSettings)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings, turning pydantic's report into one line per process start."""
    settings = _load(Settings, environ)
    if settings.studios_file is None:  # one studio: its tenant from the environment, as ever
        for name in ("perfectgym_api_url", "perfectgym_api_key"):
            if getattr(settings, name) is None:
                raise SettingsError(f"{name.upper()} is required but not set")
    if settings.run_mode is RunMode.WEBHOOK and settings.webhook_secret is None:
        raise SettingsError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
    shortest = LEASE_PER_DEADLINE * settings.perfectgym_deadline_seconds
    if settings.outbox_lease_seconds < shortest:
        raise SettingsError(
            f"OUTBOX_LEASE_SECONDS must be at least {shortest:g} with PERFECTGYM_TIMEOUT_SECONDS "
            f"{settings.perfectgym_timeout_seconds:g}: one attempt validates, creates and stores "
            "the lead within its lease"
        )
    return settings


def load_studio_settings(environ: dict[str, str] | None = None) -> StudioSettings:
    """The studio's part alone, for the demo and tools that need no token."""
    return _load(StudioSettings, environ)


def load_perfectgym_settings(environ: dict[str, str] | None = None) -> PerfectGymSettings:
    return _load(PerfectGymSettings, environ)


def load_telegram_settings(environ: dict[str, str] | None = None) -> TelegramSettings:
    """The token and API address alone, for tools that only ask Telegram who the bot is."""
    return _load(TelegramSettings, environ)


def declared_order(model: type[BaseSettings]) -> list[str]:
    """The model's variables, its own first, then each base's in method resolution order
    (pydantic lists the last base's first), so ``Settings`` starts with Telegram's."""
    classes = [cls for cls in model.__mro__ if issubclass(cls, BaseSettings)]
    depth = {
        name: next(i for i, cls in enumerate(classes) if name in inspect.get_annotations(cls))
        for name in model.model_fields
    }
    return sorted(model.model_fields, key=depth.__getitem__)


def _load(model: type[_S], environ: dict[str, str] | None) -> _S:
    env = dict(os.environ if environ is None else environ)
    try:
        settings = model.model_validate(
            {key.lower(): value for key, value in env.items() if key.lower() in model.model_fields}
        )
    except ValidationError as exc:
        # In declaration order: a bare environment names TELEGRAM_BOT_TOKEN, not PerfectGym's.
        rank = {name: index for index, name in enumerate(declared_order(model))}
        errors = sorted(
            exc.errors(), key=lambda e: rank.get(str(e["loc"][0]), len(rank)) if e["loc"] else -1
        )
        first = errors[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        reason = (
            "is required but not set"
            if first["type"] == "missing"
            else first["msg"].removeprefix("Value error, ")
        )
        raise SettingsError(f"{name} {reason}") from None
    return settings
