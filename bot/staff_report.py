"""The funnel as the studio asks for it: ``/report [days]`` in the staff chat, and
``python -m bot report --days N [--html FILE]`` on the server.

Both read the same stored counts and render them with :mod:`bot.funnel_report`, so the chat,
the terminal and the page show the same numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.funnel import Funnel, FunnelReport
from bot.funnel_report import html_page, table
from bot.leads_config import ConfigSource, stored_config
from bot.perfectgym import LeadConfig
from bot.perfectgym_adapter import plan_from_config
from bot.settings import Settings, SettingsError, load_settings
from bot.storage import open_storage
from bot.studio_information import Source
from conversations.i18n import Translator

DEFAULT_DAYS = 30
MAX_DAYS = 366


def days_asked(args: Sequence[str]) -> int | None:
    """The days of ``/report 7``; ``DEFAULT_DAYS`` with none; None for anything else."""
    if not args:
        return DEFAULT_DAYS
    if len(args) == 1 and args[0].isdecimal() and 1 <= int(args[0]) <= MAX_DAYS:
        return int(args[0])
    return None


def usage(tr: Translator) -> str:
    return tr.gettext(
        "Send /report for the last {default} days, or /report 7 for the last 7 "
        "(from 1 to {most} days)."
    ).format(default=DEFAULT_DAYS, most=MAX_DAYS)


def question_order(config: LeadConfig | None) -> tuple[str, ...]:
    """The questions in the order the bot asks them now."""
    return () if config is None else plan_from_config(config).keys


class FunnelReports:
    """Reports over the running bot's funnel, questions in the current config's order."""

    def __init__(self, funnel: Funnel, config: ConfigSource) -> None:
        self._funnel = funnel
        self._config = config

    async def report(self, days: int) -> FunnelReport:
        return await self._funnel.report(days, question_order(await self._config.get()))


async def _report(settings: Settings, days: int) -> FunnelReport:
    from bot.runtime import studio_fallback  # the bot's own wiring, not needed by /report

    storage = await open_storage(settings.database_url)
    try:
        zone = studio_fallback(settings).profile(None, Source.NONE).time_zone
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
