"""The funnel to the contract in the report (issue 26): per campaign and per studio, started,
leads, trial sessions booked, came in and members with each one's share of those started; in
the table, the chain's table, the page and the chart, and only once anything after the lead
was counted."""

from __future__ import annotations

import datetime
import html

import numpy

from bot.funnel.counts import ChainReport, FunnelCount, FunnelReport, Stage, Step
from bot.marketing.report import (
    TELEGRAM_BUDGET,
    chain_table,
    chain_table_html,
    chart_figure,
    html_page,
    table,
    table_html,
)
from conversations.i18n import Translator
from tests.test_funnel_report import campaign_rows
from tests.test_funnel_studios import summary_rows
from tests.test_perfectgym_webhooks import contract_rows

EN = Translator("en")
DE = Translator("de")
TODAY = datetime.date(2026, 11, 30)
FIRST = TODAY - datetime.timedelta(days=29)


def counts(
    campaign: str | None, studio: str | None = None, *, started: int, **stages: int
) -> list[FunnelCount]:
    """One campaign's counts: ``started``, then stages by name (created=..., attended=...)."""
    return [
        FunnelCount(TODAY, campaign, Step(Stage.STARTED), started, studio),
        *(FunnelCount(TODAY, campaign, Step(Stage(s)), n, studio) for s, n in stages.items()),
    ]


def report_of(items: list[FunnelCount]) -> FunnelReport:
    return FunnelReport.of(items, FIRST, TODAY)


def chain_of(items: list[FunnelCount]) -> ChainReport:
    studios = sorted({c.studio for c in items}, key=lambda s: (s is not None, s or ""))
    return ChainReport(
        tuple((s, report_of([c for c in items if c.studio == s])) for s in studios),
        report_of(items),
    )


SPRING = counts("spring", started=200, created=100, booked=50, attended=30, member=10)
FLYER = counts("flyer", started=100, created=20, attended=5)


def test_each_campaign_from_the_conversation_to_the_member_with_shares_of_started() -> None:
    text = table(report_of(SPRING + FLYER), EN)
    assert contract_rows(text) == {
        "spring": ["200", "100", "50%", "50", "25%", "30", "15%", "10", "5%"],
        "flyer": ["100", "20", "20%", "0", "0%", "5", "5%", "0", "0%"],
        "total": ["300", "120", "40%", "50", "17%", "35", "12%", "10", "3%"],
    }
    header = text.splitlines()[text.splitlines().index("To the contract (share of started)") + 1]
    assert header.split() == ["campaign", "start", "lead", "trial", "visit", "member"]
    # The campaign table above it is unchanged: its eight columns, the same counts.
    assert campaign_rows(text)["spring"][Stage.CREATED] == 100


def test_without_trial_bookings_the_trial_column_is_left_out() -> None:
    text = table(report_of(FLYER), EN)
    assert contract_rows(text) == {"flyer": ["100", "20", "20%", "5", "5%", "0", "0%"]}


def test_nothing_after_the_lead_means_no_contract_lines() -> None:
    plain = report_of(counts("spring", started=10, created=5))
    assert "To the contract" not in table(plain, EN)
    assert "To the contract" not in html_page(plain, EN)
    (axes,) = chart_figure(plain, EN).axes
    assert [t.get_text() for t in axes.get_xticklabels()][-1] == "Lead created"


def test_the_chart_goes_on_to_the_members() -> None:
    (axes,) = chart_figure(report_of(SPRING + FLYER), EN).axes
    ticks = [t.get_text() for t in axes.get_xticklabels()]
    assert ticks[-4:] == ["Lead created", "Trial booked", "Came in", "Member"]
    spring = axes.get_lines()[0]
    assert numpy.asarray(spring.get_ydata()).tolist()[-4:] == [100, 50, 30, 10]


def test_the_chain_shows_each_studio_to_the_contract_and_the_campaigns_across_them() -> None:
    items = counts("spring", "berlin", started=80, created=40, attended=12, member=5)
    items += counts("spring", "hamburg", started=20, created=10, attended=2)
    items += counts("flyer", "hamburg", started=100, created=20, member=1)
    text = chain_table(chain_of(items), EN, names={"berlin": "Berlin Mitte"})
    studios, campaigns = text.split("Funnel ", 1)
    assert summary_rows(studios)["total"] == ["200", "70", "35%"]  # the summary as before
    assert contract_rows(studios) == {
        "Berlin Mitte": ["80", "40", "50%", "12", "15%", "5", "6%"],
        "hamburg": ["120", "30", "25%", "2", "2%", "1", "1%"],
        "total": ["200", "70", "35%", "14", "7%", "6", "3%"],
    }
    assert contract_rows(campaigns)["spring"] == ["100", "50", "50%", "14", "14%", "5", "5%"]


def test_german_headers_and_shares() -> None:
    text = table(report_of(SPRING), DE)
    lines = text.splitlines()
    title = next(
        i
        for i, line in enumerate(lines)
        if line.startswith(DE.gettext("To the contract (share of started)"))
    )
    assert lines[title + 1].split()[0] == "Kampagne"
    assert "50\u00a0%" in lines[title + 3]


def test_the_page_has_a_table_per_studio_and_per_campaign() -> None:
    items = counts("spring", "berlin", started=80, created=40, attended=12, member=4)
    items += counts("flyer", "hamburg", started=100, created=20, member=1)
    chain = chain_of(items)
    page = html_page(chain.campaigns, EN, chain=chain)
    section = page[page.index("<h2>To the contract") :]
    assert section.count("<table>") == 2
    assert "<th>Studio</th>" in section
    assert "<th>Campaign</th>" in section
    assert '<th class="n">Came in</th>' in section
    assert '<td class="n">15%</td>' in section  # Berlin: 12 of 80 started came in


def test_a_large_chain_still_fits_one_telegram_message() -> None:
    """Many studios with long names and many campaigns, every step counted."""
    items: list[FunnelCount] = []
    for s in range(40):
        for c in range(12):
            items += counts(
                f"campaign_{c:02}_{'y' * 20}",
                f"studio_{s:02}_{'x' * 12}",
                started=1000 + s,
                created=500,
                booked=300,
                attended=200,
                member=100,
                summary=800,
                confirmed=600,
            )
    message = chain_table_html(chain_of(items), EN)
    assert len(message) < 4096
    inner = html.unescape(message.removeprefix("<pre>").removesuffix("</pre>"))
    assert len(inner) <= TELEGRAM_BUDGET
    studios = contract_rows(inner.split("Funnel ", 1)[0])
    assert list(studios)[-2:] == ["other studios", "total"]  # fewer studios, to fit
    assert next(iter(studios)) == "studio_00_xxxxx\u2026"
    assert studios["total"][:2] == [f"{sum(1000 + s for s in range(40)) * 12:,}", "240,000"]
    single = table_html(report_of(items), EN)
    assert len(single) < 4096
