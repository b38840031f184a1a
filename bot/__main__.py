"""Entry point: ``python -m bot`` runs the bot, ``python -m bot demo`` the terminal demo,
``python -m bot check`` checks a deployment's configuration, ``python -m bot link`` prints a
campaign's deep link (and writes its QR code)."""

from __future__ import annotations

import asyncio
import faulthandler
import os
import sys

from bot.chain.roster import roster_from_settings
from bot.logging_setup import configure_logging
from bot.settings import (
    Settings,
    SettingsError,
    declared_order,
    load_settings,
)
from bot.storage.errors import StorageUnavailable
from bot.storage.sqlite import DatabaseInUseError
from bot.studio.texts import StudioTexts, StudioTextsError

USAGE = """usage: python -m bot [demo [--chain] [--language CODE] | check |
                     link CAMPAIGN [--studio ID] [--qr FILE] | report [--days N] [--html FILE] |
                     studio-texts-template] [--help]

Telegram lead-intake bot for fitness studios on the PerfectGym Next API.

commands:
  (none)                 run the bot: configuration from the environment variables below
  demo                   chat with the bot in this terminal, no credentials needed; --chain:
                         with three stand-in clubs of a chain (demo --help)
  check                  check the configuration below against Telegram, PerfectGym, the
                         database and the studio texts, touching no prospect's data (with
                         STUDIOS_FILE: one line per studio); exit status 0 when the bot can
                         take leads, else 1 (2: bad configuration)
  link CAMPAIGN          print https://t.me/<bot>?start=CAMPAIGN (the bot's username from
                         getMe; needs only TELEGRAM_BOT_TOKEN); --qr FILE.png or FILE.svg also
                         writes its QR code for a poster; --studio ID chooses one of
                         STUDIOS_FILE's studios, ?start=ID--CAMPAIGN (link --help)
  report                 print the funnel per campaign of the last 30 days (--days N) from
                         the database; --html FILE also writes a page with its chart (the
                         same as /report in STAFF_CHAT_ID; report --help)
  studio-texts-template  print a STUDIO_TEXTS_FILE to fill in, from the live leads config
                         (needs PERFECTGYM_API_URL and PERFECTGYM_API_KEY)

environment variables:
"""


def usage() -> str:
    """The sub-commands and every setting, read from the settings model itself."""
    lines = []
    required_first = sorted(
        declared_order(Settings), key=lambda name: not Settings.model_fields[name].is_required()
    )
    for name in required_first:
        field = Settings.model_fields[name]
        required = " (required)" if field.is_required() else ""
        lines.append(f"  {name.upper():<28}{field.description or ''}{required}")
    return USAGE + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] in (["--help"], ["-h"], ["help"]):
        print(usage(), end="")
        return 0
    if argv[:1] == ["demo"]:
        from bot.cli.demo import main as demo_main

        return demo_main(argv[1:])
    if argv[:1] == ["check"]:
        from bot.cli.check import main as check_main

        return check_main(argv[1:])
    if argv[:1] == ["link"]:
        from bot.cli.link import main as link_main

        return link_main(argv[1:])
    if argv[:1] == ["report"]:
        from bot.cli.report import main as report_main

        return report_main(argv[1:])
    if argv[:1] == ["studio-texts-template"]:
        from bot.cli.texts_template import main as template_main

        return template_main()
    if argv:
        print(f"unknown command {argv[0]!r}\n\n{usage()}", file=sys.stderr, end="")
        return 2
    try:
        settings = load_settings()
        roster = roster_from_settings(settings, os.environ)  # a bad STUDIOS_FILE stops here
        texts = StudioTexts.load(settings.studio_texts_file, privacy_url=settings.privacy_url)
    except (SettingsError, StudioTextsError) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(
        settings.log_level,
        [settings.telegram_bot_token.get_secret_value(), *roster.secrets()],
    )
    # A fatal signal (SIGBUS, SIGSEGV) still leaves its lines on stderr.
    faulthandler.enable()
    from bot.runtime import run

    try:
        asyncio.run(run(settings, texts, roster))
    except (StudioTextsError, DatabaseInUseError) as exc:  # found once the bot starts
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except StorageUnavailable as exc:  # still, after start-up's waiting
        print(f"database unavailable: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
