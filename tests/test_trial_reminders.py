"""Reminders before a booked trial session and the one follow-up after it, through the real
Application with the bot's clock moved instead of waited for. The studio is the fake
PerfectGym's trial studio in Berlin (Yoga Flow classes at 18:30 on weekdays, 10:00 on
Saturdays); sweeps run every 50 ms of real time. PerfectGym's events reach the bot's
``BookingEvents`` (``Followups``) directly, as the webhooks' processor calls it."""

from __future__ import annotations

import asyncio
import datetime
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time

import bot.composition
from bot.followup import schedule
from bot.followup.service import Followups
from bot.settings import SettingsError, load_settings
from bot.standin.trials import ClassSlotState
from bot.storage import open_storage
from bot.storage.trial_reminders import FOLLOWUP, Planned, ReminderStatus
from bot.studio.texts import StudioTexts, StudioTextsError
from conversations.booking import day_label
from conversations.i18n import Translator
from tests.databases import fresh_database_url
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.harness import Clock, Prospect, bot_environment, load_config, running_bot
from tests.test_studio_identity import studio_information

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0
DAY = 24 * HOUR
SWEEPS = "0.05"
QUIET_WAIT = 0.6  # about ten sweeps
STAFF = -1001234500099
YOGA_CONFIG = 1
WEBHOOK_KEY = "pg-webhook-key-0123456789"
TEXTS = {
    "what_to_bring": {"en": "a towel and indoor shoes", "de": "ein Handtuch und Hallenschuhe"},
    "offer_url": {"en": "https://studio.example/offer", "de": "https://studio.example/angebot"},
}


@pytest.fixture
def followups(monkeypatch: pytest.MonkeyPatch) -> list[Followups]:
    """The running bots' ``Followups``, to hand them PerfectGym's events."""
    built: list[Followups] = []

    class Recorded(Followups):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            built.append(self)

    monkeypatch.setattr(bot.composition, "Followups", Recorded)
    return built


def _env(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path, **extra: str
) -> dict[str, str]:
    pg.set_config(load_config("all-inactive"))
    pg.studio = studio_information(
        "Studio Mitte",
        "DE",
        street="Torstraße",
        houseNumber="12",
        zip="10119",
        city="Berlin",
        telephone="+49 30 1234567",
    )
    tg.add_group(STAFF, "Studio staff")
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps(TEXTS), encoding="utf-8")
    settings = {
        "TRIAL_BOOKING": "on",
        "STUDIO_TIMEZONE": "Europe/Berlin",
        "STAFF_CHAT_ID": str(STAFF),
        "SWEEP_SECONDS": SWEEPS,
        "REMINDER_AFTER_HOURS": "0",
        "STUDIO_TEXTS_FILE": str(texts),
    }
    return bot_environment(tg, pg, database_url, **(settings | extra))


def _labels(message: SentMessage) -> list[str]:
    return [label for label, _ in message.buttons()]


def _evening_yoga(pg: FakePerfectGym, after: float) -> ClassSlotState:
    """A bookable Yoga Flow slot at 18:30 at least ``after`` seconds ahead of real time."""
    now = pg.trials.now()
    return next(
        s
        for s in sorted(pg.trials.class_slots.values(), key=lambda s: s.start)[0:]
        if s.config_id == YOGA_CONFIG
        and not s.full
        and s.start.hour == 18
        and (s.start - now).total_seconds() > after
    )


class Talk:
    """A prospect who books a trial session in their own language."""

    def __init__(self, tg: FakeTelegram, chat_id: int, language: str) -> None:
        self.locale = "de" if language.startswith("de") else "en_GB"
        self.tr = Translator(self.locale)
        self.prospect = Prospect(tg, chat_id=chat_id, language_code=language)

    def _(self, message: str) -> str:
        return self.tr.gettext(message)

    async def book(self, slot: ClassSlotState) -> SentMessage:
        """A created lead, then ``slot`` booked; the "Booked" message."""
        person = self.prospect
        summary = await person.introduce(
            "Lena",
            "Lang",
            f"lena{person.chat_id}@example.com",
            welcome=(),
            then=(self._("Please check your details:"),),
        )
        await person.press(summary, self._("✅ Yes, send it"))
        invitation = await person.expect_eventually(
            self._("Would you like to book a free trial session right away?")
        )
        offers = await person.choose(invitation, self._("📅 Book a trial session"))
        label = next(label for label in _labels(offers) if label.startswith("Yoga"))
        days = await person.choose(offers, label)
        start = slot.start.astimezone(BERLIN)
        times = await person.choose(days, day_label(start.date(), self.locale))
        await person.press(times, format_time(start, "short", locale=self.locale))
        await person.next()  # "One moment, I'm booking…"
        return await person.expect("Yoga Flow")


