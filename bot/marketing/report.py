"""The funnel report as people read it: a monospace table for Telegram, a chart, an HTML page.

One module renders all three from a :class:`~bot.funnel.counts.FunnelReport` so /report, the CLI and
the page can never disagree about a number. Every word goes through the staff's
:class:`~conversations.i18n.Translator`; dates and numbers through Babel in its locale.

A chain's report (:class:`~bot.funnel.counts.ChainReport`) is a line per studio (started, leads
created, their share) above the campaigns table summed across studios; one studio's report may
name the studio in its title.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import babel.dates
import babel.numbers

from bot.funnel.counts import (
    BOOKING,
    CONTRACT,
    CampaignFunnel,
    ChainReport,
    FunnelReport,
    Stage,
)
from conversations.i18n import Translator

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TABLE_CAMPAIGNS = 8
"""Campaign rows in the Telegram table; the rest are summed into one row, so the table stays
narrow enough to read on a phone and far below Telegram's 4096 characters."""
CHART_CAMPAIGNS = 5
"""Lines in the chart; more are indistinguishable by colour."""
TELEGRAM_BUDGET = 3500
"""Most characters :func:`table_html` may return: Telegram refuses messages over 4096, and
the caller may add a line or two."""
LABEL_WIDTH = 16
"""Widest campaign label in the monospace table; longer ones are cut with "…"."""
QUESTION_WIDTH = 22
"""Widest question key in the monospace table: the adapter's longest, "address.countryCode",
fits whole."""
TABLE_STUDIOS = 20
"""Studio lines in the Telegram chain summary; the rest are summed into one line, so the
campaigns table still fits the same message."""
CHART_SIZE_PX = (1200, 700)
CHART_DPI = 100

# The table's columns: the stage and its header, short for the monospace table and full for
# the HTML page. Lambdas so the strings are extracted for the catalogs and translated late.
Header = Callable[[Translator], str]
COLUMNS: tuple[tuple[Stage, Header, Header], ...] = (
    (Stage.STARTED, lambda tr: tr.gettext("start"), lambda tr: tr.gettext("Started")),
    (Stage.SUMMARY, lambda tr: tr.gettext("summ"), lambda tr: tr.gettext("Saw summary")),
    (Stage.CONFIRMED, lambda tr: tr.gettext("conf"), lambda tr: tr.gettext("Confirmed")),
    (Stage.CREATED, lambda tr: tr.gettext("lead"), lambda tr: tr.gettext("Lead created")),
    (Stage.DUPLICATE, lambda tr: tr.gettext("dupl"), lambda tr: tr.gettext("Duplicate")),
    (Stage.INVALID, lambda tr: tr.gettext("inval"), lambda tr: tr.gettext("Invalid")),
    (Stage.CANCELLED, lambda tr: tr.gettext("canc"), lambda tr: tr.gettext("Cancelled")),
    (Stage.FORGOTTEN, lambda tr: tr.gettext("forg"), lambda tr: tr.gettext("Forgotten")),
)


# The funnel to the contract: the steps after the conversation, with a short header for the
# monospace table and a full one for the page and the chart.
CONTRACT_HEADERS: dict[Stage, tuple[Header, Header]] = {
    Stage.STARTED: (lambda tr: tr.gettext("start"), lambda tr: tr.gettext("Started")),
    Stage.CREATED: (lambda tr: tr.gettext("lead"), lambda tr: tr.gettext("Lead created")),
    Stage.BOOKED: (lambda tr: tr.gettext("trial"), lambda tr: tr.gettext("Trial booked")),
    Stage.ATTENDED: (lambda tr: tr.gettext("visit"), lambda tr: tr.gettext("Came in")),
    Stage.MEMBER: (lambda tr: tr.gettext("member"), lambda tr: tr.gettext("Member")),
}
CONTRACT_STUDIOS = 8
"""Studio lines in the Telegram table of the chain's funnel to the contract; the rest summed."""


@dataclass(frozen=True)
class Row:
    """One line of the table: a campaign, the sum of the smaller ones, or the total."""

    label: str
    funnel: CampaignFunnel
    kind: Literal["campaign", "other", "total"] = "campaign"  # the HTML row's class


