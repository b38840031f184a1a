"""The leads config: fetched once per TTL, persisted, used when the API is unreachable."""

from __future__ import annotations

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot


async def test_the_last_known_config_is_used_when_the_api_is_down_after_a_restart(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    env = bot_environment(tg, pg, database_url)
    async with running_bot(env):
        first = Prospect(tg, chat_id=12001)
        await first.introduce(welcome=["11 questions are needed", "5 more are optional"])
    await pg.go_down()
    async with running_bot(env):
        second = Prospect(tg, chat_id=12002)
        await second.introduce(welcome=["11 questions are needed"], count=16)
        await first.answer("Fay", "2/16", "last name")
    assert pg.calls["config"] == 1


async def test_with_no_config_at_all_the_prospect_is_asked_to_come_back(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    await pg.go_down()
    async with running_bot(bot_environment(tg, pg, database_url)):
        gus = Prospect(tg, chat_id=12003)
        await gus.answer("/start", "try again in a few minutes")
        await gus.answer("hello?", "try again in a few minutes")
        await pg.come_up()
        await gus.introduce()


async def test_wrong_api_key_tells_the_prospect_to_try_later(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    env = bot_environment(tg, pg, database_url, PERFECTGYM_API_KEY="wrong-key-123")
    async with running_bot(env):
        hal = Prospect(tg, chat_id=12004)
        await hal.answer("/start", "try again in a few minutes")
    assert pg.calls["config"] == 2  # at start-up, and again for the prospect: no config yet


async def test_the_config_is_fetched_once_per_ttl(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url, CONFIG_TTL_SECONDS="600")):
        for chat_id in range(12010, 12015):
            p = Prospect(tg, chat_id=chat_id)
            await p.introduce()
    assert pg.calls["config"] == 1
