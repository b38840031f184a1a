"""200 studios in one process: start-up and refreshes ask PerfectGym a few studios at a time,
and a prospect is answered while the studios load.

One loopback server answers for all 200 keys (each studio its own key, so the bot holds 200
clients) and counts the requests in flight. What may run beside the chain's loading by design:
nothing at start with trial booking off (with it on, one trial-offer check of the first club);
later, each prospect who picks a club whose configuration is not loaded yet fetches it at once
rather than queue behind the others (one request per such prospect, none here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.chain.build import build_chain
from bot.chain.chain import LOAD_CONCURRENCY
from bot.chain.roster import roster_from_settings
from bot.settings import load_settings
from bot.storage import open_storage
from tests.fake_chain import CITIES, FakeChain, chain_studios, studios_toml
from tests.fake_telegram import FakeTelegram
from tests.harness import Clock, Prospect, load_config, running_bot

STUDIOS = 200
LATENCY = 0.02  # each answer: enough for requests to overlap, little enough for a short test
TTL = 600.0


@pytest.fixture
async def fake_chain() -> AsyncIterator[FakeChain]:
    async with FakeChain(
        chain_studios(STUDIOS), load_config("all-inactive"), latency=LATENCY
    ) as fake:
        yield fake


def chain_env(
    fake: FakeChain, tg: FakeTelegram, database_url: str, tmp_path: Path
) -> dict[str, str]:
    studios_file = tmp_path / "studios.toml"
    studios_file.write_text(studios_toml(fake.studios, fake.url))
    return {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "DATABASE_URL": database_url,
        "PERFECTGYM_TIMEOUT_SECONDS": "5",
        "CONFIG_TTL_SECONDS": str(TTL),
        "STUDIOS_FILE": str(studios_file),
        **{studio.key_variable: studio.key for studio in fake.studios},
    }


async def test_two_hundred_studios_load_a_few_at_a_time_while_the_club_question_is_answered(
    tg: FakeTelegram, fake_chain: FakeChain, database_url: str, tmp_path: Path
) -> None:
    last = fake_chain.hold("s199")  # one studio stays loading until the prospect is answered
    async with running_bot(chain_env(fake_chain, tg, database_url, tmp_path)):
        pat = Prospect(tg, chat_id=41001)
        await pat.send("/start")
        question = await pat.expect("Welcome to Studio Sol!", "Which club")
        assert fake_chain.loaded() < STUDIOS  # the question did not wait for the loading
        labels = [text for text, _ in question.buttons()]
        assert labels == sorted(f"{city} ({STUDIOS // len(CITIES)})" for city, *_ in CITIES)
        await pat.expect("Send my location")  # the share-location keyboard's message
        await pat.press(question, "Berlin")
        berlin = await pat.expect("Our clubs in Berlin")
        assert "Sol s002" in [text for text, _ in berlin.buttons()]
        # The city's clubs replace the cities in the pressed message, and keep their buttons
        # once the bot is done with the press (no settle takes them away afterwards).
        await tg.wait_idle(pat.chat_id)
        assert berlin.message_id in tg.with_buttons(pat.chat_id)
        await pat.press(berlin, "Sol s002")
        await pat.expect("Great, Sol s002 (Berlin) it is.")
        last.set()
        await fake_chain.all_loaded(timeout=30)
    assert 1 < fake_chain.peak_in_flight <= LOAD_CONCURRENCY
    # Each studio's information and configuration, once: no refresh on top of the loading.
    assert fake_chain.calls["studio"] == STUDIOS
    assert fake_chain.calls["config"] == STUDIOS


async def test_refreshes_after_the_ttl_go_a_few_studios_at_a_time(
    tg: FakeTelegram, fake_chain: FakeChain, database_url: str, tmp_path: Path
) -> None:
    env = chain_env(fake_chain, tg, database_url, tmp_path)
    clock = Clock()
    storage = await open_storage(database_url)
    chain = build_chain(
        roster_from_settings(load_settings(env), env), storage, config_ttl=TTL, clock=clock
    )
    try:
        await chain.load()
        assert fake_chain.calls["studio"] == STUDIOS
        fake_chain.reset_peak()
        clock.offset += TTL + 1
        chain.cards()  # the club question, shown when every club's information is due
        await chain.tend()  # the chain's round: due information, a few studios at a time
        assert fake_chain.calls["studio"] == 2 * STUDIOS
        assert 1 < fake_chain.peak_in_flight <= LOAD_CONCURRENCY
    finally:
        await chain.close()
        await storage.close()
