"""``python -m bot link <campaign> [--studio ID]``: print a campaign's deep link and write its
QR code.

The bot's username comes from getMe: a link to another bot, or a typo in it, would cost every
lead. Nothing else is asked of Telegram, and no prospect's data is touched. With ``--studio``
the link also chooses one of STUDIOS_FILE's studios (``bot.chain.links``); the file is read, but
not the studios' keys: writing a link needs none.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import NoReturn

from bot.chain.links import StartTooLong, split_start, studio_start
from bot.chain.roster import SINGLE_STUDIO_ID, studio_ids
from bot.funnel.campaign import RULE
from bot.logging_setup import configure_logging
from bot.marketing.links import LinkError, check_campaign, deep_link, qr_kind, write_qr
from bot.settings import SettingsError, TelegramSettings, load_telegram_settings
from bot.telegram.identity import TelegramSignInError, signed_in

USAGE = "python -m bot link CAMPAIGN [--studio ID] [--qr FILE.png|FILE.svg]"
DESCRIPTION = f"""Prints the bot's deep link for a campaign, https://t.me/<bot>?start=CAMPAIGN,
and with --qr writes its QR code (PNG or SVG, by the file's extension). The campaign becomes the
lead's externalIdentifier and the funnel's campaign; {RULE} (one starting with - goes
after --: link -- -spring). With --studio ID (one of STUDIOS_FILE's studios, or main without
it) the link also chooses that studio, ?start=ID--CAMPAIGN, and the prospect is not asked
which one; the campaign may then be left out (link --studio ID). Needs TELEGRAM_BOT_TOKEN (the
bot's username is read with getMe) and reads TELEGRAM_API_BASE_URL and STUDIOS_FILE if set.
Exit status 0 when the link is printed (and the QR code written), 2 for a bad campaign, studio,
file name or configuration, 1 when Telegram refuses the token or cannot be reached, or the file
cannot be written.
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
    parser.add_argument(
        "campaign", nargs="?", help="the deep link's campaign (optional with --studio)"
    )
    parser.add_argument("--studio", metavar="ID", help="the studio the link chooses")
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
    campaign: str | None = args.campaign
    studio: str | None = args.studio
    qr: Path | None = args.qr
    try:
        if campaign is not None:
            check_campaign(campaign)
        if qr is not None:
            qr_kind(qr)
        payload = _start_parameter(campaign, studio)
        settings = load_telegram_settings()
    except (LinkError, StartTooLong) as exc:
        print(exc, file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging("WARNING", [settings.telegram_bot_token.get_secret_value()])
    try:
        link = deep_link(asyncio.run(bot_username(settings)), payload)
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


def _start_parameter(campaign: str | None, studio: str | None) -> str:
    """The link's start parameter: the campaign alone as ever, or ``ID--CAMPAIGN``. A chain's
    campaign alone must not read as a studio's choice, or the lead would lose it."""
    file = os.environ.get("STUDIOS_FILE", "").strip()
    ids = studio_ids(Path(file)) if file else (SINGLE_STUDIO_ID,)
    if studio is not None:
        if studio not in ids:
            known = f"the studios: {', '.join(ids)}" if file else "without STUDIOS_FILE: main"
            raise LinkError(f"--studio {studio!r}: no such studio ({known})")
        return studio_start(studio, campaign)
    if campaign is None:
        raise LinkError(f"a campaign or --studio is required; usage: {USAGE}")
    chosen, _ = split_start(campaign, ids)
    if file and chosen is not None:
        raise LinkError(
            f"campaign {campaign!r} would choose the studio {chosen!r} in a link: "
            f"use --studio {chosen} for that studio, or another campaign"
        )
    return campaign