def period(report: FunnelReport, tr: Translator) -> str:
    """The report's days as the locale writes a range: "1 - 30 Nov 2026" in British English
    (with an en dash and thin spaces), "1.-30. Nov. 2026" in German."""
    return str(
        babel.dates.format_interval(
            report.first_day, report.last_day, "yMMMd", locale=tr.written_in
        )
    )


def campaign_label(campaign: str | None, tr: Translator) -> str:
    return tr.gettext("no campaign") if campaign is None else campaign


Names = Mapping[str | None, str]
"""Studio ids to what staff call them; an id without a name is shown as the id."""


def studio_label(studio: str | None, tr: Translator, names: Names | None = None) -> str:
    """A studio as the chain's staff read it: its name, else its id; the single studio (the
    counts from before the chain had studios) as "main studio"."""
    if names is not None and studio in names:
        return names[studio]
    return tr.gettext("main studio") if studio is None else studio


def title(report: FunnelReport, tr: Translator, studio_name: str | None = None) -> str:
    """The report's heading, with the studio's name when there is one to tell apart."""
    if studio_name is None:
        return tr.gettext("Funnel {period}").format(period=period(report, tr))
    return tr.gettext("Funnel {period}, {studio}").format(
        period=period(report, tr), studio=studio_name
    )


def merged(funnels: Iterable[CampaignFunnel], order: Sequence[str]) -> CampaignFunnel:
    """Several campaigns' counts as one (for the other campaigns' row and the total), questions in ``order`` first and then by name (as
    :meth:`FunnelReport.of` orders them)."""
    stages: dict[Stage, int] = {}
    questions: dict[str, int] = {}
    waits: dict[int, int] = {}
    for funnel in funnels:
        for stage, count in funnel.stages.items():
            stages[stage] = stages.get(stage, 0) + count
        for key, count in funnel.questions:
            questions[key] = questions.get(key, 0) + count
        for minutes, count in funnel.waits:
            waits[minutes] = waits.get(minutes, 0) + count
    return CampaignFunnel(
        None,
        stages,
        tuple(sorted(questions.items(), key=_rank(order))),
        tuple(sorted(waits.items())),
    )


def _rank(order: Sequence[str]) -> Callable[[tuple[str, int]], tuple[int, str]]:
    def rank(item: tuple[str, int]) -> tuple[int, str]:
        key = item[0]
        return (order.index(key), "") if key in order else (len(order), key)

    return rank


def rows(report: FunnelReport, tr: Translator, limit: int | None = TABLE_CAMPAIGNS) -> list[Row]:
    """The ``limit`` busiest campaigns, then the rest summed, then the total when there is
    more than one row (``limit=None``: every campaign)."""
    shown = report.campaigns if limit is None else report.campaigns[:limit]
    rest = report.campaigns[len(shown) :]
    result = [Row(campaign_label(c.campaign, tr), c) for c in shown]
    if rest:
        other = merged(rest, report.question_order)
        result.append(Row(tr.gettext("other campaigns"), other, "other"))
    if len(result) > 1:
        total = merged(report.campaigns, report.question_order)
        result.append(Row(tr.gettext("total"), total, "total"))
    return result


def reached(report: FunnelReport) -> tuple[tuple[str, int], ...]:
    """How many prospects reached each question over the whole period, in the config's order."""
    return merged(report.campaigns, report.question_order).questions


def _number(value: int, tr: Translator) -> str:
    return str(babel.numbers.format_decimal(value, locale=tr.written_in))


def _started(report: FunnelReport) -> int:
    return report.total(Stage.STARTED)


def _share(count: int, started: int, tr: Translator) -> str:
    """``count`` as a share of the conversations started ("88%"); a dash when none started
    in the period (all were carried over from before it)."""
    if not started:
        return "\u2013"
    return str(babel.numbers.format_percent(count / started, locale=tr.written_in))


