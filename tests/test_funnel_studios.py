"""The funnel of a chain of studios (issue 24): each studio's counts kept apart, also when two
instances count on one database; the counts of the release before studios read as the single
studio's; a studio's report and the chain's (a line per studio, then the campaigns across
studios) in the chat, the terminal and the page; the leads metric labelled by studio."""

from __future__ import annotations

import datetime
import html
import re
from pathlib import Path
from typing import cast

import pytest

from bot.funnel.counts import ChainReport, Funnel, FunnelCount, FunnelReport, Stage, Step
from bot.marketing.report import (
    TABLE_STUDIOS,
    chain_table,
    chain_table_html,
    html_page,
    studio_rows,
    table,
)
from bot.marketing.staff_report import FunnelReports, StaffReport
from bot.metrics import Metrics
from bot.perfectgym.models import LeadConfig
from bot.storage import Storage, open_storage
from bot.storage.funnel_counts import StoredCount
from bot.storage.sql import SqlStorage
from conversations.i18n import Translator
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import bot_environment, load_config, run_command
from tests.test_funnel_report import campaign_rows, number

EN = Translator("en")
DE = Translator("de")
# Noon in UTC on 30 November 2026: 13:00 in Berlin, already 1 December on Kiritimati (UTC+14).
NOW = datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC).timestamp()
TODAY = datetime.date(2026, 11, 30)
ZONES = {None: "Europe/Berlin", "berlin": "Europe/Berlin", "kiritimati": "Pacific/Kiritimati"}


def zone_of(studio: str | None) -> str | None:
    return ZONES.get(studio)


def funnel(storage: Storage, now: float = NOW) -> Funnel:
    return Funnel(storage, zone_of=zone_of, clock=lambda: now)


async def add_legacy(
    storage: Storage, day: datetime.date, campaign: str, stage: str, n: int
) -> None:
    """A count as the release before studios stored it, in the table it wrote."""
    await cast(SqlStorage, storage)._db.execute(
        "INSERT INTO funnel_counts (day, campaign, stage, question, count) "
        "VALUES ($1, $2, $3, '', $4)",
        day.isoformat(),
        campaign,
        stage,
        n,
    )


def started_and_created(report: FunnelReport) -> tuple[int, int]:
    return report.total(Stage.STARTED), report.total(Stage.CREATED)


# --- storage ------------------------------------------------------------------------------------


async def test_stored_counts_are_kept_apart_per_studio(storage: Storage) -> None:
    day = TODAY
    await storage.add_funnel_counts(
        [
            StoredCount(day, "spring", "started", "", 3, "berlin"),
            StoredCount(day, "spring", "started", "", 5, "hamburg"),
            StoredCount(day, "spring", "started", "", 7),
        ]
    )
    await storage.add_funnel_counts([StoredCount(day, "spring", "started", "", 1, "berlin")])
    every = await storage.funnel_counts(day, day)
    assert sorted(every, key=lambda c: c.studio or "") == [
        StoredCount(day, "spring", "started", "", 7, None),
        StoredCount(day, "spring", "started", "", 4, "berlin"),
        StoredCount(day, "spring", "started", "", 5, "hamburg"),
    ]
    assert await storage.funnel_counts(day, day, studios=["hamburg"]) == [
        StoredCount(day, "spring", "started", "", 5, "hamburg")
    ]
    assert await storage.funnel_counts(day, day, studios=[None]) == [
        StoredCount(day, "spring", "started", "", 7, None)
    ]
    assert await storage.funnel_counts(day, day, studios=[]) == []


async def test_counts_of_the_release_before_studios_are_the_single_studios(
    storage: Storage,
) -> None:
    day = TODAY
    await add_legacy(storage, day, "spring", "started", 10)
    await add_legacy(storage, day, "", "created", 2)
    # The same day counted by the new release too (both running during the upgrade): one sum.
    await storage.add_funnel_counts(
        [
            StoredCount(day, "spring", "started", "", 1),
            StoredCount(day, "spring", "started", "", 6, "berlin"),
        ]
    )
    assert await storage.funnel_counts(day, day, studios=[None]) == [
        StoredCount(day, None, "created", "", 2, None),
        StoredCount(day, "spring", "started", "", 11, None),
    ]
    berlin = await storage.funnel_counts(day, day, studios=["berlin"])
    assert berlin == [StoredCount(day, "spring", "started", "", 6, "berlin")]
    assert len(await storage.funnel_counts(day, day)) == 3
    assert (
        await storage.funnel_counts(
            day + datetime.timedelta(days=1), TODAY + datetime.timedelta(days=2)
        )
        == []
    )