def _at(clock: Clock, moment: float) -> None:
    clock.offset += moment - clock()


async def _nothing_more(tg: FakeTelegram, *chat_ids: int) -> None:
    await asyncio.sleep(QUIET_WAIT)
    for chat_id in chat_ids:
        assert [m.text for m in tg.drain(chat_id) if m.method == "sendMessage"] == []


def _booking_id(pg: FakePerfectGym, slot: ClassSlotState) -> int:
    [booking_id] = [i for i, b in pg.trials.bookings.items() if b.class_slot_id == slot.id]
    return booking_id


# --- the reminders -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en-GB", "de"])
async def test_both_reminders_come_once_at_their_moments(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path, language: str
) -> None:
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    start = slot.start.timestamp()
    async with running_bot(_env(tg, pg, database_url, tmp_path), clock=clock):
        lena = Talk(tg, 9101, language)
        await lena.book(slot)
        _at(clock, start - DAY - 60)
        await _nothing_more(tg, 9101)
        _at(clock, start - DAY + 1)
        first = await lena.prospect.expect(
            "Yoga Flow",
            format_time(slot.start.astimezone(BERLIN), "short", locale=lena.locale),
            "Torstraße 12, 10119 Berlin",
            TEXTS["what_to_bring"]["en" if lena.locale == "en_GB" else "de"],
        )
        assert _labels(first) == [lena._("👍 I'll be there"), lena._("Can't make it")]
        opening = lena._("⏰ A reminder of your trial session: {session} on {when}.")
        assert (first.text or "").startswith(opening.split("{")[0])
        assert ("Erinnerung" in (first.text or "")) == (language == "de")
        await _nothing_more(tg, 9101)
        _at(clock, start - 2 * HOUR + 1)
        second = await lena.prospect.expect("Yoga Flow")
        await lena.prospect.press(second, lena._("👍 I'll be there"))
        await lena.prospect.expect(lena._("Great, see you then! 👋"))
        _at(clock, start + HOUR)
        await _nothing_more(tg, 9101)


async def test_a_reminder_due_at_night_comes_at_nine(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    """12 hours before an 18:30 session is 06:30: it comes at 09:00."""
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    start = slot.start.timestamp()
    nine = slot.start.astimezone(BERLIN).replace(hour=9, minute=0).timestamp()
    env = _env(tg, pg, database_url, tmp_path, TRIAL_REMINDERS="12h")
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 9201, "en-GB")
        await lena.book(slot)
        _at(clock, start - 12 * HOUR + 60)  # 06:31
        await _nothing_more(tg, 9201)
        _at(clock, nine - 60)
        await _nothing_more(tg, 9201)
        _at(clock, nine + 1)
        await lena.prospect.expect("A reminder of your trial session", "Yoga Flow")


def test_a_night_reminder_whose_nine_oclock_is_after_the_session_is_not_sent() -> None:
    """A 07:30 session's 2-hour reminder (05:30) would come at 09:00, after it: none; its
    24-hour one (07:30 the day before, night too) comes at 09:00 the day before."""
    start = datetime.datetime(2027, 3, 10, 7, 30, tzinfo=BERLIN).timestamp()
    nine_before = datetime.datetime(2027, 3, 9, 9, 0, tzinfo=BERLIN).timestamp()
    booked = start - 3 * DAY
    planned = schedule.reminders(start, (DAY, 2 * HOUR), BERLIN, booked)
    assert [(p.kind, p.due_at) for p in planned] == [("24h", nine_before)]
    late = schedule.reminders(start, (DAY, 2 * HOUR), BERLIN, nine_before + 60)
    assert late == []  # booked after the 24-hour one's time, and 09:00 is after the session
    evening = datetime.datetime(2027, 3, 10, 22, 0, tzinfo=BERLIN).timestamp()
    assert [p.kind for p in schedule.reminders(evening, (DAY, 2 * HOUR), BERLIN, booked)] == [
        "24h",
        "2h",
    ]


async def test_a_session_already_started_gets_none(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    """The bot was down over both moments and the session has begun: nothing is sent."""
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    env = _env(tg, pg, database_url, tmp_path)
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 9301, "en-GB")
        await lena.book(slot)
    _at(clock, slot.start.timestamp() + 60)
    async with running_bot(env, clock=clock):
        await _nothing_more(tg, 9301)


# --- PerfectGym's events -----------------------------------------------------------------------