def _width(text: str) -> int:
    """Columns the text takes in a monospace font: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _cut(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    while _width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def _left(text: str, width: int) -> str:
    text = _cut(text, width)
    return text + " " * (width - _width(text))


def _right(text: str, width: int) -> str:
    return " " * (width - _width(text)) + text


def _grid(header: list[str], body: list[list[str]], label_width: int) -> list[str]:
    """Aligned lines: the first column left, the others right, a rule under the header."""
    widths = [max(_width(line[i]) for line in [header, *body]) for i in range(len(header))]
    widths[0] = min(widths[0], label_width)

    def line(cells: list[str]) -> str:
        first = _left(cells[0], widths[0])
        rest = (_right(cell, width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return " ".join([first, *rest]).rstrip()

    return [line(header), "-" * (sum(widths) + len(widths) - 1), *map(line, body)]


def _empty(tr: Translator) -> str:
    return tr.gettext("No conversations in this period.")


def _more(tr: Translator, count: int) -> str:
    return tr.ngettext("… and {count} more question", "… and {count} more questions", count).format(
        count=count
    )


def _escaped_length(lines: Iterable[str]) -> int:
    """Characters the lines take in a ``<pre>`` message, newlines included."""
    return sum(len(html.escape(line, quote=False)) + 1 for line in lines)


def table(
    report: FunnelReport,
    tr: Translator,
    *,
    studio_name: str | None = None,
    budget: int = TELEGRAM_BUDGET,
    with_contract: bool = True,
) -> str:
    """The report as aligned plain text for a monospace font, short enough for one Telegram
    message inside ``<pre>`` (``budget`` characters once escaped): the campaigns are at most
    ten rows, so when a config asks very many questions, the last questions are left out (and
    counted). ``with_contract``: with the campaigns' funnel to the contract."""
    lines = [title(report, tr, studio_name)]
    if not report.campaigns:
        return "\n".join([*lines, _empty(tr)])
    header = [tr.gettext("campaign"), *(short(tr) for _, short, _ in COLUMNS)]
    body = [
        [row.label, *(_number(row.funnel.count(stage), tr) for stage, _, _ in COLUMNS)]
        for row in rows(report, tr)
    ]
    lines += ["", *_grid(header, body, LABEL_WIDTH)]
    booked = bookings(report, tr)
    if booked is not None:
        lines += ["", booked]
    threads = threads_table(report, tr)
    if threads:
        lines += ["", *threads]
    to_contract = contract(report, tr) if with_contract else []
    if to_contract:
        lines += ["", *to_contract]
    steps = reached(report)
    if not steps:
        return "\n".join(lines)
    started = _started(report)
    questions = _grid(
        [tr.gettext("question"), tr.gettext("reached"), tr.gettext("of started")],
        [[key, _number(count, tr), _share(count, started, tr)] for key, count in steps],
        QUESTION_WIDTH,
    )
    lines += ["", tr.gettext("Where prospects stopped"), *questions[:2]]
    budget -= len(_pre(""))
    if _escaped_length(lines) + _escaped_length(questions[2:]) <= budget:
        return "\n".join([*lines, *questions[2:]])
    budget -= _escaped_length([_more(tr, len(steps))])  # the longest "… and N more"
    used, shown = _escaped_length(lines), 0
    for line in questions[2:]:
        used += _escaped_length([line])
        if used > budget:
            break
        shown += 1
    return "\n".join([*lines, *questions[2 : 2 + shown], _more(tr, len(steps) - shown)])


def bookings(report: FunnelReport, tr: Translator) -> str | None:
    """One line on the trial sessions booked after the leads (TRIAL_BOOKING); None without any."""
    totals = {stage: sum(c.count(stage) for c in report.campaigns) for stage in BOOKING}
    if not any(totals.values()):
        return None
    return tr.gettext(
        "Trial sessions: {offered} offered, {shown} looked at times, {booked} booked, "
        "{confirmed} confirmed, {refused} refused"
    ).format(
        offered=_number(totals[Stage.OFFERS_SHOWN], tr),
        shown=_number(totals[Stage.SLOTS_SHOWN], tr),
        booked=_number(totals[Stage.BOOKED], tr),
        confirmed=_number(totals[Stage.BOOKING_CONFIRMED], tr),
        refused=_number(totals[Stage.BOOKING_REFUSED], tr),
    )


def _minutes(median: float | None, tr: Translator) -> str:
    """A median wait as the locale writes a short duration ("12 min", "3 h"); a dash for none."""
    if median is None:
        return "\u2013"
    wait = datetime.timedelta(minutes=median)
    return str(babel.dates.format_timedelta(wait, format="short", locale=tr.written_in))


