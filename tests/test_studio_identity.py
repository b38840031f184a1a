"""The studio's own bot: named, in its country's formats, with its privacy notice and its
questions in the prospect's language (issue 12), through the real Application."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.studio.information import Source, StudioFallback
from bot.studio.texts import StudioTexts
from conversations.i18n import Translator
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, created_leads, running_bot

PRIVACY = "https://studio.example/privacy"


def studio_information(name: str, country: str, **extra: Any) -> dict[str, Any]:
    """A ``StudioInformation`` body as the vendor's schema has it (two required properties)."""
    return {
        "studioId": 123,
        "name": name,
        "country": {"GB": "United Kingdom", "AT": "Austria", "PL": "Poland"}.get(country, ""),
        "countryCode": country,
        "accessCodeConfiguration": {"enabled": False},
        "openingHours": [
            {
                "dayOfWeekFrom": "MONDAY",
                "dayOfWeekTo": "FRIDAY",
                "timeFrom": "06:00:00",
                "timeTo": "23:00:00",
            }
        ],
        **extra,
    }


def _tr(locale: str, message: str) -> str:
    return Translator(locale).gettext(message)


async def test_a_london_studio_names_itself_and_reads_british_dates_and_numbers(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.studio = studio_information("Studio Sol London", "GB", email="hello@sol.example")
    env = bot_environment(tg, pg, database_url, PRIVACY_URL=PRIVACY)
    async with running_bot(env):
        tg.set_last_name(12101, "Pond")
        amy = Prospect(tg, chat_id=12101, language_code="en", first_name="Amy")
        await amy.send("/start")
        welcome = await amy.expect("This is Studio Sol London", PRIVACY, "1/15")
        assert "go to no one else" in (welcome.text or "")
        await amy.answer("Amy Pond", "2/15")
        phone = await amy.answer("amy@example.com", "3/15", "+44 7400 123456")  # a UK example
        assert phone.requests_contact
        await amy.send("07911 123456")
        gender = await amy.expect_eventually("4/15")
        await amy.choose(gender, "Female", "5/15", "31/12/1990")  # day first, as in the UK
        country = await amy.answer("17/05/1990", "6/15")
        assert country.buttons()[0][0] == "United Kingdom"  # the studio's country first
        await amy.choose(country, "United Kingdom", "7/15")
        await amy.answer("221b Baker Street", "8/15")
        heard = await amy.answer("NW1 6XE London", "9/15", "How did you hear about us?")
        goals = await amy.choose(heard, "Friends", "10/15")
        await amy.choose(goals, "Skip", "11/15")
        await amy.answer("/skip", "12/15")
        await amy.answer("/skip", "13/15")
        await amy.answer("/skip", "14/15")
        consent = await amy.answer("No", "15/15", "by e-mail and by text message")
        assert "withdraw this consent at any time: just write to hello@sol.example" in (
            consent.text or ""
        )
        summary = await amy.choose(consent, "Yes", "Please check your details", "17 May 1990")
        await amy.choose(summary, "✅ Yes, send it", "Thank you, Amy")
        await amy.answer("/help", "Only Studio Sol London receives your details", PRIVACY)
    [lead] = created_leads(pg)
    customer = lead["leadCustomer"]
    assert customer["dateOfBirth"] == "1990-05-17"
    assert customer["telephone"] == "+447911123456"
    assert lead["address"]["countryCode"] == "GB"
    assert lead["address"]["zipCode"] == "NW1 6XE"


async def test_a_region_in_the_language_tag_still_decides_the_formats(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.studio = studio_information("Studio Sol London", "GB")
    async with running_bot(bot_environment(tg, pg, database_url)):
        tg.set_last_name(12102, "Ross")
        bob = Prospect(tg, chat_id=12102, language_code="en-US", first_name="Bob")
        await bob.send("/start")
        await bob.expect("This is Studio Sol London", "1/15")
        await bob.answer("Bob Ross", "2/15")
        phone = await bob.answer("bob@example.com", "3/15")
        assert "+1" in (phone.text or "")


async def test_a_vienna_studio_speaks_formal_german_and_its_own_questions(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    pg.studio = studio_information("FitBox Wien", "AT", telephone="+43 1 234 5678")
    texts = tmp_path / "texts.json"
    texts.write_text(
        json.dumps(
            {
                "privacy_url": {"de": "https://fitbox.example/datenschutz"},
                "additional_fields": {
                    "7001": {
                        "label": {"de": "Wie haben Sie von uns erfahren?"},
                        "options": {"Friends": {"de": "Über Freunde"}, "Flyer": {"de": ""}},
                    },
                    "7002": {"options": {"Lose weight": {"de": "Abnehmen"}}},
                },
            }
        ),
        encoding="utf-8",
    )
    env = bot_environment(tg, pg, database_url, ADDRESS_FORM="formal", STUDIO_TEXTS_FILE=str(texts))
    async with running_bot(env):
        tg.set_last_name(12103, "Berger")
        eva = Prospect(tg, chat_id=12103, language_code="de", first_name="Eva")
        await eva.send("/start")
        welcome = await eva.expect("FitBox Wien", "https://fitbox.example/datenschutz")
        text = welcome.text or ""
        assert "Sie" in text
        assert not re.search(r"\b(du|dich|dir|dein\w*)\b", text, re.IGNORECASE)
        await eva.answer("Eva Berger", "2/15")
        await eva.answer("eva@example.at", "3/15", "+43")  # Austrian, not German
        await eva.send("0664 1234567")
        gender = await eva.expect_eventually("4/15")
        await eva.choose(gender, _tr("de@formal", "Female"), "5/15", "31.12.1990")
        country = await eva.answer("17.05.1990", "6/15")
        assert country.buttons()[0][0] == "Österreich"
        await eva.choose(country, "Österreich", "7/15")
        await eva.answer("Mariahilfer Straße 12", "8/15")
        heard = await eva.answer("1060 Wien", "9/15", "Wie haben Sie von uns erfahren?")
        labels = [row[0] for row in heard.buttons()][:4]
        assert labels == ["Instagram", "Über Freunde", "Flyer", "Google"]  # a blank falls back
        goals = await eva.choose(heard, "Über Freunde", "10/15", "Training goals")
        assert goals.button_data("▫️ Abnehmen")
        await eva.press(goals, "▫️ Abnehmen")
        goals = await eva.expect("Training goals")
        await eva.choose(goals, _tr("de@formal", "Done"), "11/15")
        await eva.answer("/skip", "12/15")
        await eva.answer("/skip", "13/15")
        await eva.answer("/skip", "14/15", "Student")
        consent = await eva.answer(_tr("de@formal", "No"), "15/15")
        assert "+43 1 234 5678" in (consent.text or "")  # how to withdraw: the studio's phone
        summary = await eva.choose(consent, _tr("de@formal", "No"), "Über Freunde", "Abnehmen")
        assert "17.05.1990" in (summary.text or "")
        await eva.choose(summary, _tr("de@formal", "✅ Yes, send it"), "Eva")
    [lead] = created_leads(pg)
    sent = {item["additionalFieldId"]: item for item in lead["additionalInformation"]}
    assert sent[7001]["value"] == "Friends"  # the configured value, not the shown text
    assert sent[7002]["values"] == ["Lose weight"]
    assert lead["leadCustomer"]["telephone"] == "+436641234567"


async def test_a_warsaw_studio_shows_polish_dates_in_the_genitive(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.studio = studio_information("Studio Wola", "PL", email="kontakt@wola.example")
    async with running_bot(bot_environment(tg, pg, database_url)):
        tg.set_last_name(12104, "Nowak")
        ola = Prospect(tg, chat_id=12104, language_code="pl", first_name="Ola")
        await ola.send("/start")
        await ola.expect("Studio Wola", "1/15")
        await ola.answer("Ola Nowak", "2/15")
        phone = await ola.answer("ola@example.pl", "3/15", "+48")
        await ola.send("512 345 678")
        gender = await ola.expect_eventually("4/15")
        await ola.choose(gender, _tr("pl", "Female"), "5/15")
        country = await ola.answer("17.05.1990", "6/15")
        assert country.buttons()[0][0] == "Polska"
        await ola.choose(country, "Polska", "7/15")
        await ola.answer("ul. Wolska 12", "8/15")
        heard = await ola.answer("01-234 Warszawa", "9/15")
        goals = await ola.choose(heard, "Google", "10/15")
        await ola.choose(goals, _tr("pl", "Skip"), "11/15")
        await ola.answer("/skip", "12/15")
        await ola.answer("/skip", "13/15")
        await ola.answer("/skip", "14/15", "Student")
        consent = await ola.answer(_tr("pl", "No"), "15/15", "kontakt@wola.example")
        summary = await ola.choose(consent, _tr("pl", "No"), "17 maja 1990")
        await ola.choose(summary, _tr("pl", "✅ Yes, send it"), "Ola")
        del phone
    [lead] = created_leads(pg)
    assert lead["leadCustomer"]["telephone"] == "+48512345678"


async def test_without_the_studio_scope_the_environment_names_the_studio(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert pg.studio is None  # the fake answers 403, as for a key without STUDIO_READ
    env = bot_environment(tg, pg, database_url, STUDIO_NAME="Fit Fabrik", STUDIO_COUNTRY="AT")
    with caplog.at_level(logging.INFO):
        async with running_bot(env):
            tg.set_last_name(12105, "Maier")
            ben = Prospect(tg, chat_id=12105, language_code="en", first_name="Ben")
            await ben.send("/start")
            await ben.expect("This is Fit Fabrik", "1/15")
            await ben.answer("Ben Maier", "2/15")
            await ben.answer("ben@example.com", "3/15", "+43")  # the studio's country
    assert pg.calls["studio"] >= 1
    sources = [
        r.getMessage() for r in caplog.records if "studio information from" in r.getMessage()
    ]
    assert sources == [
        "studio information from STUDIO_NAME/STUDIO_COUNTRY: name set, country AT, "
        "time zone Europe/Vienna"
    ]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("PRIVACY_URL" in r.getMessage() for r in warnings)  # no privacy notice: said


async def test_with_nothing_known_the_texts_stay_neutral(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(bot_environment(tg, pg, database_url)):
        tg.set_last_name(12106, "Cole")
        cat = Prospect(tg, chat_id=12106, first_name="Cat")
        await cat.send("/start")
        welcome = await cat.expect("So that the studio can get in touch", "1/15")
        assert "This is" not in (welcome.text or "")
        await cat.answer("/help", "Only the studio receives your details")


async def test_the_last_known_studio_is_used_while_perfectgym_is_unreachable(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.studio = studio_information("Studio Sol London", "GB")
    async with running_bot(bot_environment(tg, pg, database_url)):
        pass  # learnt and stored
    pg.fail_next("studio", 503, times=5)
    async with running_bot(bot_environment(tg, pg, database_url)):
        tg.set_last_name(12107, "Dunn")
        dan = Prospect(tg, chat_id=12107, language_code="en")
        await dan.send("/start")
        await dan.expect("This is Studio Sol London")


async def test_studio_texts_naming_a_field_the_config_lacks_stop_the_start(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    texts = StudioTexts.parse('{"additional_fields": {"9999": {"label": {"de": "Wer?"}}}}')
    with pytest.raises(Exception, match=r"additional_fields\.9999: the leads config has no"):
        async with running_bot(bot_environment(tg, pg, database_url), texts):
            pass


@pytest.mark.parametrize(
    ("country", "zone"),
    [
        ("GB", "Europe/London"),
        ("AT", "Europe/Vienna"),
        ("PL", "Europe/Warsaw"),
        ("ES", "Europe/Madrid"),  # not the Canaries
        ("PT", "Europe/Lisbon"),  # not the Azores
        ("US", "America/New_York"),
        (None, None),
    ],
)
def test_today_is_reckoned_in_the_studio_countrys_main_zone(
    country: str | None, zone: str | None
) -> None:
    assert StudioFallback(country=country).profile(None, Source.NONE).time_zone == zone
    chosen = StudioFallback(country=country, time_zone="Pacific/Kiritimati")
    profile = chosen.profile(None, Source.NONE)
    assert profile.time_zone == "Pacific/Kiritimati"  # STUDIO_TIMEZONE wins
    kiritimati = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert profile.today() == kiritimati
