"""``python -m bot check``: can this deployment take leads? Asked before (or beside) a start.

Each check reads only: the bot's own identity and webhook from Telegram, the leads config and the
studio's information from PerfectGym, whether the database opens, whether the studio texts file
is valid for that config. No prospect's data is read or written, no lead is validated or created
(so LEAD_WRITE is not checked: only a lead would show it), no webhook is set or deleted.

One line per check, ``ok`` or ``FAIL`` with what to do. The exit status is 0 when the bot can
take leads (token, leads config, database and texts are fine), else 1; a bad configuration exits
2 with one line, as the bot itself does. The webhook and the studio's information are reported
without changing the exit status: a webhook is registered by the bot's first start, and without
STUDIO_READ the environment's STUDIO_NAME and STUDIO_COUNTRY stand in.

With STUDIOS_FILE every studio of the chain is checked, a few at a time (a chain of 200 is not
400 requests at once), and each gets one line (its leads config, information and texts), in the
file's order, then one summary line; the exit status is 1 when any studio cannot take leads.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import TelegramError

from bot.chain.chain import LOAD_CONCURRENCY
from bot.chain.roster import Roster, StudioSpec, roster_from_settings
from bot.logging_setup import Masked, configure_logging
from bot.perfectgym.adapter import (
    additional_fields,
    date_field_ids,
    plan_from_config,
    unsatisfiable_fields,
)
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import (
    PerfectGymAuthError,
    PerfectGymError,
    PerfectGymProtocolError,
    PerfectGymRejected,
    PerfectGymUnavailable,
)
from bot.perfectgym.models import LeadConfig, StudioInformation
from bot.settings import Settings, SettingsError, load_settings
from bot.storage import open_storage
from bot.storage.postgres import SCHEMA_VERSION, SchemaTooNewError
from bot.storage.sqlite import DatabaseInUseError
from bot.studio.texts import StudioTexts, StudioTextsError
from bot.telegram.identity import TelegramSignInError, describe, origin, signed_in

CHECK_TIMEOUT_SECONDS = 30.0
# Studios named in the summary line before "and N more".
SUMMARY_NAMES = 10
USAGE = """usage: python -m bot check

