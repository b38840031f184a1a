"""The funnel end to end: prospects from two campaigns and none, counted without personal
data, reported by /report in the staff chat only and by ``python -m bot report``."""

from __future__ import annotations

import datetime
import html
import io
from pathlib import Path

from PIL import Image

from bot.funnel.counts import Stage, Step, known_counts
from bot.storage import open_storage
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, run_command, running_bot
from tests.test_funnel_report import campaign_rows

STAFF = -1001234500001


def _env(tg: FakeTelegram, pg: FakePerfectGym, database_url: str) -> dict[str, str]:
    pg.set_config(load_config("all-inactive"))
    tg.add_group(STAFF, "Studio staff")
    return bot_environment(tg, pg, database_url, STAFF_CHAT_ID=str(STAFF))


async def _four_prospects(tg: FakeTelegram) -> None:
    """spring: one lead, one who stops after the first name; none: one who cancels;
    poster: one who forgets."""
    lead = Prospect(tg, chat_id=5101)
    summary = await lead.introduce("Lena", "Lang", "lena@example.com", start="/start spring")
    await lead.choose(summary, "Yes, send it", "Thank you, Lena")
    stops = Prospect(tg, chat_id=5102)
    await stops.send("/start spring")
    await stops.expect("first name")
    await stops.answer("Sam", "last name")
    cancels = Prospect(tg, chat_id=5103)
    await cancels.send("/start")
    await cancels.expect("first name")
    await cancels.answer("/cancel", "deleted your answers")
    forgets = Prospect(tg, chat_id=5104)
    await forgets.send("/start poster")
    await forgets.expect("first name")
    await forgets.answer("/forget", "has been deleted")


async def test_counts_per_campaign_without_personal_data(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        await _four_prospects(tg)
    storage = await open_storage(database_url)
    try:
        today = datetime.date.today()
        counts = known_counts(
            await storage.funnel_counts(today - datetime.timedelta(days=1), today)
        )
    finally:
        await storage.close()
    by_step: dict[tuple[str | None, Step], int] = {}
    for count in counts:
        by_step[(count.campaign, count.step)] = (
            by_step.get((count.campaign, count.step), 0) + count.count
        )
    assert by_step == {
        ("spring", Step(Stage.STARTED)): 2,
        ("spring", Step(Stage.QUESTION, "firstname")): 2,
        ("spring", Step(Stage.QUESTION, "lastname")): 2,
        ("spring", Step(Stage.QUESTION, "email")): 1,
        ("spring", Step(Stage.SUMMARY)): 1,
        ("spring", Step(Stage.CONFIRMED)): 1,
        ("spring", Step(Stage.CREATED)): 1,
        (None, Step(Stage.STARTED)): 1,
        (None, Step(Stage.QUESTION, "firstname")): 1,
        (None, Step(Stage.CANCELLED)): 1,
        ("poster", Step(Stage.STARTED)): 1,
        ("poster", Step(Stage.QUESTION, "firstname")): 1,
        ("poster", Step(Stage.FORGOTTEN)): 1,
    }
    stored = repr(counts)
    for personal in ("Lena", "Lang", "lena@example.com", "Sam", "5101", "5102", "5104"):
        assert personal not in stored


async def test_report_in_the_staff_chat_is_a_table_and_a_chart(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        await _four_prospects(tg)
        tg.drain(STAFF)  # the new lead's notice
        await tg.send_text(STAFF, "/report 7")
        table = await tg.next_message(STAFF)
        chart = await tg.next_message(STAFF)
    assert table.parse_mode == "HTML"
    assert table.text is not None
    assert table.text.startswith("<pre>")
    assert table.text.endswith("</pre>")
    rows = campaign_rows(html.unescape(table.text.removeprefix("<pre>").removesuffix("</pre>")))
    assert rows["spring"][Stage.STARTED] == 2
    assert rows["spring"][Stage.CREATED] == 1
    assert rows["poster"][Stage.FORGOTTEN] == 1
    assert rows["no campaign"][Stage.CANCELLED] == 1
    assert chart.method == "sendPhoto"
    [photo] = tg.photos
    with Image.open(io.BytesIO(photo.photo)) as image:
        assert image.format == "PNG"
        assert image.size == (1200, 700)
    assert tg.errors == []


async def test_report_elsewhere_is_an_unknown_command_and_bad_days_are_explained(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        prospect = Prospect(tg, chat_id=5201)
        await prospect.answer("/report", "I don't know that command")
        await tg.send_text(STAFF, "/report lots")
        usage = await tg.next_message(STAFF)
        assert usage.text is not None
        assert "/report 7" in usage.text
        await tg.send_text(STAFF, "/report 0")
        assert "/report 7" in ((await tg.next_message(STAFF)).text or "")
    assert tg.photos == []


async def test_the_command_line_report_prints_the_table_and_writes_the_page(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    env = _env(tg, pg, database_url)
    async with running_bot(env):
        await _four_prospects(tg)
    page = tmp_path / "funnel.html"
    status, out, err = await run_command("report", "--days", "30", "--html", str(page), env=env)
    assert status == 0, err
    rows = campaign_rows("\n".join(out))
    assert rows["spring"][Stage.CONFIRMED] == 1
    text = page.read_text(encoding="utf-8")
    assert "data:image/png;base64," in text
    assert "spring" in text
    assert "poster" in text