async def test_cancelled_by_the_studio_stops_them_and_offers_another_time(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    tmp_path: Path,
    followups: list[Followups],
) -> None:
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    async with running_bot(_env(tg, pg, database_url, tmp_path), clock=clock):
        lena = Talk(tg, 9401, "de")
        await lena.book(slot)
        booking_id = _booking_id(pg, slot)
        await followups[0].cancelled(None, booking_id)
        told = await lena.prospect.expect("Yoga Flow", "musste dein Probetraining")
        assert _labels(told)  # the days to choose another time from
        await followups[0].cancelled(None, booking_id)  # PerfectGym sent it twice
        _at(clock, slot.start.timestamp() - DAY + 1)
        await _nothing_more(tg, 9401)
        _at(clock, slot.start.timestamp() - 2 * HOUR + 1)
        await _nothing_more(tg, 9401)


async def test_moved_by_the_studio_the_reminders_move_with_it(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    tmp_path: Path,
    followups: list[Followups],
) -> None:
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    old = slot.start.timestamp()
    async with running_bot(_env(tg, pg, database_url, tmp_path), clock=clock):
        lena = Talk(tg, 9501, "en-GB")
        await lena.book(slot)
        later = datetime.timedelta(hours=1, minutes=30)  # 18:30 to 20:00
        slot.start, slot.end = slot.start + later, slot.end + later
        await followups[0].moved(None, _booking_id(pg, slot))
        _at(clock, old - DAY + 1)
        await _nothing_more(tg, 9501)
        _at(clock, old - DAY + later.total_seconds() + 1)
        await lena.prospect.expect("Yoga Flow", "20:00")
        _at(clock, old - 2 * HOUR + 1)
        await _nothing_more(tg, 9501)
        _at(clock, old - 2 * HOUR + later.total_seconds() + 1)
        await lena.prospect.expect("Yoga Flow", "20:00")


@pytest.mark.parametrize("desk", [True, False], ids=["front-desk", "no-staff-group"])
async def test_attended_one_how_was_it_the_next_morning(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    tmp_path: Path,
    followups: list[Followups],
    desk: bool,
) -> None:
    """ "Talk to the studio" opens the front desk's thread where a staff group is there to talk
    in, else gives the studio's phone and e-mail."""
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    start = slot.start.timestamp()
    env = _env(
        tg, pg, database_url, tmp_path, TRIAL_REMINDERS="off", PERFECTGYM_WEBHOOK_KEY=WEBHOOK_KEY
    )
    if not desk:
        del env["STAFF_CHAT_ID"]
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 9601, "en-GB")
        await lena.book(slot)
        customer = pg.trials.bookings[_booking_id(pg, slot)].customer_id
        _at(clock, start - 10 * 60)
        await followups[0].attended(None, customer)
        await followups[0].attended(None, customer)  # a second check-in that day
        _at(clock, start + 4 * HOUR)  # no "we missed you"
        await _nothing_more(tg, 9601)
        morning = slot.start.astimezone(BERLIN).replace(hour=10, minute=0)
        _at(clock, (morning + datetime.timedelta(days=1)).timestamp() + 1)
        how = await lena.prospect.expect("How was it?", "https://studio.example/offer")
        await lena.prospect.press(how, lena._("💬 Talk to the studio"))
        if desk:
            asked = lena._(
                "💬 Write your question here: {studio} will read it and answer you in this chat."
            )
            await lena.prospect.expect(asked.split("{")[0])
            await lena.prospect.send("Do you have a sauna?")
            topic = await tg.next_message(STAFF)  # the thread's topic, then the copy
            while "Do you have a sauna?" not in (topic.text or ""):
                topic = await tg.next_message(STAFF)
        else:
            await lena.prospect.expect("+49 30 1234567")
        _at(clock, clock() + 3 * DAY)
        await _nothing_more(tg, 9601)


async def test_missed_one_offer_of_another_time(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    end = slot.end.timestamp()
    env = _env(
        tg, pg, database_url, tmp_path, TRIAL_REMINDERS="off", PERFECTGYM_WEBHOOK_KEY=WEBHOOK_KEY
    )
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 9701, "de")
        await lena.book(slot)
        _at(clock, end + 2 * HOUR - 60)  # 21:29: not yet
        await _nothing_more(tg, 9701)
        morning = slot.end.astimezone(BERLIN).replace(hour=9, minute=0)
        _at(clock, (morning + datetime.timedelta(days=1)).timestamp() + 1)  # after the night
        missed = await lena.prospect.expect("Yoga Flow", "vermisst")
        assert _labels(missed)
        _at(clock, clock() + 3 * DAY)
        await _nothing_more(tg, 9701)


