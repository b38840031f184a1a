"""The whole main path over loopback: real Application, fake Bot API, fake PerfectGym."""

from __future__ import annotations

import datetime
import logging

import pytest

from conversations.i18n import Translator
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot

# The preferred trial date asks forward (a past day is refused): one some months ahead, so
# the test reads the same whatever day it runs on.
TRIAL_DAY = datetime.date.today() + datetime.timedelta(days=120)


async def test_minimal_config_asks_only_name_and_email(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        anna = Prospect(tg, chat_id=1001)
        summary = await anna.introduce(
            "Anna",
            "Schmidt",
            "anna@example.com",
            welcome=["3 questions are needed"],
            count=3,
            then=["Please check your details", "First name: Anna", "E-mail: anna@example.com"],
        )
        assert len(summary.buttons()) == 4  # confirm + three corrections, nothing else asked
        await anna.choose(summary, "Yes, send it", "Thank you, Anna")
    [lead] = pg.created
    assert lead["leadCustomer"] == {
        "thirdPartyId": "1001",
        "firstname": "Anna",
        "lastname": "Schmidt",
        "email": "anna@example.com",
        "language": {"languageCode": "en"},
    }
    assert "address" not in lead
    assert pg.calls["validate"] == 1
    assert pg.calls["create"] == 1
    assert tg.errors == []


def _de(message: str) -> str:
    """The German catalog's text; must differ from English, or the catalog is not in use."""
    translated = Translator("de").gettext(message)
    assert translated != message, f"no German translation for {message!r}"
    return translated


async def test_full_config_in_german_with_a_correction(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    tg.set_last_name(2002, "Huber")
    async with running_bot(bot_environment(tg, pg, database_url)):
        jana = Prospect(tg, chat_id=2002, language_code="de-AT", first_name="Jana")
        await jana.send("/start")
        name = await jana.expect("1/15", _de("What is your name?"))
        assert name.button_data("Jana Huber")  # the profile's name, one tap away
        await jana.answer("Jana Hubr", "2/15", _de("What is your e-mail address?"))
        await tg.wait_idle(2002)
        assert tg.messages_to(2002)[-1].method == "editMessageReplyMarkup"  # typed: buttons go
        phone = await jana.answer("jana.huber@example.at", "3/15", "+43")
        assert phone.requests_contact
        await jana.share_contact("436641234567")
        # No "Thanks!" of its own: the app hid the used keyboard.
        gender = await jana.expect("4/15", _de("What is your gender?"))
        assert gender.buttons()
        await jana.choose(gender, _de("Female"), "5/15", "31.12.1990")
        await tg.wait_idle(2002)
        pressed = tg.messages_to(2002)[-1]
        assert pressed.message_id == gender.message_id
        assert not pressed.buttons()
        assert f"✔️ {_de('Female')}" in (pressed.text or "")  # the answer shows under it
        unreadable = _de("I couldn't read that as a date. Please type it like {example}.")
        bad = await jana.answer("12.31.1990", unreadable.format(example="31.12.1990"))
        assert "5/15" in (bad.text or "")  # what was wrong and the question: one message
        country = await jana.answer("31.12.1990", "6/15")
        assert country.buttons()[0][0] == "Österreich"
        await jana.answer("Österreich", "7/15")
        await jana.answer(
            "Mariahilfer Straße",
            _de("I couldn't find the house number there."),
            _de("And the house number on {street}?").format(street="Mariahilfer Straße"),
        )
        await jana.answer("12a", "8/15", "1010 Wien")
        heard = await jana.answer("1060 Wien", "9/15", "How did you hear about us?")
        goals = await jana.choose(heard, "Friends", "10/15", "Training goals")
        await jana.press(goals, "Lose weight")
        goals = await jana.expect("Training goals")
        assert goals.method == "editMessageText"
        assert goals.button_data("✅ Lose weight")
        await jana.press(goals, "Stay healthy")
        goals = await jana.expect("Training goals")
        assert goals.button_data("✅ Stay healthy")
        assert goals.button_data("▫️ Build muscle")
        await jana.choose(goals, _de("Done"), "11/15", "Preferred trial date")
        await jana.answer(f"{TRIAL_DAY:%d.%m.%Y}", "12/15", "Training sessions per week")
        await jana.answer("2,5", _de("Please enter a whole number, without decimals."), "12/15")
        await jana.answer("3", "13/15", "Any injuries")
        await jana.answer("Knie links, 2023", "14/15", "Student")
        consent = await jana.answer(_de("Yes"), "15/15", "E-Mail")
        summary = await jana.choose(
            consent,
            _de("Yes"),
            _de("Please check your details:"),
            "Hubr",
            "31.12.1990",
            "Mariahilfer Straße 12a, 1060 Wien",
            f"{TRIAL_DAY:%d.%m.%Y}",
            "Lose weight, Stay healthy",
        )
        question = await jana.choose(summary, _de("Last name"), _de("And your last name?"), "Hubr")
        assert question.message_id == summary.message_id  # the summary turns into the question
        assert question.button_data(_de("Keep: {answer}").format(answer="Hubr"))
        corrected = await jana.answer("Huber", _de("Please check your details:"), "Huber")
        assert corrected.method == "editMessageText"  # updated in place, not sent again
        assert corrected.message_id == summary.message_id
        assert "Hubr" not in (corrected.text or "")
        await jana.choose(corrected, _de("✅ Yes, send it"), "Jana")
        assert tg.with_buttons(2002) == []  # no button is left behind
    [lead] = pg.created
    assert lead["leadCustomer"] == {
        "thirdPartyId": "2002",
        "firstname": "Jana",
        "lastname": "Huber",
        "email": "jana.huber@example.at",
        "gender": "FEMALE",
        "dateOfBirth": "1990-12-31",
        "telephone": "+436641234567",
        "language": {"languageCode": "de", "countryCode": "AT"},
    }
    assert lead["address"] == {
        "street": "Mariahilfer Straße",
        "houseNumber": "12a",
        "zipCode": "1060",
        "city": "Wien",
        "countryCode": "AT",
    }
    assert lead["additionalInformation"] == [
        {"additionalFieldId": 7001, "value": "Friends"},
        {"additionalFieldId": 7002, "values": ["Lose weight", "Stay healthy"]},
        {"additionalFieldId": 7003, "value": TRIAL_DAY.isoformat()},
        {"additionalFieldId": 7004, "value": "3"},
        {"additionalFieldId": 7005, "value": "Knie links, 2023"},
        {"additionalFieldId": 7006, "value": "true"},
    ]
    assert lead["communicationPreferences"] == [
        {
            "messageCategory": "NEWSLETTER",
            "channels": [
                {"communicationChannel": "EMAIL", "active": True, "customerOverridable": True},
                {
                    "communicationChannel": "TEXT_MESSAGE",
                    "active": True,
                    "customerOverridable": True,
                },
            ],
        },
        {
            "messageCategory": "CONTRACT",
            "channels": [
                {"communicationChannel": "EMAIL", "active": True, "customerOverridable": False}
            ],
        },
    ]
    assert tg.errors == []


async def test_optional_questions_can_be_skipped_and_are_not_sent(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    config = load_config("everything")
    config["addressMode"] = "OPTIONAL"
    pg.set_config(config)
    async with running_bot(bot_environment(tg, pg, database_url)):
        max_ = Prospect(tg, chat_id=3003, language_code="en-GB")
        await max_.introduce("Max", "Muster", "max@example.com", then=["phone number"])
        thanks = await max_.answer("+44 7911 123456", "Thanks!")  # typed: no message can take
        assert thanks.reply_markup == {"remove_keyboard": True}  # typed: the keyboard is still up
        gender = await max_.expect("gender", "(optional)")
        await max_.choose(gender, "Skip", "date of birth", "31/12/1990")
        country = await max_.answer("31/12/1990", "country", "(optional)")
        heard = await max_.choose(country, "Skip", "How did you hear about us?")
        goals = await max_.choose(heard, "Google", "Training goals", "(optional)")
        trial = await max_.choose(goals, "Skip", "Preferred trial date")
        sessions = await max_.answer("skip", "Training sessions per week")
        injuries = await max_.choose(sessions, "Skip", "injuries")
        student = await max_.choose(injuries, "Skip", "Student")
        consent = await max_.choose(student, "No", "news and offers")
        summary = await max_.choose(
            consent,
            "No",
            "Please check your details",
            "Gender: —",
            "Address: —",
            "Training goals: —",
        )
        del trial
        await max_.choose(summary, "Yes, send it", "Thank you, Max")
    [lead] = pg.created
    assert "gender" not in lead["leadCustomer"]
    assert lead["leadCustomer"]["dateOfBirth"] == "1990-12-31"
    assert lead["leadCustomer"]["telephone"] == "+447911123456"
    assert lead["leadCustomer"]["language"] == {"languageCode": "en", "countryCode": "GB"}
    assert "address" not in lead
    assert lead["additionalInformation"] == [
        {"additionalFieldId": 7001, "value": "Google"},
        {"additionalFieldId": 7006, "value": "false"},
    ]
    newsletter = lead["communicationPreferences"][0]["channels"]
    assert [c["active"] for c in newsletter] == [False, False]


async def test_bad_input_gets_a_reask_that_says_what_is_wrong(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        eve = Prospect(tg, chat_id=4004)
        await eve.introduce()
        # Each mistake costs one message: what was wrong and how to fix it, and the question.
        await tg.send_sticker(4004)
        await eve.expect("I can only read text here", "first name")
        await tg.send_photo(4004)
        await eve.expect("I can only read text here", "first name")
        await eve.answer("x" * 4096, "too long", "first name")
        await eve.answer("12345", "doesn't look like a name", "type just your name", "first name")
        await eve.answer("Eve", "last name")
        await eve.answer("/hello", "I don't know that command", "/start", "/back", "/help")
        await eve.answer("/skip", "can't be skipped", "last name")
        await eve.answer("Adams", "e-mail")
        await eve.answer("eve@", "valid e-mail address", "name@example.com", "e-mail")
        await eve.answer("eve at example.com", "valid e-mail address", "e-mail")
        await eve.answer("eve@example.com", "Please check your details")
        summary = await eve.answer("looks good", "Please use the buttons", "Please check")
        await eve.choose(summary, "Yes, send it", "Thank you, Eve")
    assert len(pg.created) == 1
    assert tg.errors == []


async def test_deep_link_payload_becomes_the_campaign(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        sam = Prospect(tg, chat_id=5005, language_code=None)
        summary = await sam.introduce("Sam", "Lee", "sam@example.com", start="/start CMPGN-123")
        await sam.choose(summary, "Yes, send it", "Thank you, Sam")
    [lead] = pg.created
    assert lead["externalIdentifier"] == "CMPGN-123"
    assert lead["leadCustomer"]["language"] == {"languageCode": "en"}


async def test_duplicate_customer_is_told_and_nothing_is_created(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        first = Prospect(tg, chat_id=6001)
        await first.confirm_lead("Kim", "Park", "kim@example.com")
        await first.expect("Thank you, Kim")
        again = Prospect(tg, chat_id=6002)
        await again.confirm_lead("Kim", "Park", "KIM@example.com")
        await again.expect("already has you on file", "did not create")
    assert len(pg.created) == 1
    assert pg.calls["validate"] == 2
    assert pg.calls["create"] == 1


async def test_invalid_lead_data_returns_to_the_summary_without_creating(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        kim = Prospect(tg, chat_id=6003)
        summary = await kim.introduce("Kim", "Park", "kim@example.com")
        # The studio makes the phone mandatory mid-conversation: validate now refuses the lead.
        pg.set_config(load_config("everything"))
        await kim.press(summary, "Yes, send it")
        summary = await kim.expect("could not be accepted", "Please check your details")
        assert summary.button_data("Yes, send it")
    assert pg.created == []
    assert pg.calls["validate"] == 1
    assert pg.calls["create"] == 0


async def test_start_again_restarts_and_cancel_ends_the_conversation(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        oli = Prospect(tg, chat_id=3101)
        await oli.introduce("Oli", count=3)
        offer = await oli.answer("/start other-campaign", "answered 1 question", "start over")
        await oli.choose(offer, "Start over", "questions are needed", "1/3", "first name")
        await oli.answer("Olivia", "2/3", "last name")
        await oli.answer("/cancel", "stopped and deleted your answers")
        await oli.answer("hello again", "questions are needed", "1/3", "first name")
    assert pg.created == []


async def test_a_channel_without_customer_overridable_is_not_offered_and_keeps_the_studios_value(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    config = load_config("all-inactive")
    config["communicationPreferences"] = [
        {
            "messageCategory": "NEWSLETTER",
            "channels": [
                {"communicationChannel": "EMAIL", "customerOverridable": True, "active": False},
                {"communicationChannel": "PHONE", "active": True},
                {"communicationChannel": "LETTER", "customerOverridable": None, "active": False},
            ],
        },
        {
            "messageCategory": "CONTRACT",
            "channels": [{"communicationChannel": "EMAIL", "active": True}],
        },
    ]
    pg.set_config(config)
    async with running_bot(bot_environment(tg, pg, database_url)):
        lou = Prospect(tg, chat_id=5105)
        consent = await lou.introduce("Lou", "Reed", "lou@example.com", then=["news and offers"])
        text = consent.text or ""
        assert "by e-mail" in text
        assert "phone" not in text
        assert "letter" not in text
        summary = await lou.choose(consent, "Yes", "Please check your details")
        await lou.choose(summary, "Yes, send it", "Thank you, Lou")
    [lead] = pg.created
    newsletter, contract = lead["communicationPreferences"]
    assert [(c["communicationChannel"], c["active"]) for c in newsletter["channels"]] == [
        ("EMAIL", True),
        ("PHONE", True),
        ("LETTER", False),
    ]
    assert [(c["communicationChannel"], c["active"]) for c in contract["channels"]] == [
        ("EMAIL", True)
    ]
    # customerOverridable goes back as the config gave it: absent where it was absent or null
    assert [c.get("customerOverridable") for c in newsletter["channels"]] == [True, None, None]
    assert "customerOverridable" not in contract["channels"][0]
    assert tg.errors == []


@pytest.mark.parametrize(
    "payload",
    [
        "CMPGN 123",
        "spring.sale",
        "ñandú",
        "x" * 65,
        "a/b",
        "<script>",
        "ab%20cd",
    ],
)
async def test_a_payload_outside_telegrams_deep_link_rules_is_no_campaign(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    payload: str,
) -> None:
    caplog.set_level(logging.INFO)
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        sam = Prospect(tg, chat_id=5006)
        summary = await sam.introduce("Sam", "Lee", "sam@example.com", start=f"/start {payload}")
        await sam.choose(summary, "Yes, send it", "Thank you, Sam")
    [lead] = pg.created
    assert "externalIdentifier" not in lead
    dropped = [
        r
        for r in caplog.records
        if r.name == "bot.intake.service" and "payload dropped" in r.getMessage()
    ]
    assert len(dropped) == 1
    assert dropped[0].levelno == logging.INFO
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert payload not in logged


async def test_the_longest_deep_link_payload_telegram_allows_is_the_campaign(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    payload = "Ab0_-" * 12 + "Zz9_"
    assert len(payload) == 64
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        sam = Prospect(tg, chat_id=5007)
        summary = await sam.introduce("Sam", "Lee", "sam@example.com", start=f"/start {payload}")
        await sam.choose(summary, "Yes, send it", "Thank you, Sam")
    [lead] = pg.created
    assert lead["externalIdentifier"] == payload
