"""A leads config no lead can satisfy is reported once per fetch, and prospects are not asked
questions PerfectGym would refuse."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot

STAFF = -100888


def _unusable() -> dict[str, object]:
    config = load_config("all-inactive")
    config["additionalInformation"] = [
        {"additionalFieldId": 9001, "name": "Hologram", "type": "HOLOGRAM", "mode": "MANDATORY"},
        {
            "additionalFieldId": 9002,
            "name": "Club",
            "type": "LIST",
            "allowMultiSelection": False,
            "selectionValues": [],
            "mode": "MANDATORY",
        },
        {"additionalFieldId": 9003, "name": "Later", "type": "HOLOGRAM", "mode": "OPTIONAL"},
    ]
    return config


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "bot.studio.leads_config"
        and r.levelno == logging.ERROR
        and "cannot ask" in r.getMessage()
    ]


async def test_an_unsatisfiable_config_is_reported_once_and_prospects_are_not_asked(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    pg.set_config(_unusable())
    env = bot_environment(tg, pg, database_url, STAFF_CHAT_ID=str(STAFF))
    async with running_bot(env):
        staff = await tg.next_message(STAFF)
        assert "9001, 9002" in (staff.text or "")
        assert "9003" not in (staff.text or "")
        for chat_id, language in ((7101, "en"), (7102, "de"), (7103, "en")):
            prospect = Prospect(tg, chat_id=chat_id, language_code=language)
            await prospect.send("/start")
            sorry = await prospect.next()
            if language == "en":
                assert "Sorry, I can't take your details right now" in (sorry.text or "")
            assert "first name" not in (sorry.text or "")
        assert len(tg.messages_to(STAFF)) == 1
    [error] = _errors(caplog)
    assert "9001, 9002" in error.getMessage()
    assert pg.calls["validate"] == 0
    assert pg.created == []


async def test_without_a_staff_chat_it_is_logged_and_a_fixed_config_is_used_again(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    pg.set_config(_unusable())
    env = bot_environment(tg, pg, database_url, CONFIG_TTL_SECONDS="0.2")
    async with running_bot(env):
        await asyncio.sleep(0.3)
        first = Prospect(tg, chat_id=7201)
        await first.send("/start")
        assert "Sorry, I can't take your details right now" in ((await first.next()).text or "")
        assert len(_errors(caplog)) == 2  # the start's fetch and the prospect's: once each
        pg.set_config(load_config("all-inactive"))
        await asyncio.sleep(0.3)  # past the TTL: the next start fetches the fixed config
        second = Prospect(tg, chat_id=7202)
        summary = await second.introduce("Ida", "Wells", "ida@example.com")
        await second.choose(summary, "Yes, send it", "Thank you, Ida")
    assert len(pg.created) == 1
