"""The thank-you and the studio's notices are never lost half way (issue 22), through the real
Application over loopback: a staff chat Telegram refuses for good, a database fault opening the
trial offer, a storage fault in the middle of a cancelled booking's notice, and a trial reminder
kept while Telegram was away, which is worthless once its session began."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.followup.service import Followups
from bot.storage import open_storage
from bot.storage.replies import PendingReply, ReplyKind
from bot.storage.trial_bookings import SqlTrialBookings
from tests.databases import BACKENDS, fresh_database_url
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Clock, Prospect, bot_environment, load_config, running_bot
from tests.test_storage import create_release, release_before
from tests.test_trial_reminders import (
    HOUR,
    Talk,
    _at,
    _booking_id,
    _env,
    _evening_yoga,
    _nothing_more,
    followups,
)

__all__ = ["followups"]  # the fixture, used here by name

STAFF = -100222
MIGRATED = -1002220000001
DAY = 24 * HOUR
FAST = {
    "OUTBOX_RETRY_BASE_SECONDS": "0.1",
    "PERFECTGYM_TIMEOUT_SECONDS": "1",
    "STAFF_CHAT_ID": str(STAFF),
}
THANKS = "Thank you, Ada! 🎉 The studio has your details and will contact you soon."
STAFF_NOTICE = "New lead from Telegram: PerfectGym customer number 1-1."


async def _until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _texts(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in tg.messages_to(chat_id) if m.method == "sendMessage"]


def _lead(pg: FakePerfectGym) -> tuple[str, str, str, str]:
    [lead] = pg.created
    customer = lead["leadCustomer"]
    return (
        customer["firstname"],
        customer["lastname"],
        customer["email"],
        customer["thirdPartyId"],
    )


# --- the thank-you before staff ----------------------------------------------------------------


@pytest.mark.parametrize("fault", ["chat-not-found", "migrated"])
async def test_a_staff_chat_telegram_refuses_costs_the_prospect_nothing(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    caplog.set_level(logging.INFO)
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url, **FAST)):
        ada = Prospect(tg, chat_id=22501)
        summary = await ada.introduce("Ada", "Lovelace", "ada@example.com")
        # Removed from the group, or the group upgraded to a supergroup, after the bot started.
        tg.refuse_chat(STAFF, migrate_to=MIGRATED if fault == "migrated" else None)
        await ada.press(summary, "Yes, send it")
        thanks = await ada.expect_eventually("Thank you, Ada")
        assert thanks.text == THANKS
        await _until(lambda: ("sendMessage", STAFF) in tg.refused)
        if fault == "migrated":
            staff = await tg.next_message(MIGRATED)  # followed to the supergroup
            assert staff.text == STAFF_NOTICE
            assert f"is now chat {MIGRATED}" in caplog.text
        else:
            await _until(lambda: "Telegram refused a message (BadRequest" in caplog.text)
        await tg.wait_idle(22501)
    assert _lead(pg) == ("Ada", "Lovelace", "ada@example.com", "22501")
    assert pg.calls["create"] == 1
    assert _texts(tg, 22501).count(THANKS) == 1
    assert _texts(tg, STAFF) == []
    assert "delivery listener failed" not in caplog.text


async def test_a_database_fault_opening_the_trial_offer_costs_the_thank_you_nothing(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    opened: list[int] = []

    async def disk_fails(self: SqlTrialBookings, chat_id: int, state: str, now: float) -> bool:
        opened.append(chat_id)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(SqlTrialBookings, "open_booking", disk_fails)
    env = _env(tg, pg, database_url, tmp_path)
    async with running_bot(env):
        lena = Talk(tg, 22502, "en-GB")
        summary = await lena.prospect.introduce(
            "Lena", "Lang", "lena@example.com", welcome=(), then=("Please check your details:",)
        )
        await lena.prospect.press(summary, "✅ Yes, send it")
        thanks = await lena.prospect.expect_eventually("Thank you, Lena")
        staff = await tg.next_message(-1001234500099)
        await tg.wait_idle(22502)
    assert opened == [22502]  # the offer was tried, and its fault cost only the offer
    assert "will contact you soon" in (thanks.text or "")
    assert thanks.buttons() == [] or all("trial" not in label for label, _ in thanks.buttons())
    assert not any("book a free trial" in text for text in _texts(tg, 22502))
    assert sum("Thank you, Lena" in text for text in _texts(tg, 22502)) == 1
    assert (staff.text or "").startswith("New lead from Telegram: PerfectGym customer number")
    assert _lead(pg) == ("Lena", "Lang", "lena@example.com", "22502")
    assert pg.calls["create"] == 1
    assert "the trial booking's offer could not be opened" in caplog.text


# --- a cancelled booking's notice -------------------------------------------------------------


async def test_a_cancelled_booking_whose_notice_failed_half_way_is_told_after_the_retry(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    tmp_path: Path,
    followups: list[Followups],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Storage fails once between stopping nothing yet and telling the prospect: PerfectGym's
    event, retried, tells them; a third copy of the event tells them nothing more."""
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    load = SqlTrialBookings.load_booking
    failing: list[int] = []

    async def fails_once(self: SqlTrialBookings, chat_id: int) -> str | None:
        if failing:
            failing.pop()
            raise sqlite3.OperationalError("database is locked")
        return await load(self, chat_id)

    monkeypatch.setattr(SqlTrialBookings, "load_booking", fails_once)
    async with running_bot(_env(tg, pg, database_url, tmp_path), clock=clock):
        lena = Talk(tg, 22503, "en-GB")
        await lena.book(slot)
        booking_id = _booking_id(pg, slot)
        failing.append(1)
        with pytest.raises(sqlite3.OperationalError):
            await followups[0].cancelled(None, booking_id)
        assert failing == []
        await _nothing_more(tg, 22503)
        await followups[0].cancelled(None, booking_id)  # the event, retried
        told = await lena.prospect.expect("had to cancel your trial session", "Yoga Flow")
        assert told.buttons()  # the days to choose another time from
        await followups[0].cancelled(None, booking_id)  # PerfectGym sent it once more
        await _nothing_more(tg, 22503)
        _at(clock, slot.start.timestamp() - DAY + 1)
        await _nothing_more(tg, 22503)
        _at(clock, slot.start.timestamp() - 2 * HOUR + 1)
        await _nothing_more(tg, 22503)
    assert sum("had to cancel" in text for text in _texts(tg, 22503)) == 1


