"""Booking a free trial session in the chat after the lead, through the real Application,
against the fake PerfectGym's trial studio in Berlin: "Yoga Flow" classes (for leads, contingent
2; its second upcoming slot is full with room on the waiting list), "HIIT Express" (not for
leads) and "Probetraining mit Coach" appointments (contingent 1, confirmation within 30 min). The bot and the studio both go by
``noon`` (conftest): the same slots at whatever hour the suite runs."""

from __future__ import annotations

import asyncio
import datetime
import logging
import re

import pytest
from babel.dates import format_time

from bot.funnel.counts import Stage, Step, known_counts
from bot.standin.trials import ClassSlotState
from bot.storage import open_storage
from conversations.booking import day_label
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.harness import Clock, Prospect, bot_environment, load_config, running_bot

STAFF = -1001234500077
YOGA_CONFIG = 1


def _env(tg: FakeTelegram, pg: FakePerfectGym, database_url: str, **extra: str) -> dict[str, str]:
    pg.set_config(load_config("all-inactive"))
    tg.add_group(STAFF, "Studio staff")
    settings = {
        "TRIAL_BOOKING": "on",
        "STUDIO_TIMEZONE": "Europe/Berlin",
        "STAFF_CHAT_ID": str(STAFF),
        "SWEEP_SECONDS": "0.1",
        "OUTBOX_RETRY_BASE_SECONDS": "0.2",
    }
    return bot_environment(tg, pg, database_url, **(settings | extra))


async def _lead(
    tg: FakeTelegram, chat_id: int, language: str = "en-GB"
) -> tuple[Prospect, SentMessage]:
    """A created lead, and the invitation under its thank-you."""
    prospect = Prospect(tg, chat_id=chat_id, language_code=language)
    summary = await prospect.introduce("Lena", "Lang", f"lena{chat_id}@example.com")
    await prospect.choose(summary, "Yes, send it", "Thank you, Lena")
    return prospect, await prospect.expect("book a free trial session")


def _labels(message: SentMessage) -> list[str]:
    return [label for label, _ in message.buttons()]


def _yoga(pg: FakePerfectGym) -> list[ClassSlotState]:
    """Yoga's slots still ahead, soonest first."""
    now = pg.trials.now()
    slots = [
        s for s in pg.trials.class_slots.values() if s.config_id == YOGA_CONFIG and s.start > now
    ]
    return sorted(slots, key=lambda s: s.start)


async def _offer(prospect: Prospect, invitation: SentMessage, session: str) -> SentMessage:
    offers = await prospect.choose(invitation, "📅 Book a trial session", "Which trial session")
    label = next(label for label in _labels(offers) if label.startswith(session))
    return await prospect.choose(offers, label, "which day")


async def _pick(
    prospect: Prospect, days: SentMessage, start: datetime.datetime, locale: str = "en_GB"
) -> None:
    """Press the day, then the time, of ``start`` (in the studio's zone)."""
    day = day_label(start.date(), locale)
    times = await prospect.choose(days, day, "Which time")
    time_label = next(
        label
        for label in _labels(times)
        if label.startswith(format_time(start, "short", locale=locale))
    )
    await prospect.press(times, time_label)
    await prospect.expect("booking")


async def _first_free_time(prospect: Prospect, days: SentMessage) -> SentMessage:
    """Press the first day, then its first time; the bot's answer after "booking…"."""
    times = await prospect.choose(days, _labels(days)[0], "Which time")
    await prospect.press(times, _labels(times)[0])
    await prospect.expect("booking")
    return await prospect.next()


async def _counted(database_url: str, clock: Clock) -> set[Step]:
    """The steps counted around ``clock``'s day (the bot's, not the wall clock's)."""
    storage = await open_storage(database_url)
    try:
        today = clock.berlin_today()
        counts = await storage.funnel_counts(
            today - datetime.timedelta(days=1), today + datetime.timedelta(days=1)
        )
    finally:
        await storage.close()
    return {c.step for c in known_counts(counts)}