def threads_table(report: FunnelReport, tr: Translator) -> list[str]:
    """The front desk per campaign: threads opened, answered by staff, and the median time to
    staff's first reply; no lines when no prospect wrote to staff in the period."""
    asking = [c for c in report.campaigns if c.count(Stage.THREAD_OPENED) or c.waits]
    if not asking:
        return []
    shown = asking[:TABLE_CAMPAIGNS]
    body = [
        [
            campaign_label(c.campaign, tr),
            _number(c.count(Stage.THREAD_OPENED), tr),
            _number(c.count(Stage.THREAD_ANSWERED), tr),
            _minutes(c.median_wait(), tr),
        ]
        for c in shown
    ]
    if len(asking) > 1:
        total = merged(asking, report.question_order)
        body.append(
            [
                tr.gettext("total"),
                _number(total.count(Stage.THREAD_OPENED), tr),
                _number(total.count(Stage.THREAD_ANSWERED), tr),
                _minutes(total.median_wait(), tr),
            ]
        )
    header = [
        tr.gettext("campaign"),
        tr.gettext("asked"),
        tr.gettext("answered"),
        tr.gettext("1st reply"),
    ]
    return [tr.gettext("Questions to staff"), *_grid(header, body, LABEL_WIDTH)]


def contract_steps(funnels: Iterable[CampaignFunnel]) -> tuple[Stage, ...]:
    """The funnel to the contract's steps that apply: all of :data:`CONTRACT`, but the trial
    sessions when none were booked (trial booking off); empty when nothing after the lead was
    counted (the studio receives no PerfectGym events, books no trials)."""
    counted = list(funnels)
    after = {stage: sum(f.count(stage) for f in counted) for stage in CONTRACT[2:]}
    if not any(after.values()):
        return ()
    return tuple(s for s in CONTRACT if s is not Stage.BOOKED or after[Stage.BOOKED])


def contract_cells(
    funnel: CampaignFunnel, steps: Sequence[Stage], tr: Translator
) -> list[tuple[str, str]]:
    """Each step's count and its share of the conversations started (started: no share), as
    the questions' shares are: comparable across campaigns, and never over 100 % when a step
    is skipped (a visit without a trial booking)."""
    started = funnel.count(Stage.STARTED)
    return [
        (
            _number(funnel.count(stage), tr),
            "" if stage is Stage.STARTED else _share(funnel.count(stage), started, tr),
        )
        for stage in steps
    ]


def _contract_lines(
    label: str,
    labelled: Sequence[tuple[str, CampaignFunnel]],
    steps: Sequence[Stage],
    tr: Translator,
) -> list[str]:
    header = [label, *(CONTRACT_HEADERS[stage][0](tr) for stage in steps)]
    body = [
        [name, *(f"{count} {share}".strip() for count, share in contract_cells(funnel, steps, tr))]
        for name, funnel in labelled
    ]
    return _grid(header, body, LABEL_WIDTH)


def contract_title(tr: Translator) -> str:
    return tr.gettext("To the contract (share of started)")


def contract(report: FunnelReport, tr: Translator) -> list[str]:
    """The funnel to the contract per campaign (busiest first, the rest summed, the total):
    started, leads created, trial sessions booked, came in, members, each with its share of
    those started; no lines when nothing after the lead was counted."""
    steps = contract_steps(report.campaigns)
    if not steps:
        return []
    labelled = [(row.label, row.funnel) for row in rows(report, tr)]
    return [contract_title(tr), *_contract_lines(tr.gettext("campaign"), labelled, steps, tr)]


def _pre(text: str) -> str:
    return "<pre>" + html.escape(text, quote=False) + "</pre>"


def table_html(report: FunnelReport, tr: Translator, *, studio_name: str | None = None) -> str:
    """:func:`table` for Telegram's HTML parse mode: escaped, in ``<pre>`` so it stays aligned."""
    return _pre(table(report, tr, studio_name=studio_name))


@dataclass(frozen=True)
class StudioRow:
    """One line of the chain summary: a studio, the sum of the smaller ones, or the total."""

    label: str
    started: int
    created: int
    kind: Literal["studio", "other", "total"] = "studio"  # the HTML row's class


