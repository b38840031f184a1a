"""``python -m bot link <campaign>``: print a campaign's deep link and write its QR code.

The bot's username comes from getMe: a link to another bot, or a typo in it, would cost every
lead. Nothing else is asked of Telegram, and no prospect's data is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import NoReturn

from bot.funnel.campaign import RULE
from bot.logging_setup import configure_logging
from bot.marketing.links import LinkError, check_campaign, deep_link, qr_kind, write_qr
from bot.settings import SettingsError, TelegramSettings, load_telegram_settings
from bot.telegram.identity import TelegramSignInError, signed_in

USAGE = "python -m bot link CAMPAIGN [--qr FILE.png|FILE.svg]"
DESCRIPTION = f"""Prints the bot's deep link for a campaign, https://t.me/<bot>?start=CAMPAIGN,
and with --qr writes its QR code (PNG or SVG, by the file's extension). The campaign becomes the
lead's externalIdentifier and the funnel's campaign; {RULE} (one starting with - goes
after --: link -- -spring). Needs TELEGRAM_BOT_TOKEN (the
bot's username is read with getMe) and reads TELEGRAM_API_BASE_URL if set. Exit status 0 when
the link is printed (and the QR code written), 2 for a bad campaign, file name or configuration,
1 when Telegram refuses the token or cannot be reached, or the file cannot be written.
"""


async def bot_username(settings: TelegramSettings) -> str:
    async with signed_in(settings) as bot:
        username = bot.bot.username
    if not username:
        raise TelegramSignInError("getMe gave the bot no username: set one with @BotFather")
    return username


class _Usage(Exception):
    """A command-line mistake, raised instead of argparse's exit so it stays one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr (the caller prints it) and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise _Usage(f"{message}; usage: {USAGE}")


def _parser() -> _Parser:
    parser = _Parser(prog="python -m bot link", usage=USAGE, description=DESCRIPTION)
    parser.add_argument("campaign", help="the deep link's start parameter")
    parser.add_argument("--qr", type=Path, metavar="FILE", help="write the QR code (.png, .svg)")
    return parser


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except _Usage as exc:
        print(exc, file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    campaign: str = args.campaign
    qr: Path | None = args.qr
    try:
        check_campaign(campaign)
        if qr is not None:
            qr_kind(qr)
        settings = load_telegram_settings()
    except LinkError as exc:
        print(exc, file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging("WARNING", [settings.telegram_bot_token.get_secret_value()])
    try:
        link = deep_link(asyncio.run(bot_username(settings)), campaign)
    except (TelegramSignInError, LinkError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(link, flush=True)
    if qr is None:
        return 0
    try:
        write_qr(link, qr)
    except OSError as exc:
        print(
            f"--qr {str(qr)!r}: the QR code cannot be written ({exc.strerror or exc})",
            file=sys.stderr,
        )
        return 1
    print(f"QR code for {link} written to {qr}", file=sys.stderr)
    return 0
