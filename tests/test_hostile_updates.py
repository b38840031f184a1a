"""Public-bot hygiene: private chats only, odd update types, floods, and every API failure."""

from __future__ import annotations

import asyncio

import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot

FAST = {
    "OUTBOX_RETRY_BASE_SECONDS": "0.1",
    "PERFECTGYM_TIMEOUT_SECONDS": "0.5",
    "OUTBOX_RATE_LIMIT_SECONDS": "0.2",
    "STAFF_CHAT_ID": "-100999",
}


def _group_message(chat_id: int, text: str) -> dict[str, object]:
    return {
        "message": {
            "message_id": 1,
            "date": 0,
            "text": text,
            "chat": {"id": chat_id, "type": "group", "title": "Gym fans"},
            "from": {"id": 555, "is_bot": False, "first_name": "Grp", "language_code": "en"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]
            if text.startswith("/start")
            else [],
        }
    }


async def test_groups_channels_edits_and_attachments_are_handled_deliberately(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        await tg.send_update(_group_message(-4001, "/start"))
        reply = await tg.next_message(-4001)
        assert "private chat" in (reply.text or "")
        await tg.send_update(_group_message(-4001, "my e-mail is x@example.com"))
        await tg.send_update(
            {
                "channel_post": {
                    "message_id": 2,
                    "date": 0,
                    "text": "/start",
                    "chat": {"id": -1004002, "type": "channel", "title": "News"},
                }
            }
        )

        pia = Prospect(tg, chat_id=4003)
        await pia.introduce()
        await tg.send_update(
            {
                "edited_message": {
                    "message_id": 5,
                    "date": 0,
                    "edit_date": 1,
                    "text": "Pia",
                    "chat": {"id": 4003, "type": "private", "first_name": "Pia"},
                    "from": {"id": 4003, "is_bot": False, "first_name": "Pia"},
                }
            }
        )
        await pia.expect("edited messages")
        for attachment in (
            {"location": {"latitude": 52.5, "longitude": 13.4}},
            {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
        ):
            await tg.send_update(
                {
                    "message": {
                        "message_id": 6,
                        "date": 0,
                        **attachment,
                        "chat": {"id": 4003, "type": "private", "first_name": "Pia"},
                        "from": {"id": 4003, "is_bot": False, "first_name": "Pia"},
                    }
                }
            )
            await pia.expect("I can only read text", "first name")
        await tg.press(4003, "garbage-data", check=False)
        await pia.answer("Pia", "last name")
        await tg.wait_idle(-4001)
    assert len(tg.messages_to(-4001)) == 1
    assert tg.messages_to(-1004002) == []
    assert {"text": "That button is no longer active."}.items() <= tg.callback_answers[-1].items()
    assert tg.errors == []


async def test_a_flood_from_one_chat_is_capped_and_others_are_unaffected(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        spam = Prospect(tg, chat_id=4101)
        await spam.introduce()
        before = len(tg.messages_to(4101))
        await asyncio.gather(*(spam.send(f"flood {i}") for i in range(50)))
        calm = Prospect(tg, chat_id=4102)
        await calm.send("/start")
        await calm.expect("questions are needed")
        await tg.wait_idle(4101, quiet=0.5)
        answered = len(tg.messages_to(4101)) - before
        await spam.send("/cancel")
        await spam.expect_eventually("stopped", skip=60)
    assert answered < 30, answered  # 50 messages did not get 50 (or 100) answers
    assert pg.calls["config"] == 1


@pytest.mark.parametrize(
    ("status", "body", "retried", "prospect_hears"),
    [
        (
            400,
            '{"errorMessage":"bad","errorCode":"INVALID","reference":"leadCustomer.email"}',
            False,
            "the studio will follow up",
        ),
        (401, None, True, "We have received your details"),
        (403, None, True, "We have received your details"),
        (404, None, False, "the studio will follow up"),
        (409, None, True, "We have received your details"),
        (429, None, True, "We have received your details"),
        (500, None, True, "We have received your details"),
        (503, None, True, "We have received your details"),
        (200, "{not json", True, "We have received your details"),
    ],
)
async def test_every_validate_failure_has_a_clear_outcome(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    status: int,
    body: str | None,
    retried: bool,
    prospect_hears: str,
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.fail_next("validate", status, body)
    async with running_bot(bot_environment(tg, pg, database_url, **FAST)):
        ray = Prospect(tg, chat_id=4200 + status)
        await ray.confirm_lead("Ray", "Tester", "ray@example.com")
        await ray.expect(prospect_hears)
        if retried:
            await ray.expect("Thank you, Ray")
        else:
            staff = await tg.next_message(-100999)
            assert "needs manual entry" in (staff.text or "")
    assert len(pg.created) == (1 if retried else 0)


async def test_a_validate_timeout_is_retried(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.hang_next("validate", 2.0)
    async with running_bot(bot_environment(tg, pg, database_url, **FAST)):
        tim = Prospect(tg, chat_id=4300)
        await tim.confirm_lead("Tim", "Tester", "tim@example.com")
        await tim.expect("We have received your details")
        await tim.expect("Thank you, Tim")
    assert len(pg.created) == 1


async def test_unknown_field_types_and_modes_do_not_break_the_conversation(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    config = load_config("all-inactive")
    config["genderMode"] = "SOMETIMES"
    config["additionalInformation"] = [
        {
            "additionalFieldId": 1,
            "name": "Mood",
            "type": "EMOJI",
            "allowMultiSelection": False,
            "mode": "OPTIONAL",  # MANDATORY would be a config no lead can satisfy
        },
        {
            "additionalFieldId": 2,
            "name": "Shoe size",
            "type": "NUMERIC",
            "allowMultiSelection": False,
            "mode": "WHENEVER",
        },
    ]
    config["communicationPreferences"] = [
        {
            "messageCategory": "SPACE_MAIL",
            "channels": [
                {"communicationChannel": "PIGEON", "customerOverridable": True, "active": False}
            ],
        }
    ]
    pg.set_config(config)
    async with running_bot(bot_environment(tg, pg, database_url)):
        una = Prospect(tg, chat_id=4400)
        gender = await una.introduce(
            "Una",
            "Known",
            "una@example.com",
            welcome=["4 questions are needed", "2 more are optional"],
            then=["gender", "(optional)"],
        )
        shoe = await una.choose(gender, "Skip", "Shoe size", "(optional)")
        consent = await una.answer("38", "“space mail”", "through other channels")
        summary = await una.choose(consent, "Yes", "Please check your details", "Shoe size: 38")
        assert "Mood" not in (summary.text or "")
        del shoe
