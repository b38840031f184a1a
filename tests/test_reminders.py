"""One gentle reminder, through the real Application, with the bot's clock moved instead of
waited for. The studio is in Berlin; sweeps run every 50 ms of real time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from bot.storage import open_storage
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Clock, Prospect, bot_environment, load_config, running_bot

HOUR = 3600.0
SWEEPS = 0.05  # seconds between sweeps, real time
QUIET_WAIT = 0.6  # long enough for about ten sweeps


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _env(tg: FakeTelegram, pg: FakePerfectGym, database_url: str, **extra: str) -> dict[str, str]:
    pg.set_config(load_config("all-inactive"))
    settings = {
        "STUDIO_NAME": "Studio Nord",
        "STUDIO_TIMEZONE": "Europe/Berlin",
        "REMINDER_AFTER_HOURS": "20",
        "SWEEP_SECONDS": str(SWEEPS),
    }
    return bot_environment(tg, pg, database_url, **(settings | extra))


@pytest.fixture
async def bot(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, clock: Clock
) -> AsyncIterator[Settings]:
    async with running_bot(_env(tg, pg, database_url), clock=clock) as settings:
        yield settings


async def _stopped_after_first_name(tg: FakeTelegram, chat_id: int) -> Prospect:
    prospect = Prospect(tg, chat_id=chat_id)
    await prospect.send("/start")
    await prospect.expect("first name")
    await prospect.answer("Anna", "last name")
    return prospect


async def _nothing_more(tg: FakeTelegram, *chat_ids: int) -> None:
    """No new message to any of ``chat_ids`` for about ten sweeps (edits that settle an
    answered question may still arrive)."""
    await asyncio.sleep(QUIET_WAIT)
    for chat_id in chat_ids:
        assert [m.text for m in tg.drain(chat_id) if m.method == "sendMessage"] == []


async def test_one_reminder_after_the_delay_resumes_where_they_stopped(
    tg: FakeTelegram, pg: FakePerfectGym, bot: Settings, clock: Clock
) -> None:
    clock.to_berlin(14)
    anna = await _stopped_after_first_name(tg, 4101)
    clock.forward(19 * HOUR)  # 09:00 the next morning, 19 hours after her answer
    await _nothing_more(tg, 4101)
    clock.forward(1.5 * HOUR)  # 20.5 hours after it
    reminder = await anna.expect("Hello again from Studio Nord", "/cancel")
    assert [label for label, _ in reminder.buttons()] == ["▶️ Continue"]
    await anna.press(reminder, "▶️ Continue")
    await anna.expect("last name")  # where she stopped
    clock.forward(24 * HOUR)  # idle again for a day: never a second reminder
    await _nothing_more(tg, 4101)
    await anna.answer("Schmidt", "e-mail")
    await anna.answer("anna@example.com", "Please check your details")


async def test_the_delay_counts_from_the_last_answer(
    tg: FakeTelegram, pg: FakePerfectGym, bot: Settings, clock: Clock
) -> None:
    clock.to_berlin(12)
    anna = await _stopped_after_first_name(tg, 4102)
    clock.forward(10 * HOUR)
    await anna.answer("Schmidt", "e-mail")  # at 22:00
    clock.forward(19 * HOUR)  # 17:00: 19 hours after that answer, 29 after the first
    await _nothing_more(tg, 4102)
    clock.forward(1.5 * HOUR)
    await anna.expect("Hello again from Studio Nord")


async def test_none_after_cancel_forget_or_a_finished_lead(
    tg: FakeTelegram, pg: FakePerfectGym, bot: Settings, clock: Clock
) -> None:
    clock.to_berlin(12)
    cancelled = await _stopped_after_first_name(tg, 4201)
    await cancelled.answer("/cancel", "deleted your answers")
    forgotten = await _stopped_after_first_name(tg, 4202)
    await forgotten.answer("/forget", "has been deleted")
    done = Prospect(tg, chat_id=4203)
    summary = await done.introduce("Dora", "Diaz", "dora@example.com")
    await done.choose(summary, "Yes, send it", "Thank you, Dora")
    control = await _stopped_after_first_name(tg, 4204)
    clock.forward(21 * HOUR)
    await control.expect("Hello again from Studio Nord")
    await _nothing_more(tg, 4201, 4202, 4203)


async def test_none_at_night_it_waits_for_the_morning(
    tg: FakeTelegram, pg: FakePerfectGym, bot: Settings, clock: Clock
) -> None:
    clock.to_berlin(2)
    anna = await _stopped_after_first_name(tg, 4301)
    clock.forward(20.5 * HOUR)  # due at 22:30
    await _nothing_more(tg, 4301)
    clock.forward(6 * HOUR)  # 04:30
    await _nothing_more(tg, 4301)
    clock.forward(4.5 * HOUR + 60)  # 09:01
    await anna.expect("Hello again from Studio Nord")


async def test_a_prospect_who_blocked_the_bot_is_recorded_not_retried(
    tg: FakeTelegram, pg: FakePerfectGym, bot: Settings, clock: Clock
) -> None:
    clock.to_berlin(12)
    await _stopped_after_first_name(tg, 4401)
    control = await _stopped_after_first_name(tg, 4402)
    tg.blocked.add(4401)
    clock.forward(21 * HOUR)
    await control.expect("Hello again from Studio Nord")
    await asyncio.sleep(QUIET_WAIT)
    clock.forward(HOUR)  # past any claim's expiry
    await asyncio.sleep(QUIET_WAIT)
    assert tg.refused_blocked == [4401]  # one attempt, its 403 recorded
    assert tg.errors == []


async def test_reminders_off_with_zero_hours(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, clock: Clock
) -> None:
    env = _env(tg, pg, database_url, REMINDER_AFTER_HOURS="0")
    clock.to_berlin(12)
    async with running_bot(env, clock=clock):
        await _stopped_after_first_name(tg, 4501)
        clock.forward(30 * HOUR)
        await _nothing_more(tg, 4501)


async def test_fractions_of_an_hour_and_a_restart_lose_no_due_reminder(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, clock: Clock
) -> None:
    env = _env(tg, pg, database_url, REMINDER_AFTER_HOURS="0.5")
    clock.to_berlin(12)
    async with running_bot(env, clock=clock):
        anna = await _stopped_after_first_name(tg, 4601)
        await _nothing_more(tg, 4601)
    clock.forward(40 * 60)  # due while the bot was down
    async with running_bot(env, clock=clock):
        await anna.expect("Hello again from Studio Nord")


async def test_unfinished_conversations_are_erased_after_the_retention_days(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, clock: Clock
) -> None:
    env = _env(tg, pg, database_url, RETENTION_DAYS="30")
    clock.to_berlin(12)
    async with running_bot(env, clock=clock):
        anna = await _stopped_after_first_name(tg, 4701)
        kept = await _stopped_after_first_name(tg, 4702)
        clock.forward(29 * 24 * HOUR)
        await kept.answer("Kurz", "e-mail")  # still there on day 29, and active again
        clock.forward(1 * 24 * HOUR + HOUR)  # Anna: 30 days and an hour of silence
        storage = await open_storage(database_url)
        try:
            for _ in range(100):
                if await storage.load_conversation(4701) is None:
                    break
                await asyncio.sleep(SWEEPS)
            assert await storage.load_conversation(4701) is None
            assert await storage.load_conversation(4702) is not None
        finally:
            await storage.close()
        await _nothing_more(tg, 4701)  # no reminder so long after: it was stale
        await anna.send("/start")
        await anna.expect("questions are needed", "first name")  # a fresh start


async def test_a_prospect_who_starts_again_after_a_failed_lead_can_be_reminded_once_more(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, clock: Clock
) -> None:
    """The submitted conversation of a lead PerfectGym refused for good is passed over by the
    reminders; a new conversation started over it is a new one, with its own reminder."""
    pg.fail_next("create", 400, times=2)
    clock.to_berlin(12)
    async with running_bot(_env(tg, pg, database_url), clock=clock):
        dora = Prospect(tg, chat_id=4801)
        summary = await dora.introduce("Dora", "Diaz", "dora@example.com")
        await dora.choose(summary, "Yes, send it", "will follow up")
        clock.forward(21 * HOUR)  # 09:00: the submitted conversation is skipped
        await _nothing_more(tg, 4801)
        await dora.send("/start")
        await dora.expect("questions are needed", "first name")
        await dora.answer("Dora", "last name")
        clock.forward(21 * HOUR)  # 06:00 the next day: night
        await _nothing_more(tg, 4801)
        clock.forward(4 * HOUR)  # 10:00
        await dora.expect("Hello again from Studio Nord")