def studio_rows(
    report: ChainReport,
    tr: Translator,
    names: Names | None = None,
    limit: int | None = TABLE_STUDIOS,
) -> list[StudioRow]:
    """A line per studio in the order asked (``limit``: the rest summed in one), then the
    chain's total when there is more than one line."""
    studios = report.studios
    shown = studios if limit is None else studios[:limit]
    rest = studios[len(shown) :]

    def sums(part: Iterable[tuple[str | None, FunnelReport]]) -> tuple[int, int]:
        reports = [funnel for _, funnel in part]
        return sum(_started(r) for r in reports), sum(r.total(Stage.CREATED) for r in reports)

    result = [
        StudioRow(studio_label(studio, tr, names), *sums([(studio, funnel)]))
        for studio, funnel in shown
    ]
    if rest:
        result.append(StudioRow(tr.gettext("other studios"), *sums(rest), "other"))
    if len(result) > 1:
        result.append(StudioRow(tr.gettext("total"), *sums(studios), "total"))
    return result


def studio_funnels(
    report: ChainReport,
    tr: Translator,
    names: Names | None = None,
    limit: int | None = CONTRACT_STUDIOS,
) -> list[tuple[str, CampaignFunnel]]:
    """Each studio's campaigns summed into one funnel (``limit``: the rest summed in one
    line), then the chain's total when there is more than one line."""
    order = report.campaigns.question_order
    studios = report.studios
    shown = studios if limit is None else studios[:limit]
    rest = studios[len(shown) :]

    def summed(part: Sequence[tuple[str | None, FunnelReport]]) -> CampaignFunnel:
        return merged((c for _, funnel in part for c in funnel.campaigns), order)

    result = [(studio_label(studio, tr, names), summed([(studio, f)])) for studio, f in shown]
    if rest and shown:
        result.append((tr.gettext("other studios"), summed(rest)))
    if len(result) != 1 or not shown:
        result.append((tr.gettext("total"), summed(studios)))
    return result


def _studio_cells(row: StudioRow, tr: Translator) -> list[str]:
    return [
        row.label,
        _number(row.started, tr),
        _number(row.created, tr),
        _share(row.created, row.started, tr),
    ]


def chain_table(report: ChainReport, tr: Translator, *, names: Names | None = None) -> str:
    """The chain's report as aligned plain text for one Telegram message: a line per studio
    (started, leads created, their share of started), each studio's funnel to the contract,
    then :func:`table` of the campaigns across studios in what is left of the message. When
    that does not fit, fewer studios get a line of their own in the funnel to the contract,
    then the campaigns' funnel to the contract is left out (the page has all of it)."""
    lines = [tr.gettext("Studios {period}").format(period=period(report.campaigns, tr))]
    if not report.studios:
        return "\n".join([*lines, _empty(tr)])
    header = [tr.gettext("studio"), tr.gettext("start"), tr.gettext("lead"), tr.gettext("share")]
    body = [_studio_cells(row, tr) for row in studio_rows(report, tr, names)]
    lines += ["", *_grid(header, body, LABEL_WIDTH)]
    steps = contract_steps(report.campaigns.campaigns)
    tries = [(limit, True) for limit in (CONTRACT_STUDIOS, 3, 0)] if steps else [(0, True)]
    text = ""
    for limit, with_contract in [*tries, (0, False)]:
        part = list(lines)
        if steps:
            labelled = studio_funnels(report, tr, names, limit)
            part += ["", contract_title(tr)]
            part += _contract_lines(tr.gettext("studio"), labelled, steps, tr)
        part += ["", ""]
        campaigns = table(
            report.campaigns,
            tr,
            budget=TELEGRAM_BUDGET - _escaped_length(part),
            with_contract=with_contract,
        )
        text = "\n".join(part) + campaigns
        if _escaped_length(text.splitlines()) <= TELEGRAM_BUDGET + len(_pre("")):
            break
    return text


def chain_table_html(report: ChainReport, tr: Translator, *, names: Names | None = None) -> str:
    """:func:`chain_table` for Telegram's HTML parse mode."""
    return _pre(chain_table(report, tr, names=names))


