"""The front desk's answers without staff (issue 25): /where, /hours and /prices and their
buttons, from the studio's own PerfectGym data, through the real Application against the
loopback fakes."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.standin.sample_studio import OPENING_HOURS, closure, offer
from conversations.i18n import Translator
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.harness import Clock, Prospect, bot_environment, load_config, running_bot

BERLIN = ZoneInfo("Europe/Berlin")
# The owner's private chat as the staff chat: no group, so no threads; a question the data cannot
# answer goes to staff as a notice (a group's threads take it: tests/test_front_desk_threads.py).
STAFF = 777001
LATITUDE, LONGITUDE = 52.5298, 13.4015
PERSONALLY = "The studio will answer this personally."


def ranges(text: str) -> str:
    """Days and times as the bot joins them: with en dashes, written here as hyphens."""
    return text.replace("-", "\u2013")


def _de(message: str) -> str:
    return Translator("de").gettext(message)


def next_wednesday(hour: int, minute: int = 0) -> datetime.datetime:
    """A weekday evening (or night) in Berlin, a few days ahead of the real date."""
    today = datetime.datetime.now(BERLIN).date()
    day = today + datetime.timedelta(days=(2 - today.weekday()) % 7 or 7)
    return datetime.datetime.combine(day, datetime.time(hour, minute), BERLIN)


def set_clock(clock: Clock, when: datetime.datetime) -> None:
    clock.offset += when.timestamp() - clock()


def studio(day: datetime.date, **extra: Any) -> dict[str, Any]:
    """Studio Sol Mitte: weekdays 07:00 to 22:00, weekends 09:00 to 20:00, closed on a Monday within
    two weeks of ``day`` and for two days three weeks later."""
    return {
        "studioId": 7,
        "name": "Studio Sol Mitte",
        "countryCode": "DE",
        "website": "https://sol.example/mitte",
        "street": "Torstraße",
        "houseNumber": "140",
        "zip": "10119",
        "city": "Berlin",
        "location": {"latitude": LATITUDE, "longitude": LONGITUDE},
        "accessCodeConfiguration": {"enabled": False},
        "publicOpeningHours": [
            {
                "dayOfWeekFrom": "MONDAY",
                "dayOfWeekTo": "FRIDAY",
                "timeFrom": "07:00:00",
                "timeTo": "22:00:00",
            },
            {
                "dayOfWeekFrom": "SATURDAY",
                "dayOfWeekTo": "SUNDAY",
                "timeFrom": "09:00:00",
                "timeTo": "20:00:00",
            },
        ],
        "closingHours": [
            closure(day + datetime.timedelta(days=5), "Public holiday"),
            closure(day + datetime.timedelta(days=21), "Staff training", days=2),
        ],
        **extra,
    }


def seven_offers() -> list[dict[str, Any]]:
    """Seven offers on sale and one whose sale is over."""
    names = ["Standard", "Flex", "Student", "Senior", "Family", "Corporate", "Night owl"]
    prices = ["49.90", "69.90", "34.90", "39.90", "89.00", "44.50", "29.00"]
    offers = [
        offer(index + 1, name, price, 12 if index % 2 == 0 else 1, footnote=f"{name} terms.")
        for index, (name, price) in enumerate(zip(names, prices, strict=True))
    ]
    ended = datetime.date(2020, 12, 31)
    offers.append(offer(99, "Expired deal", "9.90", 3, end=ended))
    return offers


@pytest.fixture
def clock() -> Clock:
    moved = Clock()
    set_clock(moved, next_wednesday(20))
    return moved


@pytest.fixture
def env(tg: FakeTelegram, pg: FakePerfectGym, database_url: str, clock: Clock) -> dict[str, str]:
    pg.set_config(load_config("all-inactive"))
    pg.studio = studio(next_wednesday(20).date())
    pg.offers = seven_offers()
    return bot_environment(tg, pg, database_url, STAFF_CHAT_ID=str(STAFF))


async def test_where_is_a_venue_with_the_studios_coordinates_and_name(
    tg: FakeTelegram, env: dict[str, str], clock: Clock
) -> None:
    async with running_bot(env, clock=clock):
        pat = Prospect(tg, chat_id=25001)
        await pat.send("/where")
        message = await pat.expect("Studio Sol Mitte")
        assert message.method == "sendVenue"
    [venue] = tg.venues
    assert (venue.chat_id, venue.latitude, venue.longitude) == (25001, LATITUDE, LONGITUDE)
    assert venue.title == "Studio Sol Mitte"
    assert venue.address == "Torstraße 140, 10119 Berlin"
    assert tg.errors == []


async def test_where_without_coordinates_is_the_address_in_words(
    tg: FakeTelegram, pg: FakePerfectGym, env: dict[str, str], clock: Clock
) -> None:
    assert pg.studio is not None
    pg.studio = {key: value for key, value in pg.studio.items() if key != "location"}
    async with running_bot(env, clock=clock):
        pat = Prospect(tg, chat_id=25002)
        await pat.send("/where")
        await pat.expect("Studio Sol Mitte\nTorstraße 140, 10119 Berlin")
    assert tg.venues == []


async def test_hours_in_english_and_german_open_now_and_next_and_the_closures_ahead(
    tg: FakeTelegram, env: dict[str, str], clock: Clock
) -> None:
    async with running_bot(env, clock=clock):
        pat = Prospect(tg, chat_id=25003, language_code="en")
        await pat.send("/hours")
        hours = (await pat.expect("Opening hours of Studio Sol Mitte")).text or ""
        assert ranges("Mon-Fri 07:00-22:00") in hours
        assert ranges("Sat-Sun 09:00-20:00") in hours
        assert "🟢 Open now until 22:00." in hours
        assert "(Public holiday)" in hours  # within 14 days
        assert "Staff training" not in hours  # three weeks ahead
        ida = Prospect(tg, chat_id=25004, language_code="de")
        await ida.send("/hours")
        stunden = (await ida.expect("Studio Sol Mitte")).text or ""
        assert ranges("Mo-Fr 07:00-22:00") in stunden
        assert _de("🟢 Open now until {time}.").format(time="22:00") in stunden
        assert _de("🟢 Open now until {time}.") != "🟢 Open now until {time}."
        assert "(Public holiday)" in stunden
        assert "Staff training" not in stunden

        set_clock(clock, next_wednesday(23, 30))  # the same day, at night
        await pat.send("/hours")
        night = (await pat.expect("Opening hours")).text or ""
        assert "🔴 Closed now. Opens tomorrow at 07:00." in night
        await ida.send("/hours")
        nacht = (await ida.expect("Studio Sol Mitte")).text or ""
        tomorrow = _de("Opens tomorrow at {time}.").format(time="07:00")
        assert f"{_de('🔴 Closed now.')} {tomorrow}" in nacht


async def test_prices_show_five_offers_valid_today_the_website_and_the_locales_currency(
    tg: FakeTelegram, env: dict[str, str], clock: Clock
) -> None:
    async with running_bot(env, clock=clock):
        ida = Prospect(tg, chat_id=25005, language_code="de")
        await ida.send("/prices")
        preise = (await ida.expect("Studio Sol Mitte")).text or ""
        amy = Prospect(tg, chat_id=25006, language_code="en-GB")
        await amy.send("/prices")
        prices = (await amy.expect("Memberships at Studio Sol Mitte")).text or ""
    assert "49,90\xa0€" in preise
    assert "€49.90" in prices
    assert "49,90" not in prices
    for text in (preise, prices):
        assert text.count("▪️") == 5
        assert "Corporate" not in text  # the sixth
        assert "Expired deal" not in text
        assert "https://sol.example/mitte" in text
    assert "More offers on https://sol.example/mitte" in prices
    assert "minimum term 12 months" in prices
    assert "minimum term 1 month\n" in prices
    assert "Standard terms." in prices  # the footnote


async def test_without_the_offers_scope_the_studio_answers_and_staff_hear_of_it(
    tg: FakeTelegram, pg: FakePerfectGym, env: dict[str, str], clock: Clock
) -> None:
    pg.offers = None  # 403, as for a key without the memberships scope
    async with running_bot(env, clock=clock):
        pat = Prospect(tg, chat_id=25007, first_name="Zelda")
        await pat.send("/prices")
        await pat.expect(PERSONALLY)
        notice = await tg.next_message(STAFF)
        await pat.send("/prices")  # asked again: no second notice
        await pat.expect(PERSONALLY)
        await pat.send("/where")  # what the key may read is still answered
        await pat.expect("Studio Sol Mitte")
        await tg.wait_idle(STAFF, quiet=0.2)
    assert "A prospect asked about prices" in (notice.text or "")
    assert "Zelda" not in (notice.text or "")
    assert "25007" not in (notice.text or "")
    assert [m.text for m in tg.messages_to(STAFF)] == [notice.text]


async def test_without_studio_information_hours_and_where_go_to_staff(
    tg: FakeTelegram, pg: FakePerfectGym, env: dict[str, str], clock: Clock
) -> None:
    pg.studio = None  # 403: no STUDIO_READ
    async with running_bot(env, clock=clock):
        pat = Prospect(tg, chat_id=25008)
        await pat.send("/hours")
        await pat.expect(PERSONALLY)
        hours_notice = await tg.next_message(STAFF)
        await pat.send("/where")
        await pat.expect(PERSONALLY)
        where_notice = await tg.next_message(STAFF)
    assert "opening hours" in (hours_notice.text or "")
    assert "where the studio is" in (where_notice.text or "")


async def test_asked_mid_form_the_answer_comes_then_the_same_question_and_nothing_is_lost(
    tg: FakeTelegram, pg: FakePerfectGym, env: dict[str, str], clock: Clock
) -> None:
    async with running_bot(env, clock=clock):
        pat = Prospect(tg, chat_id=25009)
        await pat.send("/start")
        welcome = await pat.expect("questions are needed", "first name")
        assert [t for t, _ in welcome.buttons()][-3:] == ["📍 Where", "🕒 Hours", "💶 Prices"]
        await pat.press(welcome, "💶 Prices")
        await pat.expect("Memberships at Studio Sol Mitte")
        again = await pat.expect("first name")
        assert "questions are needed" not in (again.text or "")
        await pat.answer("Pat", "last name")
        await pat.send("/where")
        venue = await pat.expect("Studio Sol Mitte")
        assert venue.method == "sendVenue"
        await pat.expect("last name")
        await pat.answer("Jones", "e-mail")
        summary = await pat.answer("pat@example.com", "Please check your details")
        await pat.send("/hours")
        await pat.expect("Opening hours")
        summary = await pat.expect("Please check your details")
        await pat.press(summary, "Yes, send it")
        thanks = await _thank_you(pat)
        assert [t for t, _ in thanks.buttons()] == ["📍 Where", "🕒 Hours", "💶 Prices"]
        await pat.press(thanks, "🕒 Hours")
        await pat.expect("Opening hours")
        await tg.wait_idle(pat.chat_id, quiet=0.2)
        assert [m for m in tg.drain(pat.chat_id) if m.method.startswith("send")] == []
    [lead] = pg.created
    assert lead["leadCustomer"]["firstname"] == "Pat"
    assert lead["leadCustomer"]["lastname"] == "Jones"
    assert lead["leadCustomer"]["email"] == "pat@example.com"
    assert tg.errors == []


async def _thank_you(pat: Prospect) -> SentMessage:
    return await pat.expect_eventually("Thank you, Pat")


async def test_a_failing_api_serves_the_cached_offers_without_waiting(
    tg: FakeTelegram, pg: FakePerfectGym, env: dict[str, str], clock: Clock
) -> None:
    async with running_bot(env, clock=clock):
        pat = Prospect(tg, chat_id=25010, language_code="de")
        await pat.send("/prices")
        await pat.expect("49,90\xa0€")
        assert pg.calls["membership_offers"] == 1  # fetched at start, then cached
        clock.forward(3600)  # past the cache's TTL
        held = pg.hold_next("membership_offers")
        await pat.send("/prices")
        answer = await pat.expect("49,90\xa0€")  # the stored copy, while PerfectGym hangs
        await asyncio.wait_for(held.arrived.wait(), 10)
        assert not held.released.is_set()  # never answered before the prospect was
        assert "Studio Sol Mitte" in (answer.text or "")
        held.released.set()
    assert pg.calls["membership_offers"] == 2


async def test_offers_kept_by_an_earlier_run_are_answered_while_perfectgym_fails(
    tg: FakeTelegram, pg: FakePerfectGym, env: dict[str, str], clock: Clock
) -> None:
    async with running_bot(env, clock=clock):
        pass  # the offers are fetched at start, and stored
    pg.fail_next("membership_offers", 503, times=10)
    clock.forward(3600)
    async with running_bot(env, clock=clock):
        pat = Prospect(tg, chat_id=25011, language_code="de")
        await pat.send("/prices")
        await pat.expect("49,90\xa0€")
    assert tg.messages_to(STAFF) == []


# --- a chain -----------------------------------------------------------------------------------

KEYS = {"mitte": "key-mitte-25", "camden": "key-camden-25"}
CAMDEN = {
    "studioId": 8,
    "name": "Studio Sol Camden",
    "countryCode": "GB",
    "website": "https://sol.example/camden",
    "street": "Camden High Street 12",
    "zip": "NW1 8AB",
    "city": "London",
    "location": {"latitude": 51.5390, "longitude": -0.1426},
    "accessCodeConfiguration": {"enabled": False},
    "publicOpeningHours": OPENING_HOURS,
}


@pytest.fixture
async def chain_env() -> AsyncIterator[dict[str, FakePerfectGym]]:
    tenants: dict[str, FakePerfectGym] = {}
    try:
        for studio_id, key in KEYS.items():
            fake = FakePerfectGym(load_config("all-inactive"), key)
            await fake.__aenter__()
            tenants[studio_id] = fake
        tenants["mitte"].studio = studio(next_wednesday(20).date())
        tenants["mitte"].offers = seven_offers()
        tenants["camden"].studio = CAMDEN
        tenants["camden"].offers = [offer(1, "Camden Monthly", "39.00", 1, currency="GBP")]
        yield tenants
    finally:
        for fake in tenants.values():
            await fake.__aexit__(None, None, None)


def _chain_environment(
    tg: FakeTelegram, tenants: dict[str, FakePerfectGym], database_url: str, tmp_path: Path
) -> dict[str, str]:
    lines = ['brand = "Studio Sol"']
    for studio_id, fake in tenants.items():
        lines += [
            "[[studio]]",
            f'id = "{studio_id}"',
            f'perfectgym_api_url = "{fake.url}"',
            f'perfectgym_api_key_env = "KEY_{studio_id.upper()}"',
        ]
    studios_file = tmp_path / "studios.toml"
    studios_file.write_text("\n".join(lines) + "\n")
    return {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "DATABASE_URL": database_url,
        "PERFECTGYM_TIMEOUT_SECONDS": "5",
        "STUDIOS_FILE": str(studios_file),
        **{f"KEY_{studio_id.upper()}": key for studio_id, key in KEYS.items()},
    }


async def test_in_a_chain_the_answers_are_the_chosen_clubs(
    tg: FakeTelegram,
    chain_env: dict[str, FakePerfectGym],
    database_url: str,
    tmp_path: Path,
    clock: Clock,
) -> None:
    env = _chain_environment(tg, chain_env, database_url, tmp_path)
    async with running_bot(env, clock=clock):
        pat = Prospect(tg, chat_id=25012, language_code="en-GB")
        await pat.send("/start")
        await pat.expect("Which club")
        await pat.send("/prices")  # which club's? the question comes first
        await pat.expect_eventually("choose your club first")  # after the location keyboard
        question = await pat.expect_eventually("Which club")
        await pat.press(question, "Camden")
        welcome = await pat.expect_eventually("This is Studio Sol Camden", "first name")
        await pat.press(welcome, "📍 Where")
        venue = await pat.expect("Studio Sol Camden")
        assert venue.method == "sendVenue"
        await pat.expect("first name")
        await pat.send("/prices")
        prices = (await pat.expect("Memberships at Studio Sol Camden")).text or ""
        await pat.expect("first name")
    assert "£39.00" in prices
    assert "Standard" not in prices  # Mitte's
    [where] = tg.venues
    assert (where.latitude, where.longitude, where.title) == (51.5390, -0.1426, "Studio Sol Camden")
