"""``python -m bot link <campaign>``: the deep link a studio prints on a poster, and its QR code.

A prospect who opens ``https://t.me/<bot>?start=<campaign>`` starts the bot with the campaign
as payload; the intake keeps it as the lead's ``externalIdentifier`` and counts the funnel under
it. The campaign is checked against the same rule the intake applies (``bot.campaign``), before
anything is asked of Telegram, so a link that would lose its campaign is never printed. The
bot's username comes from getMe: a link to another bot, or a typo in it, would cost every lead.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path
from typing import Final, NoReturn

import segno

from bot.campaign import RULE, is_campaign
from bot.logging_setup import configure_logging
from bot.settings import SettingsError, TelegramSettings, load_telegram_settings
from bot.telegram_identity import TelegramSignInError, signed_in

# A poster's QR code: 10 pixels a module, and the 4-module quiet zone the standard asks for.
QR_SCALE: Final = 10
QR_BORDER: Final = 4
QR_KINDS: Final = {".png": "png", ".svg": "svg"}
# Telegram's usernames: a letter, then letters, digits and underscores, 4 to 32 in all.
_USERNAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")

USAGE = "python -m bot link CAMPAIGN [--qr FILE.png|FILE.svg]"
DESCRIPTION = f"""Prints the bot's deep link for a campaign, https://t.me/<bot>?start=CAMPAIGN,
and with --qr writes its QR code (PNG or SVG, by the file's extension). The campaign becomes the
lead's externalIdentifier and the funnel's campaign; {RULE} (one starting with - goes
after --: link -- -spring). Needs TELEGRAM_BOT_TOKEN (the
bot's username is read with getMe) and reads TELEGRAM_API_BASE_URL if set. Exit status 0 when
the link is printed (and the QR code written), 2 for a bad campaign, file name or configuration,
1 when Telegram refuses the token or cannot be reached, or the file cannot be written.
"""


class LinkError(Exception):
    """A link or QR code that cannot be made; the message says what to change."""


class CampaignNotAllowed(LinkError):
    """Telegram would not pass the campaign on in a link, so the lead would lose it."""


class QrFormatUnknown(LinkError):
    """The QR code's file name ends in neither ``.png`` nor ``.svg``."""


def check_campaign(campaign: str) -> str:
    """The campaign unchanged, or why a link could not carry it to the intake."""
    if not is_campaign(campaign):
        raise CampaignNotAllowed(f"campaign {campaign!r} is not allowed in a Telegram link: {RULE}")
    return campaign


def deep_link(username: str, campaign: str) -> str:
    """``https://t.me/<bot>?start=<campaign>``; the campaign needs no escaping under the rule."""
    name = username.removeprefix("@")
    if not _USERNAME.fullmatch(name):
        raise LinkError(f"{username!r} is not a Telegram username")
    return f"https://t.me/{name}?start={check_campaign(campaign)}"


def qr_kind(path: Path) -> str:
    """``png`` or ``svg``, from the file's extension (any case)."""
    kind = QR_KINDS.get(path.suffix.lower())
    if kind is None:
        raise QrFormatUnknown(
            f"--qr {str(path)!r}: the QR code is written as PNG or SVG, by the file's "
            "extension: name the file .png or .svg"
        )
    return kind


def write_qr(link: str, path: Path) -> None:
    """The link's QR code (never a Micro QR: phones' cameras do not read those) at ``path``.
    Error correction M at least, so a scuffed or partly covered poster still scans."""
    kind = qr_kind(path)
    code = segno.make_qr(link, error="m")
    code.save(str(path), kind=kind, scale=QR_SCALE, border=QR_BORDER)


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