def chart_steps(
    report: FunnelReport, tr: Translator
) -> list[tuple[str, Callable[[CampaignFunnel], int]]]:
    """The funnel's steps on the chart's axis, each with how to read it from a campaign:
    started, every question in order, summary, confirmed, created, and when anything after
    the lead was counted, the funnel to the contract's further steps."""

    def stage(value: Stage) -> Callable[[CampaignFunnel], int]:
        return lambda funnel: funnel.count(value)

    def question(key: str) -> Callable[[CampaignFunnel], int]:
        return lambda funnel: dict(funnel.questions).get(key, 0)

    return [
        (tr.gettext("Started"), stage(Stage.STARTED)),
        *((key, question(key)) for key, _ in reached(report)),
        (tr.gettext("Saw summary"), stage(Stage.SUMMARY)),
        (tr.gettext("Confirmed"), stage(Stage.CONFIRMED)),
        (tr.gettext("Lead created"), stage(Stage.CREATED)),
        *(
            (CONTRACT_HEADERS[step][1](tr), stage(step))
            for step in contract_steps(report.campaigns)[2:]
        ),
    ]


def chart_figure(report: FunnelReport, tr: Translator, *, studio_name: str | None = None) -> Figure:
    """The funnel per campaign (the five busiest and the rest summed), one line each.

    Matplotlib is imported here, not at the top, so the bot starts without it, and only its
    object API is used (no pyplot state), so two reports may be drawn at once in threads.
    Texts are shown as typed: no mathtext for a "$" in a question key, and a campaign named
    "_x" (a valid start parameter) keeps its legend entry.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    width, height = CHART_SIZE_PX
    figure = Figure(figsize=(width / CHART_DPI, height / CHART_DPI), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title(report, tr, studio_name), fontsize=15, parse_math=False)
    if not report.campaigns:
        axes.text(0.5, 0.5, _empty(tr), ha="center", va="center", fontsize=14, parse_math=False)
        axes.set_axis_off()
    else:
        steps = chart_steps(report, tr)
        positions = list(range(len(steps)))
        series = [r for r in rows(report, tr, CHART_CAMPAIGNS) if r.kind != "total"]
        lines = []
        for row in series:
            values = [read(row.funnel) for _, read in steps]
            if row.kind == "other":  # the sum of many: grey and dashed, not a campaign
                lines += axes.plot(positions, values, "--", color="0.55", marker="o")
            else:
                lines += axes.plot(positions, values, "-", marker="o", linewidth=2)
        rotate = len(steps) > 6
        axes.set_xticks(
            positions,
            [_cut(label, 24) for label, _ in steps],
            rotation=30 if rotate else 0,
            horizontalalignment="right" if rotate else "center",
            parse_math=False,
        )
        axes.set_ylabel(tr.gettext("Conversations"), parse_math=False)
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
        legend = axes.legend(
            lines,
            [_cut(row.label, 32) for row in series],
            title=tr.gettext("Campaign"),
            loc="best",
            frameon=False,
        )
        for text in [*legend.get_texts(), legend.get_title()]:
            text.set_parse_math(False)
    figure.tight_layout()
    return figure


def chart_png(report: FunnelReport, tr: Translator, *, studio_name: str | None = None) -> bytes:
    """:func:`chart_figure` as a 1200x700 PNG (no software version in it: the same report
    gives the same bytes)."""
    buffer = io.BytesIO()
    chart_figure(report, tr, studio_name=studio_name).savefig(
        buffer, format="png", dpi=CHART_DPI, metadata={"Software": None}
    )
    return buffer.getvalue()


def _language_tag(tr: Translator) -> str:
    """The page's ``lang``: the catalog's written variety as a BCP 47 tag (``en-GB``, ``de``)."""
    return tr.written_in.split("@")[0].replace("_", "-")


PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0 2rem; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #ddd; }
th { text-align: left; background: #f4f4f4; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; border-top: 2px solid #888; }
img { max-width: 100%; height: auto; }
"""


def _cells(tag: str, values: Sequence[str]) -> str:
    """A row's cells, escaped: a label, then numbers (class ``n``, aligned right)."""
    label, *numbers = values
    return f"<{tag}>{html.escape(label)}</{tag}>" + "".join(
        f'<{tag} class="n">{html.escape(value)}</{tag}>' for value in numbers
    )