# --- counting and reports -----------------------------------------------------------------------


async def test_two_instances_count_studios_apart_and_their_sums_add_up(
    database_url_all_backends: str,
) -> None:
    first = await open_storage(database_url_all_backends)
    second = await open_storage(database_url_all_backends)
    try:
        one, two = funnel(first), funnel(second)
        for _ in range(3):
            one.reached("spring", Stage.STARTED, studio="berlin")
        one.reached("spring", Stage.CREATED, studio="berlin")
        two.reached("spring", Stage.STARTED, studio="berlin")
        two.reached(None, Stage.STARTED, studio="hamburg")
        two.reached("spring", Stage.STARTED)  # the single studio, as before chains
        one.progressed("spring", ["firstname", "email"], True, studio="hamburg")
        await one.flush()
        await two.flush()

        berlin = await two.report(7, studio="berlin")
        hamburg = await one.report(7, ("firstname", "email"), studio="hamburg")
        single = await one.report(7)
    finally:
        await first.close()
        await second.close()
    assert started_and_created(berlin) == (4, 1)
    assert [c.campaign for c in berlin.campaigns] == ["spring"]
    assert started_and_created(hamburg) == (1, 0)
    assert {c.campaign: c.questions for c in hamburg.campaigns} == {
        None: (),
        "spring": (("firstname", 1), ("email", 1)),
    }
    assert hamburg.total(Stage.SUMMARY) == 1
    assert started_and_created(single) == (1, 0)


async def test_each_studio_counts_its_days_in_its_time_zone(storage: Storage) -> None:
    counting = funnel(storage)
    counting.reached("a", Stage.STARTED, studio="kiritimati")
    counting.reached("a", Stage.STARTED, studio="berlin")
    await counting.flush()
    stored = await storage.funnel_counts(TODAY, TODAY + datetime.timedelta(days=1))
    assert {(c.studio, c.day) for c in stored} == {
        ("kiritimati", TODAY + datetime.timedelta(days=1)),
        ("berlin", TODAY),
    }
    kiritimati = await counting.report(1, studio="kiritimati")
    assert (kiritimati.first_day, kiritimati.last_day) == (TODAY + datetime.timedelta(days=1),) * 2
    assert kiritimati.total(Stage.STARTED) == 1


async def test_the_chain_report_has_a_line_per_studio_and_the_campaigns_across_them(
    storage: Storage,
) -> None:
    await add_legacy(storage, TODAY - datetime.timedelta(days=3), "poster", "started", 2)
    counting = funnel(storage)
    for studio, campaign, started, created in (
        ("berlin", "spring", 10, 4),
        ("berlin", None, 2, 0),
        ("kiritimati", "spring", 5, 1),
    ):
        for _ in range(started):
            counting.reached(campaign, Stage.STARTED, studio=studio)
        for _ in range(created):
            counting.reached(campaign, Stage.CREATED, studio=studio)
    # Outside the last 7 days of its studio: not in the chain's report.
    await storage.add_funnel_counts(
        [StoredCount(TODAY - datetime.timedelta(days=7), "spring", "started", "", 50, "berlin")]
    )

    chain = await counting.chain_report(7)
    assert [studio for studio, _ in chain.studios] == [None, "berlin", "kiritimati"]
    lines = {studio: started_and_created(report) for studio, report in chain.studios}
    assert lines == {None: (2, 0), "berlin": (12, 4), "kiritimati": (5, 1)}
    assert {c.campaign: c.count(Stage.STARTED) for c in chain.campaigns.campaigns} == {
        "spring": 15,
        None: 2,
        "poster": 2,
    }
    assert started_and_created(chain.campaigns) == (19, 5)
    assert chain.campaigns.first_day == TODAY - datetime.timedelta(days=6)
    assert chain.campaigns.last_day == TODAY + datetime.timedelta(days=1)  # Kiritimati's today

    asked = await counting.chain_report(7, studios=["kiritimati", "quiet", "berlin"])
    assert [studio for studio, _ in asked.studios] == ["kiritimati", "quiet", "berlin"]
    assert started_and_created(dict(asked.studios)["quiet"]) == (0, 0)
    assert started_and_created(asked.campaigns) == (17, 5)


# --- rendering ----------------------------------------------------------------------------------


