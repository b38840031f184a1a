"""One bot for a chain of studios, end to end: three fake PerfectGym tenants (each its own key
and leads configuration), STUDIOS_FILE, the real Application against the fake Bot API
(``tests/chain_fixtures.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.chain_fixtures import CAMDEN_CHAT, CHAIN_CHAT, KEYS, ChainOfFakes, fake_chain
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, load_config, running_bot


@pytest.fixture
async def chain(tg: FakeTelegram, database_url: str, tmp_path: Path) -> AsyncIterator[ChainOfFakes]:
    async with fake_chain(tg, database_url, tmp_path, configs={"mitte": "everything"}) as built:
        yield built


@contextlib.asynccontextmanager
async def three_tenants(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> AsyncIterator[ChainOfFakes]:
    """Camden and Manchester ask names and e-mail, Mitte everything; each its own key."""
    async with fake_chain(tg, database_url, tmp_path, configs={"mitte": "everything"}) as built:
        yield built


async def test_the_prospect_taps_a_club_and_the_lead_goes_to_that_studio_alone(
    tg: FakeTelegram, chain: ChainOfFakes
) -> None:
    async with running_bot(chain.env):
        pat = Prospect(tg, chat_id=31001)
        await pat.send("/start")
        question = await pat.expect("Welcome to Studio Sol!", "Which club")
        assert [text for text, _ in question.buttons()] == [
            "Studio Sol Camden (London)",
            "Studio Sol Manchester",  # the city is in its name already
            "Studio Sol Mitte (Berlin)",
        ]
        keyboard = await pat.expect("Send my location")  # Telegram's share-location button
        [[button]] = (keyboard.reply_markup or {})["keyboard"]
        assert button["request_location"] is True
        await pat.press(question, "Camden")
        await pat.expect("Studio Sol Camden")  # the choice, on record
        await pat.expect("This is Studio Sol Camden", "first name")
        await pat.answer("Pat", "last name")
        await pat.answer("Jones", "e-mail")
        summary = await pat.answer("pat@example.com", "Please check your details")
        assert "Club: Studio Sol Camden" in (summary.text or "")
        await pat.press(summary, "Yes, send it")
        await pat.expect_eventually("Thank you, Pat")
    created = chain.created()
    assert [lead["leadCustomer"]["email"] for lead in created["camden"]] == ["pat@example.com"]
    assert created["manchester"] == []
    assert created["mitte"] == []
    assert "externalIdentifier" not in created["camden"][0]
    # Its own staff chat and the chain's hear of it, named for the club.
    for staff in (CAMDEN_CHAT, CHAIN_CHAT):
        notices = [m.text or "" for m in tg.messages_to(staff)]
        assert any("Studio Sol Camden" in text and "New lead" in text for text in notices)


async def test_a_deep_link_naming_the_studio_skips_the_question(
    tg: FakeTelegram, chain: ChainOfFakes
) -> None:
    async with running_bot(chain.env):
        pat = Prospect(tg, chat_id=31002)
        await pat.send("/start manchester--spring_promo")
        await pat.expect("This is Studio Sol Manchester", "first name")
        await pat.answer("Pat", "last name")
        await pat.answer("Lee", "e-mail")
        summary = await pat.answer("lee@example.com", "Please check your details")
        await pat.press(summary, "Yes, send it")
        await pat.expect_eventually("Thank you, Pat")
    [lead] = chain.created()["manchester"]
    assert lead["externalIdentifier"] == "spring_promo"
    assert chain.created()["camden"] == []
    assert chain.created()["mitte"] == []


async def test_a_location_offers_the_nearest_clubs_in_the_prospects_language(
    tg: FakeTelegram, chain: ChainOfFakes
) -> None:
    async with running_bot(chain.env):
        ida = Prospect(tg, chat_id=31003, language_code="de")
        await ida.send("/start")
        await ida.expect("Studio Sol")
        await tg.send_location(ida.chat_id, 52.5200, 13.4050, language_code="de")  # Alexanderplatz
        nearest = await ida.expect_eventually("am nächsten")
        labels = [text for text, _ in nearest.buttons() if " · " in text]
        assert labels == [
            "Studio Sol Mitte · 1,9 km",  # German decimals
            "Studio Sol Camden · 932 km",
            "Studio Sol Manchester · 1.050 km",
        ]
        await ida.press(nearest, "Mitte")
        await ida.expect_eventually("Vorname")


async def test_a_typed_city_chooses_the_club_case_and_accents_ignored(
    tg: FakeTelegram, chain: ChainOfFakes
) -> None:
    async with running_bot(chain.env):
        pat = Prospect(tg, chat_id=31004)
        await pat.send("/start")
        await pat.expect("Which club")
        await pat.send("MANCHESTÉR")
        await pat.expect_eventually("This is Studio Sol Manchester", "first name")


async def test_changing_the_club_keeps_the_answers_the_new_club_also_asks_for(
    tg: FakeTelegram, chain: ChainOfFakes
) -> None:
    async with running_bot(chain.env):
        pat = Prospect(tg, chat_id=31005)
        await pat.send("/start camden")
        await pat.expect("first name")
        await pat.answer("Pat", "last name")
        await pat.answer("Jones", "e-mail")
        summary = await pat.answer("pat@example.com", "Please check your details")
        await pat.press(summary, "Another club")
        question = await pat.expect_eventually("Which club")
        await pat.press(question, "Manchester")
        again = await pat.expect_eventually("Please check your details")
        text = again.text or ""
        assert "Club: Studio Sol Manchester" in text
        assert "Pat" in text
        assert "Jones" in text
        assert "pat@example.com" in text
        await pat.press(again, "Yes, send it")
        await pat.expect_eventually("Thank you, Pat")
    assert chain.created()["camden"] == []
    assert [lead["leadCustomer"]["lastname"] for lead in chain.created()["manchester"]] == ["Jones"]


async def test_a_studio_whose_key_is_refused_drops_out_and_the_others_go_on(
    tg: FakeTelegram, chain: ChainOfFakes, caplog: pytest.LogCaptureFixture
) -> None:
    chain.tenants["manchester"].fail_next("config", 401, times=100)
    caplog.set_level(logging.INFO)

    def dropped() -> list[logging.LogRecord]:
        return [
            r
            for r in caplog.records
            if r.levelno == logging.ERROR and "out of the choice" in r.getMessage()
        ]

    async with running_bot(chain.env):
        async with asyncio.timeout(10):
            while not dropped():  # noqa: ASYNC110 (the clubs load in the background)
                await asyncio.sleep(0.02)
        for chat_id in (31006, 31007):  # one line and one staff message, not one per prospect
            pat = Prospect(tg, chat_id=chat_id)
            await pat.send("/start")
            question = await pat.expect("Which club")
            labels = [text for text, _ in question.buttons()]
            assert labels == ["Studio Sol Camden (London)", "Studio Sol Mitte (Berlin)"]
        await pat.press(question, "Camden")
        await pat.expect_eventually("first name")
    [down] = dropped()
    assert "manchester" in down.getMessage()
    assert KEYS["manchester"] not in caplog.text
    staff = [m.text or "" for m in tg.messages_to(CHAIN_CHAT)]
    [notice] = [text for text in staff if "not taking new prospects" in text]
    assert "Studio Sol Manchester" in notice
    assert "refuses its API key" in notice
    assert chain.tenants["manchester"].created == []


async def test_a_club_that_asks_more_asks_only_what_is_missing(
    tg: FakeTelegram, chain: ChainOfFakes
) -> None:
    chain.tenants["mitte"].set_config({**load_config("all-inactive"), "telephoneMode": "MANDATORY"})
    async with running_bot(chain.env):
        pat = Prospect(tg, chat_id=31008)
        await pat.send("/start camden--autumn")
        await pat.expect("first name")
        await pat.answer("Pat", "last name")
        await pat.answer("Jones", "e-mail")
        summary = await pat.answer("pat@example.com", "Please check your details")
        await pat.send("/club")
        question = await pat.expect_eventually("Which club")
        await pat.press(question, "Mitte")
        await pat.expect_eventually("phone")  # the one question Mitte adds
        await pat.send("+49 30 1234567")
        summary = await pat.expect_eventually("Please check your details")
        assert "Club: Studio Sol Mitte" in (summary.text or "")
        await pat.press(summary, "Yes, send it")
        await pat.expect_eventually("Thank you, Pat")
    [lead] = chain.created()["mitte"]
    customer = lead["leadCustomer"]
    assert (customer["firstname"], customer["lastname"], customer["email"]) == (
        "Pat",
        "Jones",
        "pat@example.com",
    )
    assert customer["telephone"] == "+49301234567"
    assert lead["externalIdentifier"] == "autumn"  # the campaign stays with the prospect
    assert chain.created()["camden"] == []


async def test_help_names_the_brand_before_a_club_is_chosen_and_the_club_after(
    tg: FakeTelegram, chain: ChainOfFakes
) -> None:
    async with running_bot(chain.env):
        pat = Prospect(tg, chat_id=31009)
        await pat.send("/help")
        before = await pat.expect("Only Studio Sol receives", "/club")
        assert "Camden" not in (before.text or "")
        await pat.send("/start camden")
        await pat.expect("first name")
        await pat.send("/help")
        await pat.expect("Only Studio Sol Camden receives")


async def test_a_german_prospect_goes_through_the_whole_chain_in_german(
    tg: FakeTelegram, chain: ChainOfFakes
) -> None:
    """The club question, a shared location, the choice, all sixteen questions of Mitte's
    configuration, the summary's club line and the thank-you, in German."""
    mitte = chain.tenants["mitte"]
    async with running_bot(chain.env):
        ida = Prospect(tg, chat_id=36001, language_code="de", first_name="Ida")
        await ida.send("/start")
        question = await ida.expect(
            "Willkommen bei Studio Sol! In welchem Studio möchtest du trainieren?",
            "Tippe auf ein Studio, sende deinen Standort oder gib eine Stadt, eine Postleitzahl "
            "oder den Namen eines Studios ein.",
        )
        assert [text for text, _ in question.buttons()] == [
            "Studio Sol Camden (London)",
            "Studio Sol Manchester",
            "Studio Sol Mitte (Berlin)",
        ]
        keyboard = await ida.expect("📍 Meinen Standort senden")
        [[button]] = (keyboard.reply_markup or {})["keyboard"]
        assert button == {"text": "📍 Meinen Standort senden", "request_location": True}
        await tg.send_location(ida.chat_id, 52.5200, 13.4050, language_code="de")
        nearest = await ida.expect("Die Studios, die dir am nächsten sind:")
        assert [text for text, _ in nearest.buttons()] == [
            "Studio Sol Mitte · 1,9 km",
            "Studio Sol Camden · 932 km",
            "Studio Sol Manchester · 1.050 km",
            "← Alle Studios",
        ]
        await ida.press(nearest, "Mitte")
        await ida.expect("Super, dann also Studio Sol Mitte (Berlin).")
        first = await ida.expect(
            "Hallo! 👋 Hier ist Studio Sol Mitte. Damit wir uns wegen eines Probetrainings bei "
            "dir melden können, habe ich ein paar Fragen an dich.",
            "11 Fragen sind Pflicht. 5 weitere Fragen sind freiwillig",
            "1/16 · Wie lautet dein Vorname?",
        )
        await ida.press(first, "Ida")  # her name in Telegram, offered as a button
        await ida.expect("2/16 · Und dein Nachname?")
        await ida.answer("Iversen", "3/16 · Wie lautet deine E-Mail-Adresse?")
        await ida.answer("ida@example.de", "4/16 · Wie lautet deine Telefonnummer?")
        await ida.send("+49 30 1234567")
        gender = await ida.expect_eventually("5/16 · Welches Geschlecht hast du? (optional)")
        await ida.press(gender, "Weiblich")
        await ida.expect("6/16 · Wann bist du geboren?", "Zum Beispiel 31.12.1990.")
        country = await ida.answer("12.03.1990", "7/16 · In welchem Land wohnst du?")
        await ida.press(country, "Deutschland")
        await ida.expect("8/16 · Wie lauten deine Straße und Hausnummer?")
        await ida.answer(
            "Invalidenstraße 1", "9/16 · Wie lauten deine Postleitzahl und dein Wohnort?"
        )
        heard = await ida.answer("10115 Berlin", "10/16 · How did you hear about us?")
        await ida.press(heard, "Instagram")  # the studio's own field names, as PerfectGym has them
        goals = await ida.expect("11/16 · Training goals (optional)", "Tippe alles an")
        await ida.press(goals, "Überspringen")
        for number, name in ((12, "Preferred trial date"), (13, "Training sessions per week")):
            optional = await ida.expect(f"{number}/16 · {name} (optional)")
            await ida.press(optional, "Überspringen")
        injuries = await ida.expect("14/16 · Any injuries we should know about? (optional)")
        await ida.press(injuries, "Überspringen")
        student = await ida.expect("15/16 · Student")
        await ida.press(student, "Ja")
        consent = await ida.expect(
            "16/16 · Darf dich Studio Sol Mitte per E-Mail und per SMS über Neuigkeiten und Angebote"
        )
        await ida.press(consent, "Nein")
        summary = await ida.expect("Bitte prüfe deine Angaben:")
        assert summary.text == (
            "Bitte prüfe deine Angaben:\n\n"
            "• Studio: Studio Sol Mitte\n"
            "• Vorname: Ida\n"
            "• Nachname: Iversen\n"
            "• E-Mail: ida@example.de\n"
            "• Telefon: +49 30 1234567\n"
            "• Geschlecht: Weiblich\n"
            "• Geburtsdatum: 12.03.1990\n"
            "• Adresse: Invalidenstraße 1, 10115 Berlin, Deutschland\n"
            "• How did you hear about us? Instagram\n"
            "• Training goals: —\n"
            "• Preferred trial date: —\n"
            "• Training sessions per week: —\n"
            "• Any injuries we should know about? —\n"
            "• Student: Ja\n"
            "• Neuigkeiten und Angebote: Nein\n\n"
            "Stimmt alles? Tippe auf ein Feld, um es zu ändern."
        )
        assert "🏠 Anderes Studio" in [label for label, _ in summary.buttons()]
        await ida.press(summary, "Ja, abschicken")
        await ida.expect_eventually(
            "Danke, Ida! 🎉 Studio Sol Mitte hat deine Angaben und meldet sich bald bei dir."
        )
    [lead] = mitte.created
    assert lead["leadCustomer"] == {
        "thirdPartyId": "36001",
        "firstname": "Ida",
        "lastname": "Iversen",
        "email": "ida@example.de",
        "gender": "FEMALE",
        "dateOfBirth": "1990-03-12",
        "telephone": "+49301234567",
        "language": {"languageCode": "de"},
    }
    assert lead["address"] == {
        "street": "Invalidenstraße",
        "houseNumber": "1",
        "zipCode": "10115",
        "city": "Berlin",
        "countryCode": "DE",
    }
    assert lead["additionalInformation"] == [
        {"additionalFieldId": 7001, "value": "Instagram"},
        {"additionalFieldId": 7006, "value": "true"},
    ]
    assert chain.created()["camden"] == []
    assert chain.created()["manchester"] == []
