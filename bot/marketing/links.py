"""A campaign's deep link, the one a studio prints on a poster, and its QR code.

A prospect who opens ``https://t.me/<bot>?start=<campaign>`` starts the bot with the campaign
as payload; the intake keeps it as the lead's ``externalIdentifier`` and counts the funnel under
it. The campaign is checked against the same rule the intake applies (``bot.funnel.campaign``), before
anything is asked of Telegram, so a link that would lose its campaign is never printed. The
bot's username comes from getMe: a link to another bot, or a typo in it, would cost every lead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import segno

from bot.funnel.campaign import RULE, is_campaign

# A poster's QR code: 10 pixels a module, and the 4-module quiet zone the standard asks for.
QR_SCALE: Final = 10
QR_BORDER: Final = 4
QR_KINDS: Final = {".png": "png", ".svg": "svg"}
# Telegram's usernames: a letter, then letters, digits and underscores, 4 to 32 in all.
_USERNAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


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
