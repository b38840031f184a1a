"""``python -m bot report [--studio ID] --days N [--html FILE]``: the funnel table from the bot's
database, and a self-contained page with its chart.

With ``--studio`` one studio's report; without it every studio's: a line per studio, then the
campaigns across studios (for a deployment of one studio, its report as before chains).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.funnel.counts import ChainReport, Funnel, FunnelReport
from bot.marketing.report import chain_table, html_page, table
from bot.marketing.staff_report import DEFAULT_DAYS, MAX_DAYS, question_order
from bot.settings import Settings, SettingsError, load_settings
from bot.storage import open_storage
from bot.studio.information import Source, StudioFallback
from bot.studio.leads_config import stored_config
from conversations.i18n import Translator

STUDIO_ID = re.compile(r"[A-Za-z0-9_]{1,24}")
"""A studio's id in a chain (issue 24)."""


@dataclass(frozen=True)
class Reports:
    """What the command prints: one studio's report, or with several studios the chain's too."""

    report: FunnelReport
    chain: ChainReport | None = None


async def _report(settings: Settings, days: int, studio: str | None) -> Reports:
    storage = await open_storage(settings.database_url)
    try:
        # The settings know one time zone: every studio's days are counted in it here.
        zone = StudioFallback.from_settings(settings).profile(None, Source.NONE).time_zone
        funnel = Funnel(storage, lambda: zone)
        order = question_order(await stored_config(storage))
        if studio is not None:
            return Reports(await funnel.report(days, order, studio=studio))
        chain = await funnel.chain_report(days, order)
        if all(studio is None for studio, _ in chain.studios):
            return Reports(await funnel.report(days, order))
        return Reports(chain.campaigns, chain)
    finally:
        await storage.close()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot report",
        description="The funnel per campaign from the bot's database (DATABASE_URL), days in "
        "the studio's time zone (STUDIO_TIMEZONE, or STUDIO_COUNTRY's).",
    )
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days up to today (30)")
    parser.add_argument(
        "--studio",
        help="one studio of a chain, by its id (default: every studio, a line each, then "
        "the campaigns across studios)",
    )
    parser.add_argument("--html", type=Path, help="also write a self-contained HTML page here")
    args = parser.parse_args(argv)
    if not 1 <= args.days <= MAX_DAYS:
        parser.error(f"--days must be from 1 to {MAX_DAYS}")
    if args.studio is not None and STUDIO_ID.fullmatch(args.studio) is None:
        parser.error("--studio must be a studio id: A-Z a-z 0-9 _ and at most 24 characters")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    reports = asyncio.run(_report(settings, args.days, args.studio))
    tr = Translator(settings.default_locale)
    if reports.chain is not None:
        print(chain_table(reports.chain, tr))
    else:
        print(table(reports.report, tr, studio_name=args.studio))
    if args.html is not None:
        page = html_page(reports.report, tr, studio_name=args.studio, chain=reports.chain)
        try:
            args.html.write_text(page, encoding="utf-8")
        except OSError as exc:
            print(f"could not write {args.html}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"HTML report written to {args.html}", file=sys.stderr)
    return 0
