"""Telegram answering 5xx just when the bot sends something of its own accord (issue 22): a trial
reminder, the follow-up after a missed session, and the note that the studio cancelled a booked
trial (PerfectGym's webhook, over HTTP). Each is kept and sent again once Telegram is back:
exactly once, nothing lost and nothing twice.

The bot's clock (``noon``, the one the fake PerfectGym's trial studio plans its classes around)
is moved to each moment; the outage is a minute or so of it, the session still a day or more
ahead when Telegram recovers, so a reminder is still worth sending then."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

from bot.storage import open_storage
from bot.storage.sql import SqlStorage
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Clock, free_port, running_bot
from tests.test_perfectgym_webhooks import all_done, event, post
from tests.test_trial_reminders import (
    DAY,
    HOUR,
    WEBHOOK_KEY,
    Talk,
    _at,
    _booking_id,
    _env,
    _evening_yoga,
    _nothing_more,
)

# What a message of the bot's own goes out by; a reminder's buttons come with it.
SENDS = ("sendMessage", "sendVenue", "editMessageText", "editMessageReplyMarkup")
REMINDER = "A reminder of your trial session"
MISSED = "We missed you at your trial session (Yoga Flow)"
CANCELLED = "had to cancel your trial session (Yoga Flow on"


async def _until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


async def _refused_and_tried_again(tg: FakeTelegram, sends_before: int) -> None:
    """Until the bot tried to send and Telegram refused, and the kept message was tried again
    (the resender's first pause is a second of real time)."""
    await _until(lambda: tg.method_calls("sendMessage") >= sends_before + 2, "a second try")


def _received(tg: FakeTelegram, chat_id: int, fragment: str) -> list[str]:
    """The messages with ``fragment`` the prospect got (refused sends are not among them)."""
    return [
        m.text or ""
        for m in tg.messages_to(chat_id)
        if m.method == "sendMessage" and fragment in (m.text or "")
    ]


async def _sent_reminders(database_url: str) -> list[tuple[str, str]]:
    storage = await open_storage(database_url)
    try:
        query = "SELECT kind, status FROM trial_reminders ORDER BY due_at"
        rows = await cast(SqlStorage, storage)._db.fetch(query)
        return [(str(r["kind"]), str(r["status"])) for r in rows]
    finally:
        await storage.close()


async def test_a_reminder_telegram_refused_is_sent_once_when_it_is_back(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path, noon: Clock
) -> None:
    slot = _evening_yoga(pg, 2 * DAY)
    start = slot.start.timestamp()
    async with running_bot(_env(tg, pg, database_url, tmp_path), clock=noon):
        lena = Talk(tg, 23101, "en-GB")
        await lena.book(slot)
        tg.fail(*SENDS, status=502)
        before = tg.method_calls("sendMessage")
        _at(noon, start - DAY + 1)  # the 24-hour reminder is due
        await _refused_and_tried_again(tg, before)
        assert _received(tg, 23101, REMINDER) == []
        tg.recover()
        noon.forward(60)  # the kept reminder is due again, the session a day ahead
        reminder = await lena.prospect.expect(REMINDER, "Yoga Flow")
        assert [label for label, _ in reminder.buttons()] == ["👍 I'll be there", "Can't make it"]
        await _nothing_more(tg, 23101)
        await lena.prospect.press(reminder, "👍 I'll be there")  # its buttons work
        await lena.prospect.expect("Great, see you then! 👋")
    assert len(_received(tg, 23101, REMINDER)) == 1
    assert await _sent_reminders(database_url) == [("24h", "sent"), ("2h", "pending")]


async def test_a_missed_sessions_follow_up_telegram_refused_is_sent_once_when_it_is_back(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path, noon: Clock
) -> None:
    slot = _evening_yoga(pg, 2 * DAY)
    env = _env(
        tg, pg, database_url, tmp_path, TRIAL_REMINDERS="off", PERFECTGYM_WEBHOOK_KEY=WEBHOOK_KEY
    )
    async with running_bot(env, clock=noon):
        lena = Talk(tg, 23102, "en-GB")
        await lena.book(slot)
        tg.fail(*SENDS, status=500)
        before = tg.method_calls("sendMessage")
        _at(noon, slot.end.timestamp() + DAY)  # no check-in came: missed
        await _refused_and_tried_again(tg, before)
        assert _received(tg, 23102, MISSED) == []
        tg.recover()
        noon.forward(60)
        missed = await lena.prospect.expect(MISSED)
        assert missed.buttons()  # the days to choose another time from
        _at(noon, noon() + 3 * DAY)
        await _nothing_more(tg, 23102)
    assert len(_received(tg, 23102, MISSED)) == 1
    assert await _sent_reminders(database_url) == [("followup", "sent")]


async def test_the_studio_cancelling_a_trial_is_told_once_telegram_is_back(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path, noon: Clock
) -> None:
    port = free_port()
    slot = _evening_yoga(pg, 2 * DAY)
    env = _env(
        tg,
        pg,
        database_url,
        tmp_path,
        PERFECTGYM_WEBHOOK_KEY=WEBHOOK_KEY,
        PORT=str(port),
        WEBHOOK_LISTEN_HOST="127.0.0.1",
    )
    async with running_bot(env, clock=noon):
        lena = Talk(tg, 23103, "en-GB")
        await lena.book(slot)
        booking_id = _booking_id(pg, slot)
        tg.fail(*SENDS, status=503)
        before = tg.method_calls("sendMessage")
        assert await post(port, event(booking_id, "CLASS_BOOKING_CANCELLED"), WEBHOOK_KEY) == 200
        await _refused_and_tried_again(tg, before)
        await all_done(database_url, 1)  # the event is done with: the note is the bot's to send
        assert _received(tg, 23103, CANCELLED) == []
        tg.recover()
        noon.forward(60)
        told = await lena.prospect.expect(CANCELLED)
        assert told.buttons()  # the days to choose another time from
        # PerfectGym sends the event again: nothing is left to tell.
        assert await post(port, event(booking_id, "CLASS_BOOKING_CANCELLED"), WEBHOOK_KEY) == 200
        await all_done(database_url, 2)
        for moment in (slot.start.timestamp() - DAY, slot.start.timestamp() - 2 * HOUR):
            _at(noon, moment + 1)  # and no reminder of the cancelled booking
            await _nothing_more(tg, 23103)
    assert len(_received(tg, 23103, CANCELLED)) == 1
    assert await _sent_reminders(database_url) == [
        ("24h", "cancelled"),
        ("2h", "cancelled"),
        ("followup", "cancelled"),
    ]