def studio_report(
    studio: str | None, started: int, created: int, campaign: str = "spring"
) -> tuple[str | None, FunnelReport]:
    counts = [
        FunnelCount(TODAY, campaign, Step(Stage.STARTED), started, studio),
        FunnelCount(TODAY, campaign, Step(Stage.CREATED), created, studio),
    ]
    return studio, FunnelReport.of(counts, TODAY - datetime.timedelta(days=29), TODAY)


def chain_of(*studios: tuple[str | None, FunnelReport]) -> ChainReport:
    counts = [
        FunnelCount(TODAY, c.campaign, Step(stage), n, studio)
        for studio, report in studios
        for c in report.campaigns
        for stage, n in c.stages.items()
    ]
    first = TODAY - datetime.timedelta(days=29)
    return ChainReport(tuple(studios), FunnelReport.of(counts, first, TODAY))


def summary_rows(text: str) -> dict[str, list[str]]:
    """The chain summary read back: studio label -> started, created, share."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if set(line) == {"-"})
    parsed = {}
    for line in lines[rule + 1 :]:
        if not line:
            break
        # Plain spaces only: a locale's percent may hold a no-break space ("50\u00a0%").
        cells = re.split(" +", line)
        parsed[" ".join(cells[:-3])] = cells[-3:]
    return parsed


def test_the_chain_table_has_a_line_per_studio_then_the_campaigns() -> None:
    chain = chain_of(
        studio_report("berlin", 200, 50),
        studio_report("hamburg", 1000, 1, "flyer"),
        studio_report("quiet", 0, 0),
    )
    text = chain_table(chain, EN, names={"berlin": "Berlin Mitte"})
    assert text.splitlines()[0].startswith("Studios ")
    assert summary_rows(text) == {
        "Berlin Mitte": ["200", "50", "25%"],
        "hamburg": ["1,000", "1", "0%"],
        "quiet": ["0", "0", "\u2013"],
        "total": ["1,200", "51", "4%"],
    }
    campaigns = text[text.index("Funnel ") :]
    rows = campaign_rows(campaigns)
    assert rows["flyer"][Stage.STARTED] == 1000
    assert rows["spring"][Stage.CREATED] == 50
    assert rows["total"][Stage.STARTED] == 1200


def test_the_german_chain_table_speaks_german() -> None:
    text = chain_table(chain_of(studio_report(None, 1234, 617)), DE)
    assert text.startswith("Studios ")
    assert summary_rows(text) == {"Hauptstudio": ["1.234", "617", "50\u00a0%"]}
    assert "Anteil" in text


def test_many_studios_are_summed_in_one_line_and_the_message_still_fits() -> None:
    studios = [studio_report(f"studio_{i:02}_{'x' * 12}", 100 + i, i) for i in range(60)]
    chain = chain_of(*studios)
    rows = studio_rows(chain, EN)
    assert len(rows) == TABLE_STUDIOS + 2
    other = rows[-2]
    assert (other.label, other.kind) == ("other studios", "other")
    assert other.started == sum(100 + i for i in range(TABLE_STUDIOS, 60))
    assert rows[-1].created == sum(range(60))
    message = chain_table_html(chain, EN)
    assert len(message) < 4096
    inner = html.unescape(message.removeprefix("<pre>").removesuffix("</pre>"))
    assert number(summary_rows(inner)["total"][0]) == sum(100 + i for i in range(60))
    assert len(summary_rows(inner)) == TABLE_STUDIOS + 2


def test_an_empty_chain_says_so() -> None:
    empty = ChainReport((), FunnelReport.of([], TODAY - datetime.timedelta(days=6), TODAY))
    assert chain_table(empty, EN).splitlines()[1] == "No conversations in this period."


def test_a_studios_report_and_page_name_the_studio() -> None:
    _, report = studio_report("berlin", 3, 1)
    assert table(report, EN, studio_name="berlin").splitlines()[0].endswith(", berlin")
    page = html_page(report, EN, studio_name="<berlin>")
    assert "<h1>Funnel " in page
    assert ", &lt;berlin&gt;</h1>" in page


def test_the_chain_page_lists_every_studio_above_the_campaigns() -> None:
    chain = chain_of(*(studio_report(f"s{i}", 10, i) for i in range(TABLE_STUDIOS + 5)))
    page = html_page(chain.campaigns, EN, chain=chain, names={"s0": "Zero & Co"})
    assert page.count('<tr class="studio">') == TABLE_STUDIOS + 5
    assert "<td>Zero &amp; Co</td>" in page
    assert page.index("<th>Studio</th>") < page.index("<th>Campaign</th>")
    assert '<tr class="total"><td>total</td><td class="n">250</td>' in page


# --- /report for a set of studios ---------------------------------------------------------------


class NoConfig:
    async def get(self) -> LeadConfig | None:
        return None

    def is_fresh(self) -> bool:
        return True


async def test_a_studios_chat_sees_its_studio_and_the_chains_chat_every_studio(
    storage: Storage,
) -> None:
    counting = funnel(storage)
    counting.reached("spring", Stage.STARTED, studio="berlin")
    counting.reached("spring", Stage.CREATED, studio="berlin")
    counting.reached("flyer", Stage.STARTED, studio="hamburg")
    staff = StaffReport(
        FunnelReports(counting, NoConfig()),
        studios=["berlin", "hamburg"],
        names={"hamburg": "Hamburg"},
    )

    berlin = await staff.studio(7, EN, studio="berlin")
    rows = campaign_rows(html.unescape(berlin.text_html[5:-6]))
    assert set(rows) == {"spring"}
    assert rows["spring"][Stage.CREATED] == 1
    assert berlin.chart is not None
    assert berlin.chart.total(Stage.STARTED) == 1

    nobody = await staff.studio(7, EN, studio="munich")
    assert "No conversations in this period." in nobody.text_html
    assert nobody.chart is None

    chain = await staff.chain(7, EN)
    text = html.unescape(chain.text_html.removeprefix("<pre>").removesuffix("</pre>"))
    assert summary_rows(text) == {
        "berlin": ["1", "1", "100%"],
        "Hamburg": ["1", "0", "0%"],
        "total": ["2", "1", "50%"],
    }
    assert set(campaign_rows(text[text.index("Funnel ") :])) == {"spring", "flyer", "total"}
    assert chain.chart is not None
    assert chain.chart.total(Stage.STARTED) == 2


# --- python -m bot report -----------------------------------------------------------------------


@pytest.mark.e2e
async def test_the_command_line_report_for_one_studio_and_for_every_studio(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    pg.set_config(load_config("all-inactive"))
    env = bot_environment(tg, pg, database_url, STUDIO_TIMEZONE="Europe/Berlin")
    storage = await open_storage(database_url)
    try:
        today = Funnel(storage, lambda: "Europe/Berlin").today()
        await storage.add_funnel_counts(
            [
                StoredCount(today, "spring", "started", "", 8, "berlin"),
                StoredCount(today, "spring", "created", "", 2, "berlin"),
                StoredCount(today, "flyer", "started", "", 3, "hamburg"),
            ]
        )
    finally:
        await storage.close()

    page = tmp_path / "berlin.html"
    status, out, err = await run_command(
        "report", "--studio", "berlin", "--days", "7", "--html", str(page), env=env
    )
    assert status == 0, err
    assert out[0].endswith(", berlin")
    assert set(campaign_rows("\n".join(out))) == {"spring"}
    assert campaign_rows("\n".join(out))["spring"][Stage.CREATED] == 2
    text = page.read_text(encoding="utf-8")
    assert "flyer" not in text
    assert "data:image/png;base64," in text

    status, out, err = await run_command("report", "--days", "7", env=env)
    assert status == 0, err
    assert out[0].startswith("Studios ")
    assert summary_rows("\n".join(out)) == {
        "berlin": ["8", "2", "25%"],
        "hamburg": ["3", "0", "0%"],
        "total": ["11", "2", "18%"],
    }

    status, _, err = await run_command("report", "--studio", "no-such id", env=env)
    assert status == 2
    assert "--studio must be a studio id" in err


# --- metrics ------------------------------------------------------------------------------------


def test_the_leads_metric_is_labelled_by_studio_and_main_for_the_single_studio() -> None:
    metrics = Metrics()
    metrics.leads.labels("created").inc()  # as the outbox counts today: the single studio
    metrics.lead("created", studio="berlin")
    metrics.lead("created", studio="berlin")
    metrics.lead("failed", studio="berlin")
    text = metrics.exposition().decode()
    samples = dict(
        line.rsplit(" ", 1)
        for line in text.splitlines()
        if re.match(r"leadsbot_leads_total\{", line)
    )
    assert samples == {
        'leadsbot_leads_total{result="created",studio="main"}': "1.0",
        'leadsbot_leads_total{result="created",studio="berlin"}': "2.0",
        'leadsbot_leads_total{result="failed",studio="berlin"}': "1.0",
    }