# --- a kept reminder has a time after which it is not sent -------------------------------------


@pytest.mark.parametrize("back", ["after-the-session", "before-the-session"])
async def test_a_reminder_kept_while_telegram_was_away_is_sent_only_before_its_session(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    back: str,
) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    start = slot.start.timestamp()
    env = _env(tg, pg, database_url, tmp_path, TRIAL_REMINDERS="2h")
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 22504, "en-GB")
        await lena.book(slot)
        tg.fail("sendMessage")
        refused = tg.method_calls("sendMessage")
        _at(clock, start - 2 * HOUR + 1)
        await _until(lambda: "kept to send again" in caplog.text)
        await _until(lambda: tg.method_calls("sendMessage") >= refused + 2)  # resent, refused
        if back == "after-the-session":
            _at(clock, start + 60)
            tg.recover()
            await _until(lambda: "1 kept replies dropped: their time had passed" in caplog.text)
            await _nothing_more(tg, 22504)
        else:
            _at(clock, start - HOUR)
            tg.recover()
            await lena.prospect.expect("A reminder of your trial session", "Yoga Flow")
            await _nothing_more(tg, 22504)
    reminders = [t for t in _texts(tg, 22504) if "A reminder of your trial session" in t]
    assert len(reminders) == (1 if back == "before-the-session" else 0)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_database_from_before_not_after_is_upgraded_and_its_kept_replies_stay(
    tmp_path: Path, backend: str
) -> None:
    """A reply kept by the release before has no time limit; one kept now carries its own."""
    now = 1_800_000_000.0
    async with fresh_database_url(backend, tmp_path) as url:
        await create_release(
            url,
            release_before(lambda table, column: column.name == "not_after"),
            (
                (
                    "INSERT INTO pending_replies (chat_id, kind, payload, attempts, due_at, "
                    "created_at) VALUES (7, 'answer', '[]', 0, $1, $1)",
                    (now,),
                ),
            ),
        )
        storage = await open_storage(url)
        try:
            await storage.hold_reply(7, ReplyKind.ANSWER, '[{"x": 1}]', now, not_after=now + 60)
            claimed = await storage.claim_replies(now + 1, now + 61, 10)
        finally:
            await storage.close()
    assert [(r.chat_id, r.payload, r.not_after) for r in claimed] == [
        (7, "[]", None),
        (7, '[{"x": 1}]', now + 60),
    ]
    assert all(isinstance(r, PendingReply) for r in claimed)
