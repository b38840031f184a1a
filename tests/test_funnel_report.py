"""The funnel report as staff read it: the numbers in the Telegram table, chart and page are the
stored counts summed per campaign, the table fits one Telegram message, and nothing a config
author typed (a question key) can break the HTML."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy
import pytest
from PIL import Image

from bot.funnel.counts import FunnelCount, FunnelReport, Stage, Step
from bot.marketing.report import (
    CHART_SIZE_PX,
    COLUMNS,
    TABLE_CAMPAIGNS,
    chart_figure,
    chart_png,
    html_page,
    table,
    table_html,
)
from conversations.i18n import Translator
from tests.required import require_tool

ROOT = Path(__file__).resolve().parent.parent
RENDER = ROOT / "scripts" / "render-report.sh"
FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)
QUESTIONS = ("first_name", "email", "phone")
EN = Translator("en")
DE = Translator("de")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def count(
    campaign: str | None, stage: Stage, n: int, day: date = FIRST, question: str = ""
) -> FunnelCount:
    return FunnelCount(day, campaign, Step(stage, question), n)


def conversations(campaign: str | None, started: int, day: date = FIRST) -> list[FunnelCount]:
    """A plausible campaign: every step a little fewer than the one before, split over days."""
    n = started
    result = [count(campaign, Stage.STARTED, n, day)]
    for key in QUESTIONS:
        n = n * 9 // 10
        result.append(count(campaign, Stage.QUESTION, n, day, key))
    for stage in (Stage.SUMMARY, Stage.CONFIRMED, Stage.CREATED):
        n = n * 9 // 10
        result.append(count(campaign, stage, n, day))
    result += [
        count(campaign, Stage.DUPLICATE, 1, day),
        count(campaign, Stage.CANCELLED, 2, day),
        count(campaign, Stage.FORGOTTEN, 3, day),
    ]
    return result


def report_of(counts: list[FunnelCount], order: tuple[str, ...] = QUESTIONS) -> FunnelReport:
    return FunnelReport.of(counts, FIRST, LAST, order)


def number(text: str) -> int:
    """A count as the table shows it, any locale's grouping separators removed."""
    return int(re.sub(r"[,.\u00a0\u202f' ]", "", text))