def _contract_html(
    report: FunnelReport, tr: Translator, chain: ChainReport | None, names: Names | None
) -> list[str]:
    """The funnel to the contract: a table per campaign, and with a chain one per studio."""
    steps = contract_steps(report.campaigns)
    if not steps:
        return []
    header = [tr.gettext("Campaign")]
    for index, stage in enumerate(steps):
        header.append(CONTRACT_HEADERS[stage][1](tr))
        if index:
            header.append(tr.gettext("Share"))
    tables: list[list[tuple[str, CampaignFunnel, str]]] = [
        [(row.label, row.funnel, row.kind) for row in rows(report, tr, limit=None)]
    ]
    if chain is not None and chain.studios:
        funnels = studio_funnels(chain, tr, names, limit=None)
        last = len(funnels) - 1 if len(funnels) > 1 else -1  # the total's line
        tables.insert(
            0,
            [
                (label, funnel, "total" if index == last else "studio")
                for index, (label, funnel) in enumerate(funnels)
            ],
        )
    parts = [f"<h2>{html.escape(contract_title(tr))}</h2>"]
    for number, table_rows in enumerate(tables):
        first = tr.gettext("Studio") if number == 0 and len(tables) == 2 else header[0]
        parts += ["<table>", f"<thead><tr>{_cells('th', [first, *header[1:]])}</tr></thead>"]
        parts.append("<tbody>")
        for label, funnel, kind in table_rows:
            values = [label]
            for count, share in contract_cells(funnel, steps, tr):
                values += [count, share] if share else [count]
            parts.append(f'<tr class="{kind}">{_cells("td", values)}</tr>')
        parts += ["</tbody></table>"]
    return parts


def html_page(
    report: FunnelReport,
    tr: Translator,
    *,
    studio_name: str | None = None,
    chain: ChainReport | None = None,
    names: Names | None = None,
) -> str:
    """A self-contained HTML5 page (no external resource, the chart inline): every campaign,
    the questions reached, and the chart; every text escaped. With ``chain`` (whose
    ``campaigns`` is ``report``), every studio's line comes first."""
    escape = html.escape
    heading = title(report, tr, studio_name)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(_language_tag(tr))}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(heading)}</title>",
        f"<style>{PAGE_STYLE}</style></head>",
        "<body>",
        f"<h1>{escape(heading)}</h1>",
    ]
    if chain is not None and chain.studios:
        header = [
            tr.gettext("Studio"),
            tr.gettext("Started"),
            tr.gettext("Lead created"),
            tr.gettext("Share"),
        ]
        parts += ["<table>", f"<thead><tr>{_cells('th', header)}</tr></thead>", "<tbody>"]
        for studio_row in studio_rows(chain, tr, names, limit=None):
            cells = _cells("td", _studio_cells(studio_row, tr))
            parts.append(f'<tr class="{studio_row.kind}">{cells}</tr>')
        parts += ["</tbody></table>"]
    if not report.campaigns:
        parts.append(f"<p>{escape(_empty(tr))}</p>")
    else:
        header = [tr.gettext("Campaign"), *(full(tr) for _, _, full in COLUMNS)]
        parts += ["<table>", f"<thead><tr>{_cells('th', header)}</tr></thead>", "<tbody>"]
        for row in rows(report, tr, limit=None):
            values = [row.label, *(_number(row.funnel.count(s), tr) for s, _, _ in COLUMNS)]
            parts.append(f'<tr class="{row.kind}">{_cells("td", values)}</tr>')
        parts += ["</tbody></table>"]
        booked = bookings(report, tr)
        if booked is not None:
            parts.append(f"<p>{escape(booked)}</p>")
        parts += _contract_html(report, tr, chain, names)
        steps = reached(report)
        if steps:
            parts.append(f"<h2>{escape(tr.gettext('Where prospects stopped'))}</h2>")
            header = [tr.gettext("Question"), tr.gettext("Reached"), tr.gettext("Of started")]
            parts += ["<table>", f"<thead><tr>{_cells('th', header)}</tr></thead>", "<tbody>"]
            started = _started(report)
            parts += [
                f"<tr>{_cells('td', [key, _number(n, tr), _share(n, started, tr)])}</tr>"
                for key, n in steps
            ]
            parts += ["</tbody></table>"]
    image = base64.b64encode(chart_png(report, tr, studio_name=studio_name)).decode("ascii")
    width, height = CHART_SIZE_PX
    parts += [
        f'<img src="data:image/png;base64,{image}" width="{width}" height="{height}" '
        f'alt="{escape(heading)}">',
        "</body></html>",
        "",
    ]
    return "\n".join(parts)
