"""``python -m bot report --days N [--html FILE]``: the funnel table from the bot's database, and
a self-contained page with its chart."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.funnel.counts import Funnel, FunnelReport
from bot.marketing.report import html_page, table
from bot.marketing.staff_report import DEFAULT_DAYS, MAX_DAYS, question_order
from bot.settings import Settings, SettingsError, load_settings
from bot.storage import open_storage
from bot.studio.information import Source, StudioFallback
from bot.studio.leads_config import stored_config
from conversations.i18n import Translator


async def _report(settings: Settings, days: int) -> FunnelReport:
    storage = await open_storage(settings.database_url)
    try:
        zone = StudioFallback.from_settings(settings).profile(None, Source.NONE).time_zone
        funnel = Funnel(storage, lambda: zone)
        return await funnel.report(days, question_order(await stored_config(storage)))
    finally:
        await storage.close()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot report",
        description="The funnel per campaign from the bot's database (DATABASE_URL), days in "
        "the studio's time zone (STUDIO_TIMEZONE, or STUDIO_COUNTRY's).",
    )
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days up to today (30)")
    parser.add_argument("--html", type=Path, help="also write a self-contained HTML page here")
    args = parser.parse_args(argv)
    if not 1 <= args.days <= MAX_DAYS:
        parser.error(f"--days must be from 1 to {MAX_DAYS}")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    report = asyncio.run(_report(settings, args.days))
    tr = Translator(settings.default_locale)
    print(table(report, tr))
    if args.html is not None:
        try:
            args.html.write_text(html_page(report, tr), encoding="utf-8")
        except OSError as exc:
            print(f"could not write {args.html}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"HTML report written to {args.html}", file=sys.stderr)
    return 0