def campaign_rows(text: str) -> dict[str, dict[Stage, int]]:
    """The campaign table read back: label -> the eight counts, by column."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if set(line) == {"-"})
    parsed: dict[str, dict[Stage, int]] = {}
    for line in lines[rule + 1 :]:
        if not line:
            break
        cells = line.split()
        label = " ".join(cells[: -len(COLUMNS)])
        values = cells[-len(COLUMNS) :]
        parsed[label] = {stage: number(v) for (stage, _, _), v in zip(COLUMNS, values, strict=True)}
    return parsed


def question_rows(text: str) -> list[tuple[str, int, str]]:
    """The "where prospects stopped" lines read back: key, reached, share of started."""
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if set(line) == {"-"}]
    assert len(rules) == 2, text
    result = []
    for line in lines[rules[1] + 1 :]:
        if line.startswith("\u2026"):
            break
        # Plain spaces only: a locale's percent may hold a no-break space ("90\u00a0%").
        cells = re.fullmatch(r"(.+?) +([0-9][0-9,.]*) +(\S.*)", line)
        assert cells is not None, line
        result.append((cells[1], number(cells[2]), cells[3]))
    return result


def test_the_table_shows_each_campaigns_sums_busiest_first() -> None:
    counts = [
        *conversations("insta_nov", 100),
        *conversations("insta_nov", 50, FIRST + timedelta(days=3)),
        *conversations(None, 40),
        *conversations("flyer", 120, LAST),
        # Outside the period: the day before and the day after count for nothing.
        *conversations("insta_nov", 1000, FIRST - timedelta(days=1)),
        *conversations("old_campaign", 7, LAST + timedelta(days=1)),
    ]
    text = table(report_of(counts), EN)

    assert text.splitlines()[0] == "Funnel 1\u2009\u2013\u200930 Nov 2026"
    rows = campaign_rows(text)
    assert list(rows) == ["insta_nov", "flyer", "no campaign", "total"]
    assert rows["insta_nov"][Stage.STARTED] == 150
    assert rows["insta_nov"][Stage.FORGOTTEN] == 6
    assert rows["flyer"][Stage.STARTED] == 120
    assert rows["no campaign"][Stage.STARTED] == 40
    # 100 -> 90 -> 81 -> 72 (questions) -> 64 summary -> 57 confirmed -> 51 created
    assert rows["insta_nov"][Stage.SUMMARY] == 64 + 32
    assert rows["insta_nov"][Stage.CREATED] == 51 + 25
    assert rows["insta_nov"][Stage.INVALID] == 0
    for stage, _, _ in COLUMNS:
        assert rows["total"][stage] == sum(rows[c][stage] for c in rows if c != "total")
    # Right-aligned numbers: every line of the grid ends in the same column.
    grid = [line for line in text.splitlines()[2:] if line][:6]
    assert len({len(line) for line in grid}) == 1, grid


def test_questions_are_in_the_configs_order_then_older_keys_by_name() -> None:
    counts = [
        count("a", Stage.STARTED, 10),
        count("a", Stage.QUESTION, 4, question="phone"),
        count("a", Stage.QUESTION, 2, question="zz_removed"),
        count("a", Stage.QUESTION, 3, question="aa_removed"),
        count("b", Stage.STARTED, 10),
        count("b", Stage.QUESTION, 9, question="first_name"),
        count("b", Stage.QUESTION, 5, question="email"),
        count("a", Stage.QUESTION, 8, question="first_name"),
        count("a", Stage.QUESTION, 1, question="email", day=LAST + timedelta(days=1)),
    ]
    questions = question_rows(table(report_of(counts), EN))
    assert questions == [
        ("first_name", 17, "85%"),
        ("email", 5, "25%"),
        ("phone", 4, "20%"),
        ("aa_removed", 3, "15%"),
        ("zz_removed", 2, "10%"),
    ]


def test_beyond_eight_campaigns_the_rest_are_one_row() -> None:
    names = [f"campaign_{i:02}" for i in range(12)]
    counts = [c for i, name in enumerate(names) for c in conversations(name, 100 + 10 * i)]
    counts += conversations(None, 5)
    rows = campaign_rows(table(report_of(counts), EN))

    busiest = names[::-1][:TABLE_CAMPAIGNS]
    assert list(rows) == [*busiest, "other campaigns", "total"]
    # The four quietest campaigns and the conversations without one: 100+110+120+130+5.
    assert rows["other campaigns"][Stage.STARTED] == 465
    assert rows["total"][Stage.STARTED] == sum(100 + 10 * i for i in range(12)) + 5
    assert rows["total"][Stage.STARTED] == rows["other campaigns"][Stage.STARTED] + sum(
        rows[name][Stage.STARTED] for name in busiest
    )


def test_german_formats_the_period_and_numbers_in_german() -> None:
    """German words from the catalog, German dates and numbers from Babel, the same rows."""
    counts = [*conversations("insta", 1234), *conversations(None, 3)]
    english, german = table(report_of(counts), EN), table(report_of(counts), DE)

    assert german.splitlines()[0].endswith("1.\u201330. Nov. 2026")
    assert "1.234" in german
    assert "1,234" in english
    assert len(german.splitlines()) == len(english.splitlines())
    in_german = {
        DE.gettext(label) if label in ("total", "no campaign") else label
        for label in campaign_rows(english)
    }
    assert set(campaign_rows(german)) == in_german
    assert DE.gettext("no campaign") != "no campaign"  # the catalog is in use
    assert campaign_rows(german)[DE.gettext("total")][Stage.STARTED] == 1237
    assert [q[:2] for q in question_rows(german)] == [q[:2] for q in question_rows(english)]


def test_an_empty_period_says_so_in_one_line() -> None:
    outside = conversations("insta", 10, LAST + timedelta(days=1))
    assert table(report_of(outside), EN) == (
        "Funnel 1\u2009\u2013\u200930 Nov 2026\nNo conversations in this period."
    )
    assert table_html(report_of([]), EN) == (
        "<pre>Funnel 1\u2009\u2013\u200930 Nov 2026\nNo conversations in this period.</pre>"
    )
    page = parse(html_page(report_of([]), EN))
    assert "No conversations in this period." in page.text
    assert page.image_size() == CHART_SIZE_PX


def test_the_telegram_table_is_escaped_and_fits_one_message() -> None:
    """A question key is typed by whoever writes the config: it may hold < and &, and there
    may be very many long ones; the message must still be valid HTML under 4096 characters."""
    keys = tuple(f"q{i:03}_<b>&amp;_{'x' * 40}" for i in range(300))
    counts = [c for i in range(20) for c in conversations(f"c{i}_{'y' * 60}", 500 + i)]
    counts += [count("c0", Stage.QUESTION, 5, question=key) for key in keys]
    message = table_html(report_of(counts, keys), EN)

    assert len(message) < 4096
    assert message.startswith("<pre>")
    assert message.endswith("</pre>")
    inner = message.removeprefix("<pre>").removesuffix("</pre>")
    assert "<" not in inner
    assert ">" not in inner
    assert "q000_&lt;b&gt;&amp;amp;" in inner
    more = re.search(r"\u2026 and (\d+) more questions$", inner)
    assert more is not None
    shown = question_rows(table(report_of(counts, keys), EN))
    assert [key for key, _, _ in shown] == [key[:21] + "\u2026" for key in keys[: len(shown)]]
    assert len(shown) + int(more[1]) == len(keys) + len(QUESTIONS)  # theirs come last
    assert len(message) > 3000, "cut far more than needed"
    assert "other campaigns" in inner


class Page(HTMLParser):
    """What a browser would see of the page: text, attributes of every element, structure."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.cells: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in {"meta", "img", "br"}:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open, tag
        assert self.open[-1] == tag, (tag, self.open)
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text += data
        if self.open and self.open[-1] in {"td", "th"}:
            self.cells.append(data)

    def attribute(self, tag: str, name: str) -> list[str | None]:
        return [attrs.get(name) for element, attrs in self.elements if element == tag]

    def image_size(self) -> tuple[int, int]:
        (source,) = self.attribute("img", "src")
        assert source is not None
        assert source.startswith("data:image/png;base64,")
        png = base64.b64decode(source.removeprefix("data:image/png;base64,"), validate=True)
        assert png.startswith(PNG_SIGNATURE)
        with Image.open(io.BytesIO(png)) as image:
            return image.size


