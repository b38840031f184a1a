"""The funnel as the studio asks for it: ``/report [days]`` in the staff chat, and
``python -m bot report --days N [--html FILE]`` on the server (``bot.cli.report``).

Both read the same stored counts and render them with :mod:`bot.marketing.report`, so the chat,
the terminal and the page show the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.funnel.counts import Funnel, FunnelReport
from bot.perfectgym.adapter import plan_from_config
from bot.perfectgym.models import LeadConfig
from bot.studio.leads_config import ConfigSource
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
