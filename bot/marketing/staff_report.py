"""The funnel as the studio asks for it: ``/report [days]`` in the staff chat, and
``python -m bot report --days N [--html FILE]`` on the server (``bot.cli.report``).

Both read the same stored counts and render them with :mod:`bot.marketing.report`, so the chat,
the terminal and the page show the same numbers.

In a chain, a studio's staff chat sees its studio's report, and the chain's chat a line per
studio above the campaigns summed across studios (:class:`StaffReport`); :class:`ReportScopes`
says which chats are staff's and which of the two each one sees.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.chain.chain import Chain
from bot.funnel.counts import ChainReport, Funnel, FunnelReport
from bot.marketing.report import Names, chain_table_html, period, table_html
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

    async def report(self, days: int, *, studio: str | None = None) -> FunnelReport:
        """One studio's report (``None``: the single studio's)."""
        order = question_order(await self._config.get())
        return await self._funnel.report(days, order, studio=studio)

    async def chain(
        self, days: int, *, studios: Collection[str | None] | None = None
    ) -> ChainReport:
        """The chain's report: ``studios`` in this order (``None``: every studio counted)."""
        order = question_order(await self._config.get())
        return await self._funnel.chain_report(days, order, studios=studios)


@dataclass(frozen=True)
class Answer:
    """What /report sends: the table (HTML parse mode), then, when there is anything to draw,
    the chart of ``chart`` (drawn by the caller, off the event loop) with ``caption``."""

    text_html: str
    chart: FunnelReport | None
    caption: str
    studio_name: str | None = None  # the chart's title names the studio as the table's does


class StaffReport:
    """/report for a set of studios: a studio's staff chat gets that studio's report (as with
    one studio), the chain's chat a line per studio and the campaigns across studios.

    ``studios`` are the chain's studios in the order its summary lists them (``None``: every
    studio that counted a step); ``names`` what staff call them.
    """

    def __init__(
        self,
        reports: FunnelReports,
        *,
        studios: Sequence[str | None] | None = None,
        names: Names | None = None,
    ) -> None:
        self._reports = reports
        self._studios = studios
        self._names = names

    async def studio(
        self, days: int, tr: Translator, *, studio: str | None = None, name: str | None = None
    ) -> Answer:
        """A studio's staff chat: its own report, as with one studio (``name``: titled with
        the studio's name)."""
        report = await self._reports.report(days, studio=studio)
        return Answer(
            table_html(report, tr, studio_name=name),
            report if report.campaigns else None,
            period(report, tr),
            name,
        )

    async def chain(
        self, days: int, tr: Translator, *, studios: Sequence[str | None] | None = None
    ) -> Answer:
        """The chain's chat: every studio, one line each, then the campaigns across studios
        (``studios``: these instead of the chain's)."""
        report = await self._reports.chain(
            days, studios=self._studios if studios is None else studios
        )
        campaigns = report.campaigns
        return Answer(
            chain_table_html(report, tr, names=self._names),
            campaigns if campaigns.campaigns else None,
            period(campaigns, tr),
        )


@dataclass(frozen=True)
class Scope:
    """What /report shows in one staff chat: one studio's report, or (``lines``) a line per
    studio of ``studios`` above their campaigns."""

    studios: tuple[str | None, ...]
    lines: bool


def staff_scopes(chain: Chain) -> dict[int, Scope]:
    """Every staff chat of the chain and what it sees: the chain's chat every studio, a
    club's chat its club (the clubs sharing a chat, a line each). With one studio, its chats
    (the environment's STAFF_CHAT_ID) see its report as before chains."""
    if not chain.is_chain:
        only = (chain.club(None).storage_key,)
        return {chat: Scope(only, lines=False) for chat in chain.staff_chats(None)}
    by_chat: dict[int, list[str | None]] = {}
    for club in chain.clubs:
        if club.staff_chat_id is not None:
            by_chat.setdefault(club.staff_chat_id, []).append(club.storage_key)
    scopes = {chat: Scope(tuple(keys), lines=len(keys) > 1) for chat, keys in by_chat.items()}
    if chain.staff_chat_id is not None:
        every = tuple(club.storage_key for club in chain.clubs)
        scopes[chain.staff_chat_id] = Scope(every, lines=True)
    return scopes


class ReportScopes:
    """The chats where staff may ask for /report and press staff buttons, and the report each
    one gets. Nowhere else: a prospect's chat, or a group the bot was added to, sees none.

    A studio's questions are ordered as its own configuration asks them; the chain's as the
    first studio's. Names are read when asked (a club's name arrives with its information).
    """

    def __init__(self, chain: Chain, funnel: Funnel) -> None:
        self._chain = chain
        self._funnel = funnel
        self._scopes = staff_scopes(chain)

    def ids(self) -> tuple[int, ...]:
        return tuple(self._scopes)

    def scope(self, chat_id: int) -> Scope | None:
        return self._scopes.get(chat_id)

    async def answer(self, chat_id: int, days: int, tr: Translator) -> Answer | None:
        """The report for ``chat_id``; ``None`` when it is no staff chat."""
        scope = self._scopes.get(chat_id)
        if scope is None:
            return None
        if not scope.lines:
            [studio] = scope.studios
            club = self._chain.club(studio)
            staff = StaffReport(FunnelReports(self._funnel, club.config))
            # A chain's studio is named; the single studio's report stays as before chains.
            name = club.name if self._chain.is_chain else None
            return await staff.studio(days, tr, studio=studio, name=name)
        names = {club.storage_key: club.name for club in self._chain.clubs}
        staff = StaffReport(
            FunnelReports(self._funnel, self._chain.club(None).config),
            studios=scope.studios,
            names=names,
        )
        return await staff.chain(days, tr)
