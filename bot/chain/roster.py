"""The studios one bot serves: the one of today's environment, or a chain's from STUDIOS_FILE.

The file is TOML (README, "A chain of studios"); it names each studio's PerfectGym tenant and
the environment variable holding its key, never a key itself. It is read once at start-up, and
any mistake stops the start with one line naming the studio and the field, as a bad
environment variable does (``bot.settings``): an operator reading the dyno's log sees what to fix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NoReturn

from pydantic import SecretStr

from bot.locality import is_time_zone, territory_names
from bot.settings import (
    COUNTRY_CODE,
    HTTP_URL,
    PRIVACY_ADDRESS,
    TIME_ZONE,
    Settings,
    SettingsError,
)

# The id of the one studio an environment without STUDIOS_FILE describes.
SINGLE_STUDIO_ID: Final = "main"
# Short enough that "<id>--<campaign>" leaves a campaign room in Telegram's 64 characters.
MAX_ID_LENGTH: Final = 24
ID_RULE: Final = f"use only A-Z a-z 0-9 _ and at most {MAX_ID_LENGTH} characters"
_ID: Final = re.compile(rf"[A-Za-z0-9_]{{1,{MAX_ID_LENGTH}}}")
_VARIABLE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

TOP_KEYS: Final = ("brand", "staff_chat_id", "studio")
STUDIO_KEYS: Final = (
    "id",
    "perfectgym_api_url",
    "perfectgym_api_key_env",
    "perfectgym_webhook_key_env",
    "staff_chat_id",
    "name",
    "country",
    "timezone",
    "latitude",
    "longitude",
    "city",
    "postcode",
    "privacy_url",
    "texts_file",
)


class RosterError(SettingsError):
    """A one-line, operator-facing message naming STUDIOS_FILE, the studio and the field. A
    ``SettingsError``: whoever reports a bad environment reports a bad file the same way."""


@dataclass(frozen=True)
class StudioSpec:
    """One studio as configured: its tenant and the environment's word on it, used wherever
    PerfectGym's studio information is missing. The keys are ``SecretStr``: a repr shows none."""

    id: str
    api_url: str
    api_key: SecretStr
    webhook_key: SecretStr | None = None
    staff_chat_id: int | None = None
    name: str | None = None
    country: str | None = None
    timezone: str | None = None
    city: str | None = None
    postcode: str | None = None
    privacy_url: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    texts_file: Path | None = None


@dataclass(frozen=True)
class Roster:
    """Every studio the bot serves, in the file's order, and the chain's own staff chat."""

    brand: str | None
    staff_chat_id: int | None
    studios: tuple[StudioSpec, ...]
    from_file: bool

    def ids(self) -> tuple[str, ...]:
        return tuple(studio.id for studio in self.studios)

    def get(self, studio_id: str) -> StudioSpec | None:
        return next((studio for studio in self.studios if studio.id == studio_id), None)

    @property
    def is_chain(self) -> bool:
        """Deep links name a studio (``<id>--<campaign>``): a file names its studios even when
        it names one. Whether a prospect chooses is :attr:`Chain.is_chain` (more than one)."""
        return self.from_file or len(self.studios) > 1

    def secrets(self) -> tuple[str, ...]:
        """Every key's value, for the log filter that masks them."""
        keys = [studio.api_key for studio in self.studios]
        keys += [studio.webhook_key for studio in self.studios if studio.webhook_key is not None]
        return tuple(key.get_secret_value() for key in keys)


def roster_from_settings(settings: Settings, env: Mapping[str, str]) -> Roster:
    """STUDIOS_FILE's chain when it is set, else the one studio of today's environment."""
    if settings.studios_file is not None:
        return load_roster(settings.studios_file, env, staff_chat_id=settings.staff_chat_id)
    return single_studio_roster(settings)