async def test_a_class_is_booked_with_its_day_time_place_and_instructor(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        lena, invitation = await _lead(tg, 6101)
        offers = await lena.choose(invitation, "📅 Book a trial session", "Which trial session")
        labels = _labels(offers)
        assert any(label.startswith("Yoga Flow") for label in labels)
        assert any(label.startswith("Probetraining mit Coach") for label in labels)
        assert not any("HIIT" in label for label in labels)  # its config is not for leads
        days = await lena.choose(
            offers, next(label for label in labels if label.startswith("Yoga")), "which day"
        )
        first = _yoga(pg)[0]
        await _pick(lena, days, first.start)
        booked = await lena.expect("Booked: Yoga Flow", format_time(first.start, "HH:mm"))
        assert "Where:" in (booked.text or "")
        assert "With:" in (booked.text or "")
        assert _labels(booked) == ["Change the time"]
    assert pg.calls["class_validate"] == 1
    assert pg.calls["class_book"] == 1
    assert [b.class_slot_id for b in pg.trials.bookings.values()] == [first.id]
    steps = await _counted(database_url_all_backends, noon)
    assert {Step(Stage.OFFERS_SHOWN), Step(Stage.SLOTS_SHOWN), Step(Stage.BOOKED)} <= steps


async def test_an_appointment_to_confirm_in_a_twelve_hour_locale(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        sam, invitation = await _lead(tg, 6201, language="en-US")
        days = await _offer(sam, invitation, "Probetraining")
        times = await sam.choose(days, _labels(days)[0], "Which time")
        assert all(re.search(r"\d:\d\d\s?[AP]M", label) for label in _labels(times)[:-1])
        await sam.press(times, _labels(times)[0])
        await sam.expect("booking")
        confirm = await sam.expect("Please confirm it", "holds until")
        await sam.press(confirm, "✅ Confirm")
        await sam.expect("Booked: Probetraining mit Coach")
    [booking] = pg.trials.bookings.values()
    assert booking.confirmed
    assert Step(Stage.BOOKING_CONFIRMED) in await _counted(database_url_all_backends, noon)


async def test_a_full_class_puts_the_prospect_on_its_waiting_list(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        lena, invitation = await _lead(tg, 6301)
        days = await _offer(lena, invitation, "Yoga")
        await _pick(lena, days, _yoga(pg)[1].start)
        waiting = await lena.expect("waiting list")
        assert _labels(waiting) == ["Choose another time"]


async def test_a_time_taken_meanwhile_is_answered_with_the_next_free_times(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        lena, invitation = await _lead(tg, 6401)
        days = await _offer(lena, invitation, "Probetraining")
        times = await lena.choose(days, _labels(days)[0], "Which time")
        taken = _labels(times)[0]
        pg.take_slot_before("validate")
        await lena.press(times, taken)
        await lena.expect("booking")
        again = await lena.expect("just been taken", "Which time")
        assert taken not in _labels(again)
        assert len(_labels(again)) >= 2  # other times of that day, and "another day"
    ours = [b for b in pg.trials.bookings.values() if b.customer_id in pg.trials.customers]
    assert ours == []  # only the other customer's booking that took the time


async def test_a_refused_customer_is_told_and_staff_get_the_choice(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    pg.refuse_customers()
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        lena, invitation = await _lead(tg, 6501)
        await tg.next_message(STAFF)  # the new lead's notice, sent after the thank-you
        tg.drain(STAFF)
        days = await _offer(lena, invitation, "Yoga")
        await _pick(lena, days, _yoga(pg)[0].start)
        await lena.expect("couldn't book this online", "arrange")
        staff = await tg.next_message(STAFF)
        assert "could not be booked online" in (staff.text or "")
        assert "Yoga Flow" in (staff.text or "")
    assert Step(Stage.BOOKING_REFUSED) in await _counted(database_url_all_backends, noon)


async def test_perfectgym_down_the_choice_is_kept_and_booked_once_later(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    """The first book request books but its answer is lost; the retry validates first, sees
    the booking, and books nothing more."""
    pg.book_then_fail()
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        lena, invitation = await _lead(tg, 6601)
        days = await _offer(lena, invitation, "Yoga")
        await _pick(lena, days, _yoga(pg)[0].start)
        await lena.expect("not answering right now", "keep trying")
        await lena.expect("Booked: Yoga Flow")
    assert len(pg.trials.bookings) == 1
    assert pg.calls["class_book"] == 1
    assert pg.calls["class_validate"] == 2


@pytest.mark.parametrize("command", ["/cancel", "/forget"])
async def test_nothing_is_booked_after_cancel_or_forget(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url_all_backends: str,
    noon: Clock,
    command: str,
) -> None:
    pg.fail_next("class_validate", 503)
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        lena, invitation = await _lead(tg, 6701)
        days = await _offer(lena, invitation, "Yoga")
        await _pick(lena, days, _yoga(pg)[0].start)
        await lena.expect("keep trying")
        await lena.answer(command, "deleted")
        await asyncio.sleep(0.5)  # several sweeps
    assert pg.trials.bookings == {}
    assert pg.calls["class_book"] == 0


async def test_change_books_another_time_and_staff_cancel_the_first(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        lena, invitation = await _lead(tg, 6801)
        days = await _offer(lena, invitation, "Yoga")
        first, other = _yoga(pg)[0], _yoga(pg)[3]
        await _pick(lena, days, first.start)
        booked = await lena.expect("Booked: Yoga Flow")
        tg.drain(STAFF)
        days = await lena.choose(booked, "Change the time", "stays until a new one")
        await _pick(lena, days, other.start)
        rebooked = await lena.expect("Booked: Yoga Flow", "earlier booking")
        assert format_time(other.start, "HH:mm") in (rebooked.text or "")
        staff = await tg.next_message(STAFF)
        assert "cancel the earlier booking" in (staff.text or "")
    assert sorted(b.class_slot_id or 0 for b in pg.trials.bookings.values()) == sorted(
        [first.id, other.id]
    )


async def test_a_change_the_studio_does_not_allow_keeps_the_booking(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    """Appointments allow one trial (contingent 1): "Change" cannot book a second."""
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        sam, invitation = await _lead(tg, 6901)
        days = await _offer(sam, invitation, "Probetraining")
        confirm = await _first_free_time(sam, days)
        assert "Please confirm it" in (confirm.text or "")
        await sam.press(confirm, "✅ Confirm")
        booked = await sam.expect("Booked: Probetraining")
        days = await sam.choose(booked, "Change the time", "stays until a new one")
        refused = await _first_free_time(sam, days)
        assert "can't be booked online while this one stands" in (refused.text or "")
        assert "The studio can change it for you" in (refused.text or "")
    assert len(pg.trials.bookings) == 1


async def test_without_the_trial_scopes_booking_is_off_with_one_log_line(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url_all_backends: str,
    noon: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pg.lack_trial_scopes()
    caplog.set_level(logging.WARNING, logger="bot.trials.booking")
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        lena = Prospect(tg, chat_id=7001, language_code="en-GB")
        summary = await lena.introduce("Lena", "Lang", "lena7001@example.com")
        await lena.choose(summary, "Yes, send it", "Thank you, Lena")
        await lena.answer("/help", "/start")  # the next thing said: no invitation came before
    assert len(pg.created) == 1  # the lead itself as always
    lines = [r for r in caplog.records if "TRIAL_OFFER_READ" in r.getMessage()]
    assert len(lines) == 1


async def test_off_by_default(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    env = _env(tg, pg, database_url_all_backends)
    del env["TRIAL_BOOKING"]
    async with running_bot(env, clock=noon):
        lena = Prospect(tg, chat_id=7101, language_code="en-GB")
        summary = await lena.introduce("Lena", "Lang", "lena7101@example.com")
        await lena.choose(summary, "Yes, send it", "Thank you, Lena")
        await lena.answer("/help", "/start")
    assert pg.calls["class_offers"] == 0


async def test_offers_and_times_are_shared_between_prospects(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    """Two prospects look at Yoga's days: one offers call and one slots call for both."""
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        lena, first = await _lead(tg, 7201)
        mia, second = await _lead(tg, 7202)
        await _offer(lena, first, "Yoga")
        await _offer(mia, second, "Yoga")
    assert pg.calls["class_offers"] == 2  # the scope check at start, then the listing once
    assert pg.calls["class_slots"] == 1


async def test_a_choice_made_while_perfectgym_is_down_is_booked_after_a_restart(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    env = _env(tg, pg, database_url_all_backends, OUTBOX_RETRY_BASE_SECONDS="30")
    pg.fail_next("class_validate", 503)
    async with running_bot(env, clock=noon):
        lena, invitation = await _lead(tg, 7301)
        days = await _offer(lena, invitation, "Yoga")
        await _pick(lena, days, _yoga(pg)[0].start)
        await lena.expect("keep trying")
    noon.forward(31)  # down past the retry's 30 s; back up, the stored choice is still owed
    async with running_bot(env, clock=noon):
        booked = await lena.expect("Booked: Yoga Flow")
        assert "The studio can cancel it for you" in (booked.text or "")
    assert len(pg.trials.bookings) == 1


async def test_a_reservation_confirmed_too_late_asks_for_a_time_again(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        sam, invitation = await _lead(tg, 7401)
        days = await _offer(sam, invitation, "Probetraining")
        confirm = await _first_free_time(sam, days)
        assert "Please confirm it" in (confirm.text or "")
        pg.advance_clock(datetime.timedelta(minutes=31))
        await sam.press(confirm, "✅ Confirm")
        await sam.expect("time to confirm that reservation has passed", "which day")