Checks the configuration in the environment against Telegram, PerfectGym, the database and the
studio texts file, without touching any prospect's data; one line per check. With STUDIOS_FILE,
one line per studio (its leads config, information and texts) and a summary line. Exit status 0
when the bot can take leads (token, leads config, database, studio texts; with STUDIOS_FILE,
every studio), 1 when it cannot, 2 for a bad configuration.
"""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    essential: bool = True

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAIL':<4} {self.name}: {self.detail}"


def can_take_leads(checks: list[Check]) -> bool:
    return all(check.ok for check in checks if check.essential)


async def check_telegram(settings: Settings) -> list[Check]:
    """getMe for the token; getWebhookInfo when WEBHOOK_URL is set."""
    try:
        async with signed_in(settings) as bot:
            me = bot.bot
            checks = [Check("telegram", True, f"the token belongs to @{me.username} (id {me.id})")]
            if settings.webhook_url:
                checks.append(await _check_webhook(bot, settings.webhook_url))
            return checks
    except TelegramSignInError as exc:
        return [Check("telegram", False, str(exc))]


async def _check_webhook(bot: Bot, webhook_url: str) -> Check:
    try:
        info = await bot.get_webhook_info()
    except TelegramError as exc:
        return Check("webhook", False, f"getWebhookInfo failed ({describe(exc)})", False)
    if info.url == webhook_url:
        detail = f"registered at WEBHOOK_URL, {info.pending_update_count} update(s) pending"
        if info.last_error_message:
            return Check(
                "webhook",
                False,
                f"{detail}, but Telegram's last delivery failed ({info.last_error_message}): "
                "check that the web process is up and WEBHOOK_URL reaches it",
                essential=False,
            )
        return Check("webhook", True, detail, essential=False)
    registered = f"{origin(info.url)}…" if info.url else "no webhook"
    return Check(
        "webhook",
        False,
        f"Telegram has {registered} registered, not WEBHOOK_URL: the bot sets it when it "
        "starts in webhook mode; start the web process, or unset WEBHOOK_URL for polling",
        essential=False,
    )


async def check_perfectgym(settings: Settings) -> tuple[list[Check], LeadConfig | None]:
    """The leads config (the key's LEAD_READ), then the studio's information (STUDIO_READ)."""
    # Without STUDIOS_FILE: the environment's one studio (a file's studios: check_studios).
    tenant = roster_from_settings(settings, os.environ).studios[0]
    try:
        client = PerfectGymClient(
            tenant.api_url,
            tenant.api_key.get_secret_value(),
            timeout=settings.perfectgym_timeout_seconds,
        )
    except ValueError as exc:
        return [Check("perfectgym", False, f"{exc}: check PERFECTGYM_API_KEY")], None
    async with client:
        try:
            config = await client.get_config()
        except PerfectGymError as exc:
            return [Check("perfectgym", False, _config_failure(exc))], None
        fields = additional_fields(config)
        checks = [
            Check(
                "perfectgym",
                True,
                f"the leads config is readable ({len(fields)} additional field(s)); "
                "LEAD_WRITE is not checked (only a lead would show it)",
            ),
            await _check_studio(client, settings),
        ]
    return checks, config


def _config_failure(
    exc: PerfectGymError,
    key: str = "PERFECTGYM_API_KEY",
    url: str = "PERFECTGYM_API_URL",
    where: str = "GET /v1/leads/config",
) -> str:
    """What went wrong and what to set; ``key`` and ``url`` name where the operator sets them
    (the environment's variables, or a STUDIOS_FILE studio's fields)."""
    if isinstance(exc, PerfectGymAuthError):
        return (
            f"{where} refused the API key (HTTP {exc.status}): set {key} to the "
            "studio's key with the LEAD_READ and LEAD_WRITE scopes"
        )
    if isinstance(exc, PerfectGymUnavailable) and exc.status is None:
        return (
            f"PerfectGym not reachable ({exc}): check {url} "
            "(https://<tenant>.open-api.perfectgym.com) and the network"
        )
    if isinstance(exc, PerfectGymUnavailable):
        return f"{where} failed ({exc}): PerfectGym is having trouble; check again later"
    if isinstance(exc, PerfectGymRejected | PerfectGymProtocolError):
        return (
            f"{where} gave no leads config ({exc}): check that {url} is the "
            "tenant's base URL, https://<tenant>.open-api.perfectgym.com"
        )
    return f"{where} failed ({exc}): check {url}"


async def _check_studio(client: PerfectGymClient, settings: Settings) -> Check:
    fallback = ", ".join(
        f"{name}={value}"
        for name, value in (
            ("STUDIO_NAME", settings.studio_name),
            ("STUDIO_COUNTRY", settings.studio_country),
        )
        if value
    )
    stand_in = (
        f"STUDIO_NAME/STUDIO_COUNTRY are used ({fallback})"
        if fallback
        else "STUDIO_NAME/STUDIO_COUNTRY are used (neither is set: the texts say 'the studio')"
    )
    try:
        studio = await client.get_studio_information()
    except PerfectGymAuthError as exc:
        if exc.status == 403:
            return Check("studio", True, f"the key has no STUDIO_READ: {stand_in}", False)
        return Check("studio", False, f"GET /v1/studios/information failed ({exc})", False)
    except PerfectGymRejected as exc:
        if exc.status == 404:
            return Check("studio", True, f"PerfectGym has no studio information: {stand_in}")
        return Check("studio", False, f"GET /v1/studios/information failed ({exc})", False)
    except PerfectGymError as exc:
        return Check(
            "studio", False, f"GET /v1/studios/information failed ({exc}): {stand_in}", False
        )
    named = ", ".join(part for part in (studio.name, studio.country_code) if part)
    return Check("studio", True, f"PerfectGym names the studio ({named or 'blank'})", False)


async def check_database(settings: Settings) -> Check:
    url = settings.database_url
    if url.startswith("sqlite:"):
        path = _path_from_url(url)
        shown = f"SQLite {path}"
        note = " (one process; on a PaaS use PostgreSQL)"
        missing = _sqlite_file_missing(path, shown, note)
        if missing is not None:
            return missing
    else:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
        shown = f"PostgreSQL {parts.hostname or 'localhost'}{port}{parts.path}"
        note = ""
    try:
        storage = await asyncio.wait_for(open_storage(url), CHECK_TIMEOUT_SECONDS)
    except DatabaseInUseError:
        return Check("database", True, f"{shown} is in use by the running bot{note}")
    except SchemaTooNewError as exc:
        return Check(
            "database", False, f"{shown}: {exc}; deploy the newer release or a fresh database"
        )
    except Exception as exc:
        return Check(
            "database",
            False,
            f"{shown} cannot be opened ({describe(exc)}): check DATABASE_URL "
            "(on a PaaS, the PostgreSQL add-on sets it)",
        )
    await storage.close()
    version = "" if url.startswith("sqlite:") else f", schema version {SCHEMA_VERSION}"
    return Check("database", True, f"{shown} opens{version}{note}")


def _sqlite_file_missing(path: str, shown: str, note: str) -> Check | None:
    """A file that does not exist yet is not created here (the check leaves no trace): the
    bot's first start creates it, if its folder is writable."""
    if path == ":memory:" or Path(path).exists():
        return None
    folder = Path(path).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if os.access(folder, os.W_OK):
        return Check("database", True, f"{shown} is created at the first start{note}")
    return Check("database", False, f"{shown} cannot be created in {folder}: check DATABASE_URL")


def _path_from_url(url: str) -> str:
    """As the SQLite storage reads it: ``sqlite:///relative.db``, ``sqlite:////abs/path.db``."""
    rest = url.removeprefix("sqlite://")
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    return rest.removeprefix("/") if rest.startswith("/") else rest


def check_texts(settings: Settings, config: LeadConfig | None) -> Check:
    if settings.studio_texts_file is None:
        return Check("studio texts", True, "STUDIO_TEXTS_FILE not set: the bot's own texts")
    try:
        texts = StudioTexts.load(settings.studio_texts_file, privacy_url=settings.privacy_url)
        if config is not None:
            texts.check_fields(additional_fields(config), date_fields=date_field_ids(config))
    except StudioTextsError as exc:
        return Check("studio texts", False, f"{exc}: fix the file or STUDIO_TEXTS_FILE")
    if config is None:
        return Check(
            "studio texts",
            True,
            f"{settings.studio_texts_file} is valid; its fields are checked once the leads "
            "config is readable",
        )
    return Check(
        "studio texts", True, f"{settings.studio_texts_file} is valid for the leads config"
    )


# The STUDIOS_FILE fields an operator sets when a studio's tenant refuses or cannot be reached.
_STUDIO_KEY = "the variable its perfectgym_api_key_env names"
_STUDIO_URL = "its perfectgym_api_url"


async def check_studio(spec: StudioSpec, settings: Settings) -> Check:
    """One studio of a chain, on one line: can it take leads (its key reads the leads config,
    the bot can ask what the config demands, its texts fit the config), and what the choice of
    club shows of it (name, city, whether it can be found by distance)."""
    # Before PerfectGym answers, only the file can name the studio.
    filed = f"{spec.name}: " if spec.name else ""
    try:
        client = PerfectGymClient(
            spec.api_url,
            spec.api_key.get_secret_value(),
            timeout=settings.perfectgym_timeout_seconds,
        )
    except ValueError as exc:
        return Check(spec.id, False, f"{filed}{exc}: check {_STUDIO_KEY}")
    async with client:
        try:
            config = await client.get_config()
        except PerfectGymError as exc:
            failure = _config_failure(exc, _STUDIO_KEY, _STUDIO_URL)
            return Check(spec.id, False, f"{filed}{failure}")
        information, note = await _studio_information(client)
    named = _studio_named(spec, information)
    unaskable = unsatisfiable_fields(config)
    if unaskable:
        ids = ", ".join(str(field_id) for field_id in unaskable)
        return Check(
            spec.id,
            False,
            f"{named}: the leads config has MANDATORY additional field(s) the bot cannot ask "
            f"({ids}): PerfectGym would refuse every lead; make them OPTIONAL or fix their type",
        )
    try:
        path = str(spec.texts_file) if spec.texts_file is not None else None
        texts = StudioTexts.load(path, privacy_url=spec.privacy_url)
        texts.check_fields(additional_fields(config), date_fields=date_field_ids(config))
    except StudioTextsError as exc:
        return Check(spec.id, False, f"{named}: {exc}: fix the studio's texts_file")
    parts = [f"{_questions(config)} questions"]
    parts.append("its texts_file fits the leads config" if spec.texts_file else "the bot's texts")
    location = information.location if information is not None else None
    if (location is None or location.point() is None) and spec.latitude is None:
        parts.append("no location: not offered by distance (set latitude and longitude)")
    if note:
        parts.append(note)
    return Check(spec.id, True, f"{named}: {', '.join(parts)}")


async def _studio_information(client: PerfectGymClient) -> tuple[StudioInformation | None, str]:
    """The studio's information, or a note on why the file's fields stand in for it."""
    try:
        return await client.get_studio_information(), ""
    except PerfectGymAuthError as exc:
        if exc.status == 403:
            return None, "no STUDIO_READ: the file's name and place are used"
        return None, f"GET /v1/studios/information failed ({exc})"
    except PerfectGymRejected as exc:
        if exc.status == 404:
            return None, "PerfectGym has no studio information: the file's name and place are used"
        return None, f"GET /v1/studios/information failed ({exc})"
    except PerfectGymError as exc:
        return None, f"GET /v1/studios/information failed ({exc})"


def _studio_named(spec: StudioSpec, information: StudioInformation | None) -> str:
    """The club as the prospect's choice names it: PerfectGym's name and city, else the file's."""
    name = (information.name if information else None) or spec.name or "no name"
    city = (information.city if information else None) or spec.city
    return f"{name} ({city})" if city and city not in name else name


def _questions(config: LeadConfig) -> int:
    """How many questions a prospect is asked (the address's lines count as one)."""
    plan = plan_from_config(config)
    return len({question.group or question.key for question in plan.questions})


async def check_studios(
    roster: Roster, settings: Settings, report: Callable[[Check], None]
) -> list[Check]:
    """Every studio, ``LOAD_CONCURRENCY`` at a time, reported in the file's order as soon as
    it and those before it are known."""
    gate = asyncio.Semaphore(LOAD_CONCURRENCY)

    async def one(spec: StudioSpec) -> Check:
        async with gate:
            return await check_studio(spec, settings)

    tasks = [asyncio.ensure_future(one(spec)) for spec in roster.studios]
    done: list[Check] = []
    try:
        for task in tasks:
            check = await task
            report(check)
            done.append(check)
    finally:
        for task in tasks:
            task.cancel()
    return done


def summary(studios: list[Check]) -> str:
    """The chain in one line: how many studios can take leads, and which cannot."""
    failing = [check.name for check in studios if not check.ok]
    line = f"{len(studios) - len(failing)} of {len(studios)} studios can take leads"
    if not failing:
        return line
    shown = ", ".join(failing[:SUMMARY_NAMES])
    more = len(failing) - SUMMARY_NAMES
    return f"{line}; {len(failing)} cannot: {shown}" + (f" and {more} more" if more > 0 else "")


async def run_checks(
    settings: Settings,
    report: Callable[[Check], None],
    roster: Roster | None = None,
    say: Callable[[str], None] | None = None,
) -> list[Check]:
    """Every check in turn, each reported as soon as it is known; a STUDIOS_FILE ``roster``'s
    studios one line each, then their summary (``say``)."""
    done: list[Check] = []

    def add(*checks: Check) -> None:
        for check in checks:
            report(check)
            done.append(check)

    add(*await check_telegram(settings))
    if roster is not None and roster.from_file:
        add(await check_database(settings))
        studios = await check_studios(roster, settings, report)
        done.extend(studios)
        if say is not None:
            say(summary(studios))
        return done
    perfectgym, config = await check_perfectgym(settings)
    add(*perfectgym)
    add(await check_database(settings))
    add(check_texts(settings, config))
    return done


def main(argv: list[str]) -> int:
    if argv[:1] in (["--help"], ["-h"]):
        print(USAGE, end="")
        return 0
    if argv:
        print(f"unknown argument {argv[0]!r}\n\n{USAGE}", file=sys.stderr, end="")
        return 2
    try:
        settings = load_settings()
        roster = roster_from_settings(settings, os.environ)  # a bad STUDIOS_FILE: exit 2 here
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    secrets = (settings.telegram_bot_token.get_secret_value(), *roster.secrets())
    configure_logging("WARNING", secrets)
    mask = Masked(*secrets)

    def say(line: str) -> None:
        print(mask(line), flush=True)

    def report(check: Check) -> None:
        say(check.line())

    checks = asyncio.run(run_checks(settings, report, roster, say))
    return 0 if can_take_leads(checks) else 1