def single_studio_roster(settings: Settings) -> Roster:
    """The studio PERFECTGYM_API_URL, PERFECTGYM_API_KEY (PERFECTGYM_WEBHOOK_KEY) and the
    STUDIO_* variables describe, under the id ``main``; STAFF_CHAT_ID is the chain's chat, as it sees every lead today."""
    if settings.perfectgym_api_url is None:
        raise SettingsError("PERFECTGYM_API_URL is required but not set")
    if settings.perfectgym_api_key is None:
        raise SettingsError("PERFECTGYM_API_KEY is required but not set")
    texts = settings.studio_texts_file
    studio = StudioSpec(
        id=SINGLE_STUDIO_ID,
        api_url=settings.perfectgym_api_url,
        api_key=settings.perfectgym_api_key,
        webhook_key=settings.perfectgym_webhook_key,
        name=settings.studio_name,
        country=settings.studio_country,
        timezone=settings.studio_timezone,
        privacy_url=settings.privacy_url,
        texts_file=Path(texts) if texts is not None else None,
    )
    return Roster(
        brand=None, staff_chat_id=settings.staff_chat_id, studios=(studio,), from_file=False
    )


def load_roster(path: Path, env: Mapping[str, str], *, staff_chat_id: int | None) -> Roster:
    """The chain in ``path``, each studio's keys read from ``env``; ``staff_chat_id`` is
    STAFF_CHAT_ID, the chain's chat when the file names none."""
    return _read(path, env, staff_chat_id)


def studio_ids(path: Path) -> tuple[str, ...]:
    """The ids of the chain in ``path``, the whole file checked but not the environment: a
    tool that only writes links needs no PerfectGym key."""
    return _read(path, None, None).ids()


