"""A chat prospects finish: fewer steps, answers that show, a way back, mistakes explained.

Every test runs the real bot against the loopback fakes, as a prospect would meet it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, is_settle
from tests.harness import Prospect, bot_environment, load_config, running_bot


def _config(**modes: str) -> dict[str, Any]:
    config: dict[str, Any] = load_config("all-inactive")
    config.update(modes)
    return config


# --- fewer steps -------------------------------------------------------------------------------


async def test_the_profile_name_is_one_tap_and_answers_both_names(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    tg.set_last_name(7001, "Schmidt")
    async with running_bot(bot_environment(tg, pg, database_url)):
        anna = Prospect(tg, chat_id=7001, first_name="Anna")
        await anna.send("/start")
        name = await anna.expect("2 questions are needed", "1/2", "What is your name?")
        assert [label for label, _ in name.buttons()] == ["Anna Schmidt"]
        await anna.press(name, "Anna Schmidt")
        await anna.expect("2/2", "e-mail")  # first what the prospect waits for, then:
        settled = await tg.next_message(7001)
        assert settled.message_id == name.message_id
        assert is_settle(settled)
        assert (settled.text or "").endswith("✔️ Anna Schmidt")
        summary = await anna.answer(
            "anna@example.com", "First name: Anna\n", "Last name: Schmidt\n"
        )
        await anna.choose(summary, "Yes, send it", "Thank you, Anna")
    [lead] = pg.created
    assert (lead["leadCustomer"]["firstname"], lead["leadCustomer"]["lastname"]) == (
        "Anna",
        "Schmidt",
    )


async def test_a_typed_whole_name_is_split_and_one_name_asks_for_the_other(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    tg.set_last_name(7002, "Pérez")
    tg.set_last_name(7003, "Pérez")
    async with running_bot(bot_environment(tg, pg, database_url)):
        maria = Prospect(tg, chat_id=7002, first_name="Mari")
        await maria.answer("/start", "2 questions are needed", "What is your name?")
        await maria.answer("María García López", "2/2", "e-mail")
        await maria.answer("maria@example.es", "First name: María\n", "García López")
        solo = Prospect(tg, chat_id=7003, first_name="Mari")
        await solo.answer("/start", "2 questions are needed", "What is your name?")
        last = await solo.answer("Mariana", "2/3", "last name")
        assert last.button_data("Pérez")  # the profile's last name is still one tap away
        await solo.answer("Silva", "3/3", "e-mail")


@pytest.mark.parametrize(
    ("language", "country", "street", "postcode", "address"),
    [
        (
            "de-AT",
            "Österreich",
            "Mariahilfer Straße 12a",
            "1060 Wien",
            ("Mariahilfer Straße", "12a", "1060", "Wien", "AT"),
        ),
        (
            "en-GB",
            "United Kingdom",
            "221b Baker Street",
            "London NW1 6XE",
            ("Baker Street", "221b", "NW1 6XE", "London", "GB"),
        ),
        (
            "pl",
            "Polska",
            "ul. Marszałkowska 10/12",
            "00-001 Warszawa",
            ("ul. Marszałkowska", "10/12", "00-001", "Warszawa", "PL"),
        ),
    ],
)
async def test_the_address_takes_two_answers_read_the_way_its_country_writes_it(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    language: str,
    country: str,
    street: str,
    postcode: str,
    address: tuple[str, ...],
) -> None:
    pg.set_config(_config(addressMode="MANDATORY"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        pat = Prospect(tg, chat_id=7010, language_code=language)
        asked = await pat.introduce("Pat", "Doe", "pat@example.com", welcome=["1/6"], then=["4/6"])
        assert asked.buttons()[0][0] == country  # the prospect's region, one tap away
        await pat.press(asked, country)
        await pat.expect("5/6")
        await pat.send(street)
        await pat.expect("6/6")
        summary = await pat.answer(postcode, address[0], address[2])
        await pat.choose(summary, summary.buttons()[0][0], "Pat")
    [lead] = pg.created
    assert tuple(lead["address"].values()) == address


async def test_a_missing_part_of_an_address_line_is_asked_for_alone(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(_config(addressMode="MANDATORY"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        uwe = Prospect(tg, chat_id=7011, language_code="de")
        asked = await uwe.introduce("Uwe", "Berg", "uwe@example.de", welcome=["1/6"], then=["4/6"])
        await uwe.press(asked, "Deutschland")
        await uwe.expect("5/6")
        await uwe.answer("Hauptstraße", "Hauptstraße")  # the house number is asked alone
        await uwe.answer("7", "6/6")
        await uwe.answer("Berlin", "Berlin")  # the postcode is asked alone
        summary = await uwe.answer("10115", "Hauptstraße 7, 10115 Berlin, Deutschland")
        await uwe.choose(summary, summary.buttons()[0][0], "Uwe")
    [lead] = pg.created
    assert lead["address"] == {
        "street": "Hauptstraße",
        "houseNumber": "7",
        "zipCode": "10115",
        "city": "Berlin",
        "countryCode": "DE",
    }


async def test_the_welcome_counts_required_and_optional_questions(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(bot_environment(tg, pg, database_url)):
        tg.set_last_name(7020, "Lee")
        kai = Prospect(tg, chat_id=7020, first_name="Kai")
        await kai.send("/start")
        await kai.expect("10 questions are needed.", "5 more are optional", "1/15")


# --- answers that show -------------------------------------------------------------------------


async def test_answers_show_under_their_questions_and_no_old_button_stays(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(_config(genderMode="MANDATORY"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        ida = Prospect(tg, chat_id=7030)
        first = await ida.introduce()
        assert first.buttons()  # the profile's name
        await ida.send("Ida")
        assert "last name" in ((await tg.next_message(7030)).text or "")
        typed = await tg.next_message(7030)
        assert typed.method == "editMessageReplyMarkup"
        assert typed.message_id == first.message_id
        assert not typed.buttons()  # a typed answer takes the question's buttons away
        await ida.answer("Lind", "e-mail")
        gender = await ida.answer("ida@example.com", "gender")
        await ida.press(gender, "Female")
        summary = await ida.expect("Please check your details")
        await tg.wait_idle(7030, quiet=0.1)
        shown = await tg.next_message(7030)
        assert shown.message_id == gender.message_id
        assert not shown.buttons()
        assert (shown.text or "").endswith("✔️ Female")
        assert tg.with_buttons(7030) == [summary.message_id]  # only the newest has buttons
        await ida.choose(summary, "Yes, send it", "Thank you, Ida")
        assert tg.with_buttons(7030) == []
    assert tg.errors == []


async def test_sending_is_confirmed_at_once_however_slow_perfectgym_is(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url, PERFECTGYM_TIMEOUT_SECONDS="9")):
        lou = Prospect(tg, chat_id=7040)
        summary = await lou.introduce("Lou", "Ray", "lou@example.com")
        pg.hold()
        await tg.wait_idle(7040, quiet=0.1)
        tg.drain(7040)  # the e-mail question's settle
        await lou.press(summary, "Yes, send it")
        sending = await tg.next_message(7040)
        # The spinner stops and the summary says it is being sent while PerfectGym still
        # works on the first of its two calls (held until released below).
        assert sending.message_id == summary.message_id
        assert "Sending your details" in (sending.text or "")
        assert not sending.buttons()
        assert tg.callback_answers
        assert pg.calls["validate"] <= 1
        assert pg.calls["create"] == 0
        await pg.holding("validate")
        answered_at = time.perf_counter()  # the clock of ``sent_at``
        pg.release()
        thanks = await tg.next_message(7040, timeout=20)
        assert "Thank you, Lou" in (thanks.text or "")
        assert thanks.sent_at >= answered_at  # the thank-you waited for PerfectGym
    assert len(pg.created) == 1


# --- a way back, and resuming ------------------------------------------------------------------


async def test_back_shows_the_answer_given_and_keep_leaves_it(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        ben = Prospect(tg, chat_id=7050)
        question = await ben.introduce("Ben")  # the last-name question
        again = await ben.choose(question, "Back", "1/3", "first name", "Your answer so far: Ben")
        await ben.choose(again, "Keep: Ben", "2/3", "last name")
        await ben.answer("/back", "1/3", "Your answer so far: Ben")
        await ben.answer("Benjamin", "2/3", "last name")
        await ben.answer("Bell", "3/3", "e-mail")
        await ben.answer("ben@example.com", "First name: Benjamin")
        # From the summary, /back goes to the last question.
        await ben.answer("/back", "3/3", "Your answer so far: ben@example.com")
        await ben.answer("ben@example.org", "E-mail: ben@example.org")
    assert tg.errors == []


async def test_start_half_way_offers_to_continue_or_start_over(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        cleo = Prospect(tg, chat_id=7060)
        await cleo.introduce("Cleo", "Hart")
        offer = await cleo.answer("/start", "answered 2 questions", "start over")
        assert [label for label, _ in offer.buttons()] == ["▶️ Continue", "🔄 Start over"]
        await cleo.choose(offer, "Continue", "3/3", "e-mail")
        summary = await cleo.answer("cleo@example.com", "First name: Cleo", "Last name: Hart")
        offer = await cleo.answer("/start", "answered 3 questions")
        fresh = await cleo.choose(offer, "Start over", "questions are needed", "1/3")
        assert fresh.button_data("Pat")
        await tg.wait_idle(7060, quiet=0.1)
        assert tg.with_buttons(7060) == [fresh.message_id]
        del summary
    assert pg.created == []


async def test_a_correction_from_the_summary_shows_the_answer_and_updates_it_in_place(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        dan = Prospect(tg, chat_id=7070)
        summary = await dan.introduce("Dan", "Roe", "dan@example.com")
        edit = await dan.choose(summary, "E-mail", "Your answer so far: dan@example.com")
        assert edit.message_id == summary.message_id
        kept = await dan.choose(edit, "Keep", "Please check your details", "dan@example.com")
        assert kept.message_id == summary.message_id
        edit = await dan.choose(kept, "Last name", "Your answer so far: Roe")
        fixed = await dan.answer("Row", "Last name: Row")
        assert (fixed.method, fixed.message_id) == ("editMessageText", summary.message_id)
        assert len([m for m in tg.messages_to(7070) if m.method == "sendMessage"]) == 4
    assert tg.errors == []


# --- mistakes explained ------------------------------------------------------------------------


async def test_each_mistake_says_what_was_wrong_and_how_to_fix_it(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(_config(dateOfBirthMode="MANDATORY", telephoneMode="MANDATORY"))
    env = bot_environment(tg, pg, database_url, MIN_AGE="18")
    async with running_bot(env):
        liv = Prospect(tg, chat_id=7080, language_code="en-GB")
        await liv.introduce("Liv", "Moss")
        await liv.answer("/skip", "can't be skipped", "e-mail")
        email = await liv.answer("liv@gmial.com", "Did you mean liv@gmail.com?")
        await liv.choose(email, "liv@gmail.com", "phone number")
        await liv.answer(
            "+44 20 1234", "isn't a valid phone number in United Kingdom", "check the digits"
        )
        await liv.answer("12345", "check the digits, or type it with the country code")
        await liv.answer("07911 123456", "Thanks!")  # a UK mobile without +44
        await liv.expect("date of birth")
        await liv.answer("30/02/1990", "doesn't exist in that month")
        await liv.answer("31/12/2090", "in the future")
        await liv.answer("31/12/1850", "older than 120 years")
        await liv.answer("31/12/2015", "aged 18 or older")
        summary = await liv.answer("31/12/1990", "Please check your details", "liv@gmail.com")
        await liv.answer("/nonsense", "I don't know that command", "/back", "/forget")
        await liv.choose(summary, "Yes, send it", "Thank you, Liv")
    [lead] = pg.created
    assert lead["leadCustomer"]["email"] == "liv@gmail.com"
    assert lead["leadCustomer"]["telephone"] == "+447911123456"
    assert lead["leadCustomer"]["dateOfBirth"] == "1990-12-31"


async def test_a_mistyped_looking_address_can_be_kept_as_typed(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        ned = Prospect(tg, chat_id=7081)
        await ned.introduce("Ned", "Kay")
        offer = await ned.answer("ned@gmial.com", "Did you mean ned@gmail.com?")
        summary = await ned.choose(offer, "ned@gmial.com", "E-mail: ned@gmial.com")
        await ned.choose(summary, "Yes, send it", "Thank you, Ned")
    assert pg.created[0]["leadCustomer"]["email"] == "ned@gmial.com"


# --- commands, the summary, waiting ------------------------------------------------------------


async def test_the_command_menu_is_set_per_language_and_help_explains_the_bot(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(bot_environment(tg, pg, database_url)):
        menus = {
            language: [c["command"] for c in cmds] for (_, language), cmds in tg.commands.items()
        }
        assert set(menus) >= {"", "de", "pl", "uk", "pt"}
        assert all(
            names == ["start", "back", "cancel", "forget", "help"] for names in menus.values()
        )
        german = {
            c["command"]: c["description"]
            for c in tg.commands[next(k for k in tg.commands if k[1] == "de")]
        }
        english = {
            c["command"]: c["description"]
            for c in tg.commands[next(k for k in tg.commands if k[1] == "")]
        }
        assert german["back"] != english["back"]
        joy = Prospect(tg, chat_id=7090)
        await joy.answer("/help", "trial session", "/start", "/back", "/cancel", "/forget", "/help")


async def test_the_summary_has_one_column_of_short_edit_buttons(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    config = _config()
    config["additionalInformation"] = [
        {
            "additionalFieldId": 9001,
            "name": "Which of our many wonderful studio locations would you like to visit first?",
            "type": "TEXT",
            "mode": "MANDATORY",
        }
    ]
    pg.set_config(config)
    async with running_bot(bot_environment(tg, pg, database_url)):
        rex = Prospect(tg, chat_id=7095)
        await rex.introduce("Rex", "Ode", "rex@example.com", then=["4/4"])
        summary = await rex.answer("Mitte", "Please check your details")
        rows = (summary.reply_markup or {})["inline_keyboard"]
        assert all(len(row) == 1 for row in rows)
        assert all(len(row[0]["text"]) <= 32 for row in rows)
        assert rows[-1][0]["text"].endswith("…")


async def test_typing_is_shown_only_where_the_bot_really_waits(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.fail_next("config", 503)  # the fetch at start-up fails: Amy's /start waits for one
    async with running_bot(bot_environment(tg, pg, database_url)):
        amy = Prospect(tg, chat_id=7100)
        summary = await amy.introduce("Amy", "Li", "amy@example.com")
        assert [chat for chat, _, _ in tg.chat_actions] == [7100]  # the config was fetched
        await amy.choose(summary, "Yes, send it", "Thank you, Amy")
        bo = Prospect(tg, chat_id=7101)
        await bo.introduce("Bo")  # the config is cached: no waiting, no indicator
        await asyncio.sleep(0)
    assert [chat for chat, action, _ in tg.chat_actions] == [7100, 7100]
    assert {action for _, action, _ in tg.chat_actions} == {"typing"}