async def test_without_webhooks_a_session_is_never_called_missed(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    env = _env(tg, pg, database_url, tmp_path, TRIAL_REMINDERS="off")
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 9751, "en-GB")
        await lena.book(slot)
        _at(clock, slot.end.timestamp() + DAY)
        await _nothing_more(tg, 9751)


# --- the prospect's word -----------------------------------------------------------------------


async def test_cant_make_it_offers_other_times_and_asks_staff_to_cancel(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    start = slot.start.timestamp()
    async with running_bot(_env(tg, pg, database_url, tmp_path), clock=clock):
        lena = Talk(tg, 9801, "en-GB")
        await lena.book(slot)
        tg.drain(STAFF)
        _at(clock, start - DAY + 1)
        reminder = await lena.prospect.expect("A reminder of your trial session")
        await lena.prospect.press(reminder, "Can't make it")
        days = await lena.prospect.expect("asked to cancel", "which day")
        assert _labels(days)
        staff = await tg.next_message(STAFF)
        assert "can't make it" in (staff.text or "")
        assert str(_booking_id(pg, slot)) in (staff.text or "")
        _at(clock, start - 2 * HOUR + 1)
        await _nothing_more(tg, 9801)


@pytest.mark.parametrize("command", ["/cancel", "/forget"])
async def test_cancel_and_forget_stop_them(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    tmp_path: Path,
    command: str,
) -> None:
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    env = _env(tg, pg, database_url, tmp_path, PERFECTGYM_WEBHOOK_KEY=WEBHOOK_KEY)
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 9901, "en-GB")
        await lena.book(slot)
        await lena.prospect.answer(command, "deleted")
        for moment in (slot.start.timestamp() - DAY, slot.start.timestamp() - 2 * HOUR):
            _at(clock, moment + 1)
            await _nothing_more(tg, 9901)
        _at(clock, slot.end.timestamp() + DAY)  # nor a follow-up
        await _nothing_more(tg, 9901)


async def test_a_block_stops_them(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    env = _env(tg, pg, database_url, tmp_path, PERFECTGYM_WEBHOOK_KEY=WEBHOOK_KEY)
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 9951, "en-GB")
        await lena.book(slot)
        tg.blocked.add(9951)
        _at(clock, slot.start.timestamp() - DAY + 1)
        await asyncio.sleep(QUIET_WAIT)
        refused = tg.refused_blocked.count(9951)
        assert refused > 0  # the first reminder met the block
        _at(clock, slot.start.timestamp() - 2 * HOUR + 1)
        await asyncio.sleep(QUIET_WAIT)
        _at(clock, slot.end.timestamp() + DAY)
        await asyncio.sleep(QUIET_WAIT)
        assert tg.refused_blocked.count(9951) == refused  # nothing tried after it


async def test_a_silenced_customer_hears_nothing_more(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url: str,
    tmp_path: Path,
    followups: list[Followups],
) -> None:
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    env = _env(tg, pg, database_url, tmp_path, PERFECTGYM_WEBHOOK_KEY=WEBHOOK_KEY)
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 9961, "en-GB")
        await lena.book(slot)
        customer = pg.trials.bookings[_booking_id(pg, slot)].customer_id
        await followups[0].silenced(None, customer)
        _at(clock, slot.start.timestamp() - DAY + 1)
        await _nothing_more(tg, 9961)
        _at(clock, slot.end.timestamp() + DAY)
        await _nothing_more(tg, 9961)


# --- once ----------------------------------------------------------------------------------------