def _read(path: Path, env: Mapping[str, str] | None, staff_chat_id: int | None) -> Roster:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RosterError(
            f"STUDIOS_FILE {str(path)!r}: cannot be read ({exc.strerror or exc})"
        ) from None
    except UnicodeDecodeError:
        raise RosterError(f"STUDIOS_FILE {str(path)!r}: is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = " ".join(str(exc).split())
        raise RosterError(f"STUDIOS_FILE {str(path)!r}: not valid TOML: {reason}") from None
    top = _Table(data, "STUDIOS_FILE")
    top.only(TOP_KEYS)
    brand = top.text("brand")
    chain_chat = top.integer("staff_chat_id")
    if chain_chat is not None and staff_chat_id is not None and chain_chat != staff_chat_id:
        top.fail(
            "staff_chat_id", "differs from STAFF_CHAT_ID: name the chain's staff chat in one place"
        )
    tables = data.get("studio")
    if tables is None:
        top.fail("studio", "no [[studio]] table: the file describes at least one studio")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        top.fail("studio", "must be [[studio]] tables, one for each studio")
    folder = path.resolve().parent
    studios: list[StudioSpec] = []
    for number, table in enumerate(tables, start=1):
        studio = _studio(table, number, folder, env)
        first = next((i for i, s in enumerate(studios, start=1) if s.id == studio.id), None)
        if first is not None:
            raise RosterError(
                f'STUDIOS_FILE studio "{studio.id}": id: studio #{first} has it too; '
                "each studio's id is its own"
            )
        hook = studio.webhook_key.get_secret_value() if studio.webhook_key else ""
        same = next(
            (
                i
                for i, s in enumerate(studios, start=1)
                if hook and s.webhook_key and s.webhook_key.get_secret_value() == hook
            ),
            None,
        )
        if same is not None:
            # The webhook key is all that says which studio an event is of.
            raise RosterError(
                f'STUDIOS_FILE studio "{studio.id}": perfectgym_webhook_key_env: its value is '
                f"studio #{same}'s webhook key too; each studio's webhook key is its own"
            )
        studios.append(studio)
    return Roster(
        brand=brand,
        staff_chat_id=chain_chat if chain_chat is not None else staff_chat_id,
        studios=tuple(studios),
        from_file=True,
    )


def _studio(
    data: dict[str, object], number: int, folder: Path, env: Mapping[str, str] | None
) -> StudioSpec:
    """One [[studio]] table. Its id comes first, so every later mistake names the studio."""
    table = _Table(data, f"STUDIOS_FILE studio #{number}")
    studio_id = table.required_text("id")
    if not _ID.fullmatch(studio_id):
        table.fail("id", f"{studio_id!r} is not allowed: {ID_RULE}")
    table.where = f'STUDIOS_FILE studio "{studio_id}"'
    table.only(STUDIO_KEYS)
    api_url = table.required_text("perfectgym_api_url")
    if not api_url.startswith(("http://", "https://")):
        table.fail("perfectgym_api_url", HTTP_URL)
    api_key = table.secret("perfectgym_api_key_env", env)
    webhook_key = (
        table.secret("perfectgym_webhook_key_env", env)
        if "perfectgym_webhook_key_env" in data
        else None
    )
    country = table.text("country")
    if country is not None:
        country = country.upper()
        if country not in territory_names():
            table.fail("country", COUNTRY_CODE)
    timezone = table.text("timezone")
    if timezone is not None and not is_time_zone(timezone):
        table.fail("timezone", TIME_ZONE)
    privacy_url = table.text("privacy_url")
    if privacy_url is not None and not privacy_url.startswith(("http://", "https://")):
        table.fail("privacy_url", PRIVACY_ADDRESS)
    latitude = table.number("latitude", 90)
    longitude = table.number("longitude", 180)
    if (latitude is None) != (longitude is None):
        missing, given = (
            ("longitude", "latitude") if longitude is None else ("latitude", "longitude")
        )
        table.fail(missing, f"is required with {given}: give both or neither")
    texts = table.text("texts_file")
    texts_file = None if texts is None else folder / Path(texts).expanduser()
    if texts_file is not None and not texts_file.is_file():
        table.fail("texts_file", f"{str(texts_file)!r} is not a file")
    return StudioSpec(
        id=studio_id,
        api_url=api_url,
        api_key=api_key,
        webhook_key=webhook_key,
        staff_chat_id=table.integer("staff_chat_id"),
        name=table.text("name"),
        country=country,
        timezone=timezone,
        city=table.text("city"),
        postcode=table.text("postcode"),
        privacy_url=privacy_url,
        latitude=latitude,
        longitude=longitude,
        texts_file=texts_file,
    )


class _Table:
    """One TOML table, read key by key; a mistake is one line naming where and which key."""

    def __init__(self, data: dict[str, object], where: str) -> None:
        self.data = data
        self.where = where

    def fail(self, key: str, problem: str) -> NoReturn:
        raise RosterError(f"{self.where}: {key}: {problem}")

    def only(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                raise RosterError(
                    f"{self.where}: {key}: unknown key (allowed: {', '.join(allowed)})"
                )

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(key, 'must be a string, in quotes: key = "value"')
        if not value.strip():
            self.fail(key, "is empty: give a value, or leave the key out")
        return value.strip()

    def required_text(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            self.fail(key, "is required but not given")
        return value

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, "must be a whole number, without quotes")
        return value

    def number(self, key: str, limit: int) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, "must be a number in degrees, without quotes")
        if not -limit <= value <= limit:
            self.fail(key, f"must be between -{limit} and {limit} degrees")
        return float(value)

    def secret(self, key: str, env: Mapping[str, str] | None) -> SecretStr:
        """The value of the variable the key names; never part of a message. Without ``env``
        only the name is checked (the value stands empty, for ``studio_ids`` alone)."""
        name = self.required_text(key)
        if not _VARIABLE.fullmatch(name):
            self.fail(key, f"{name!r} is not the name of an environment variable")
        if env is None:
            return SecretStr("")
        value = env.get(name)
        if value is None:
            self.fail(key, f"the variable {name} is not set")
        if not value.strip():
            self.fail(key, f"the variable {name} is empty")
        return SecretStr(value.strip())