def parse(page: str) -> Page:
    assert page.startswith("<!DOCTYPE html>")
    parser = Page()
    parser.feed(page)
    parser.close()
    assert parser.open == [], "unclosed elements"
    return parser


def test_the_html_page_holds_every_campaign_and_its_chart() -> None:
    names = [f"campaign_{i:02}" for i in range(11)]
    counts = [c for i, name in enumerate(names) for c in conversations(name, 10 + i)]
    counts += [*conversations(None, 3), count("campaign_00", Stage.QUESTION, 1, question="a<b&c")]
    page = parse(html_page(report_of(counts), EN))

    assert page.attribute("html", "lang") == ["en-GB"]
    assert "Funnel 1\u2009\u2013\u200930 Nov 2026" in page.text
    for name in [*names, "no campaign", "total", "a<b&c"]:
        assert name in page.cells, name
    assert "other campaigns" not in page.cells  # the page has room for every campaign
    started = page.cells.index("campaign_10") + 1
    assert page.cells[started] == "20"
    total = page.cells.index("total") + 1
    assert page.cells[total] == str(sum(10 + i for i in range(11)) + 3)
    assert page.image_size() == CHART_SIZE_PX
    # Self-contained: nothing is fetched, nothing runs.
    assert not [tag for tag, _ in page.elements if tag in {"script", "link", "iframe"}]
    for _, attrs in page.elements:
        for name in ("src", "href"):
            assert (attrs.get(name) or "data:").startswith("data:"), attrs


def test_the_page_escapes_what_a_question_key_could_inject() -> None:
    key = '"><script>alert(1)</script>&'
    counts = [count("a", Stage.STARTED, 2), count("a", Stage.QUESTION, 1, question=key)]
    raw = html_page(report_of(counts, (key,)), EN)
    page = parse(raw)

    assert "<script>" not in raw
    assert key in page.cells
    assert not [tag for tag, _ in page.elements if tag == "script"]


def test_the_german_page_says_it_is_german() -> None:
    page = parse(html_page(report_of(conversations("x", 5)), DE))
    assert page.attribute("html", "lang") == ["de"]
    assert "1.\u201330. Nov. 2026" in page.text


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def test_the_chart_is_a_small_png_of_the_promised_size() -> None:
    names = [f"campaign_{i}" for i in range(9)]
    counts = [c for i, name in enumerate(names) for c in conversations(name, 50 * (i + 1))]
    png = chart_png(report_of([*counts, *conversations(None, 30)]), EN)
    assert png_size(png) == CHART_SIZE_PX
    assert len(png) < 200_000
    assert png_size(chart_png(report_of([]), DE)) == CHART_SIZE_PX