async def test_a_restart_between_claim_and_send_sends_it_once(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    """An instance claimed the 24-hour reminder and died before sending it: once its hold runs
    out, it is sent, once."""
    clock = Clock()
    slot = _evening_yoga(pg, 2 * DAY)
    due = slot.start.timestamp() - DAY
    env = _env(tg, pg, database_url, tmp_path)
    async with running_bot(env, clock=clock):
        lena = Talk(tg, 9971, "en-GB")
        await lena.book(slot)
    storage = await open_storage(database_url)
    try:
        [claimed] = await storage.claim_trial_reminders(due + 1, due + 301, 10)
        assert claimed.kind == "24h"
    finally:
        await storage.close()
    _at(clock, due + 2)
    async with running_bot(env, clock=clock):
        await _nothing_more(tg, 9971)  # still held by the instance that died
        _at(clock, due + 302)
        await lena.prospect.expect("A reminder of your trial session")
        await _nothing_more(tg, 9971)
    storage = await open_storage(database_url)
    try:
        assert await storage.claim_trial_reminders(due + 400, due + 700, 10) == []
    finally:
        await storage.close()


async def test_two_instances_on_postgresql_send_each_reminder_once(
    tg: FakeTelegram, pg: FakePerfectGym, tmp_path: Path
) -> None:
    clock = Clock()
    slots = [_evening_yoga(pg, 2 * DAY)]
    async with fresh_database_url("postgres", tmp_path) as url:
        env = _env(tg, pg, url, tmp_path)
        async with running_bot(env, clock=clock):
            people = [Talk(tg, 9981 + n, "en-GB") for n in range(3)]
            for person in people:
                await person.book(slots[0])
        start = slots[0].start.timestamp()
        async with running_bot(env, clock=clock), running_bot(env, clock=clock):
            _at(clock, start - DAY + 1)
            for person in people:
                await person.prospect.expect("A reminder of your trial session")
            await asyncio.sleep(QUIET_WAIT)
            for person in people:
                sent = [
                    m
                    for m in tg.drain(person.prospect.chat_id)
                    if m.method == "sendMessage" and "reminder" in (m.text or "")
                ]
                assert sent == []


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "offsets"),
    [
        ("24h,2h", (DAY, 2 * HOUR)),
        ("2h, 24h,30m", (DAY, 2 * HOUR, 1800.0)),
        ("1d,24h", (DAY,)),
        ("off", ()),
        ("OFF", ()),
    ],
)
def test_trial_reminders_setting(value: str, offsets: tuple[float, ...]) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "PERFECTGYM_API_URL": "https://pg.example"}
    env |= {"PERFECTGYM_API_KEY": "k", "TRIAL_REMINDERS": value}
    assert load_settings(env).trial_reminder_offsets == offsets


@pytest.mark.parametrize("value", ["24", "2x", "0h", "15d", "24h,,2h", "soon"])
def test_a_bad_trial_reminders_setting_is_one_line(value: str) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "PERFECTGYM_API_URL": "https://pg.example"}
    env |= {"PERFECTGYM_API_KEY": "k", "TRIAL_REMINDERS": value}
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert str(info.value).startswith("TRIAL_REMINDERS must be times before the session")
    assert "\n" not in str(info.value)


def test_what_to_bring_and_the_offer_link_come_from_the_studio_texts() -> None:
    texts = StudioTexts.parse(json.dumps(TEXTS))
    assert texts.what_to_bring_for("de_AT") == "ein Handtuch und Hallenschuhe"
    assert texts.what_to_bring_for("pl") is None
    assert texts.offer_url_for("pl") == "https://studio.example/offer"  # English, then none
    assert StudioTexts().offer_url_for("de") is None
    with pytest.raises(StudioTextsError, match=r"what_to_bring\.de: unknown placeholder"):
        StudioTexts.parse('{"what_to_bring": {"de": "{studio}s Handtuch"}}')


# --- the rows ------------------------------------------------------------------------------------


async def test_each_kind_once_per_booking_and_none_after_cancel(
    database_url_all_backends: str,
) -> None:
    """A booking planned again (moved) keeps what was sent; a booking changed to another one
    gets its own; /cancel takes them all, and nothing is planned for it afterwards."""
    now = 1_800_000_000.0
    storage = await open_storage(database_url_all_backends)
    try:
        assert await storage.submit(5, "{}", None, "{}", "en", now) is not None
        assert await storage.open_booking(5, "{}", now)
        kinds = ("24h", "2h", FOLLOWUP)
        plan = [Planned(kind, now + 10 * (n + 1)) for n, kind in enumerate(kinds)]
        assert await storage.plan_reminders(5, None, 77, 700, now + 100, plan)
        [first] = await storage.claim_trial_reminders(now + 10, now + 300, 10)
        assert first.kind == "24h"
        await storage.finish_trial_reminder(first.id, ReminderStatus.SENT)
        moved = [Planned(p.kind, p.due_at + 100) for p in plan]
        assert await storage.plan_reminders(5, None, 77, 700, now + 200, moved)
        due = await storage.claim_trial_reminders(now + 1000, now + 1300, 10)
        assert [(r.kind, r.starts_at) for r in due] == [("2h", now + 200), (FOLLOWUP, now + 200)]
        for reminder in due:
            await storage.finish_trial_reminder(reminder.id, ReminderStatus.SENT)
        assert await storage.plan_reminders(5, "north", 78, 700, now + 2000, plan)
        assert len(await storage.claim_trial_reminders(now + 1000, now + 1300, 10)) == 3
        await storage.delete_booking(5)
        assert not await storage.plan_reminders(5, None, 79, 700, now + 3000, plan)
        assert await storage.claim_trial_reminders(now + 9000, now + 9300, 10) == []
    finally:
        await storage.close()
