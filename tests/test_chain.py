"""One bot for a chain of studios, end to end: three fake PerfectGym tenants (each its own key
and leads configuration), STUDIOS_FILE, the real Application against the fake Bot API
(``tests/chain_fixtures.py``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.chain_fixtures import CAMDEN_CHAT, CHAIN_CHAT, KEYS, ChainOfFakes, fake_chain
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, running_bot


@pytest.fixture
async def chain(tg: FakeTelegram, database_url: str, tmp_path: Path) -> AsyncIterator[ChainOfFakes]:
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