def test_the_chart_shows_every_step_and_name_as_typed() -> None:
    """A campaign named "_x" is a valid start parameter (matplotlib hides such legend labels
    by default) and a question key with two "$" would be read as TeX."""
    counts = [
        *conversations("_underscore", 30),
        *conversations("$a$", 20),
        count("_underscore", Stage.QUESTION, 9, question="price_$x^2$"),
    ]
    figure = chart_figure(report_of(counts, (*QUESTIONS, "price_$x^2$")), EN)
    (axes,) = figure.axes
    ticks = [label.get_text() for label in axes.get_xticklabels()]
    assert ticks == [
        "Started",
        *QUESTIONS,
        "price_$x^2$",
        "Saw summary",
        "Confirmed",
        "Lead created",
    ]
    legend = axes.get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == ["_underscore", "$a$"]
    texts = [*axes.get_xticklabels(), *legend.get_texts(), axes.title]
    assert not [text.get_text() for text in texts if text.get_parse_math()]
    (line, _) = axes.get_lines()
    assert numpy.asarray(line.get_ydata()).tolist() == [30, 27, 24, 21, 9, 18, 16, 14]
    png_size(chart_png(report_of(counts, (*QUESTIONS, "price_$x^2$")), EN))  # draws


def test_charts_drawn_in_threads_at_once_are_the_same_as_one_alone() -> None:
    """The bot draws a chart in a worker thread per /report; no shared pyplot figure may mix
    two reports."""
    small = report_of(conversations("small", 10))
    large = report_of([*conversations("a", 900), *conversations("b", 400)])
    alone = {"small": chart_png(small, EN), "large": chart_png(large, DE)}
    assert alone["small"] != alone["large"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        drawn = list(
            pool.map(
                lambda job: (job, chart_png(*((small, EN) if job == "small" else (large, DE)))),
                ["small", "large"] * 4,
            )
        )
    for job, png in drawn:
        assert png == alone[job], job


@pytest.mark.e2e
def test_the_render_script_screenshots_the_page(tmp_path: Path) -> None:
    require_tool("chromium", "chromium-browser", "google-chrome")  # the script's candidates
    page = tmp_path / "report.html"
    page.write_text(
        html_page(report_of([*conversations("insta", 80), *conversations(None, 9)]), EN)
    )
    out = tmp_path / "report.png"
    done = subprocess.run(
        [str(RENDER), str(page), str(out)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert png_size(out.read_bytes()) == (1280, 1600)
    with Image.open(out) as image:
        darkest, lightest = image.convert("L").getextrema()
    assert isinstance(darkest, int)
    assert isinstance(lightest, int)
    assert darkest < 100 < lightest, "a blank screenshot"


@pytest.mark.e2e
def test_the_render_script_without_a_browser_says_what_to_install(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text("<!DOCTYPE html><title>x</title>")
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run(
        [bash, str(RENDER), str(page), str(tmp_path / "out.png")],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(empty_path)},
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == "install Chromium first: apt-get install -y chromium\n"
    assert not (tmp_path / "out.png").exists()


@pytest.mark.e2e
def test_the_module_loads_without_matplotlib() -> None:
    """The bot process imports the report module at start; matplotlib only when a chart is
    drawn (it takes a second to import and most processes never draw one)."""
    probe = "import sys, bot.marketing.report; print('matplotlib' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "False"


def test_one_campaign_needs_no_total_row() -> None:
    rows = campaign_rows(table(report_of(conversations("solo", 10)), EN))
    assert list(rows) == ["solo"]
    assert rows["solo"][Stage.STARTED] == 10


def test_trial_bookings_are_one_line_when_there_are_any() -> None:
    counts = [
        *conversations("insta", 40),
        count("insta", Stage.OFFERS_SHOWN, 12),
        count("insta", Stage.SLOTS_SHOWN, 10),
        count("insta", Stage.BOOKED, 7),
        count(None, Stage.BOOKED, 1),
        count("insta", Stage.BOOKING_CONFIRMED, 2),
        count("insta", Stage.BOOKING_REFUSED, 1),
    ]
    text = table(report_of(counts), EN)
    assert (
        "Trial sessions: 12 offered, 10 looked at times, 8 booked, 2 confirmed, 1 refused" in text
    )
    assert "Trial sessions" in html_page(report_of(counts), EN)
    assert "Trial sessions" not in table(report_of(conversations("insta", 40)), EN)
