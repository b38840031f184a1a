"""Everything after the lead belongs to the prospect's club, end to end through the real
Application: two fake tenants, Studio Sol Camden (London, the chain's first club) and Studio Sol
Mitte (Berlin), each with its own staff chat beside the chain's. A Mitte prospect's trial is
booked at Mitte's tenant and shown in Berlin's time, a reminder comes in their club's name by
their club's night and day, and their /forget reaches Mitte's staff and the chain's."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time

from bot.funnel.counts import Stage, Step, known_counts
from bot.storage import open_storage
from conversations.booking import BookingState, day_label
from conversations.i18n import Translator
from tests.chain_fixtures import (
    CAMDEN_CHAT,
    CHAIN_CHAT,
    MITTE_CHAT,
    ChainOfFakes,
    fake_chain,
)
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.harness import Clock, Prospect, running_bot
from tests.test_trial_booking import _labels, _yoga

HOUR = 3600.0
LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")
# The prospect's Telegram language, the catalog it reads, and how it writes dates and times.
LANGUAGES = [("en-GB", "en", "en_GB"), ("de", "de", "de_DE")]


@pytest.fixture
async def chain(
    tg: FakeTelegram,
    database_url: str,
    tmp_path: Path,
    noon: Clock,
    request: pytest.FixtureRequest,
) -> AsyncIterator[ChainOfFakes]:
    """Camden first, then Mitte; ``env`` from an indirect parametrization adds to the bot's.
    The trial studios go by ``noon``'s clock, which a test that books passes to the bot."""
    env: dict[str, str] = getattr(request, "param", {})
    async with fake_chain(
        tg,
        database_url,
        tmp_path,
        studios=("camden", "mitte"),
        staff_chats={"camden": CAMDEN_CHAT, "mitte": MITTE_CHAT},
        env={"OUTBOX_RETRY_BASE_SECONDS": "0.2", **env},
        clock=noon.moment,
    ) as built:
        yield built


async def _half_way(tg: FakeTelegram, chat_id: int, language: str, studio: str) -> Prospect:
    """A prospect who came by the club's link and stopped after their first name."""
    prospect = Prospect(tg, chat_id=chat_id, language_code=language, first_name="Ida")
    await prospect.send(f"/start {studio}")
    await prospect.expect("1/3")
    await prospect.answer("Ida", "2/3")
    return prospect


async def _created(
    tg: FakeTelegram, chat_id: int, language: str, studio: str, tr: Translator
) -> Prospect:
    """A prospect whose lead the club's PerfectGym created."""
    prospect = await _half_way(tg, chat_id, language, studio)
    await prospect.answer("Ionescu", "3/3")
    summary = await prospect.answer(
        f"ida{chat_id}@example.com", tr.gettext("Please check your details:")
    )
    await prospect.press(summary, tr.gettext("✅ Yes, send it"))
    thanks = tr.gettext(
        "Thank you, {name}! 🎉 {studio} has your details and will contact you soon."
    ).format(name="Ida", studio=f"Studio Sol {studio.capitalize()}")
    await prospect.expect_eventually(thanks, skip=2)
    return prospect


async def _counted(database_url: str, studio: str | None) -> set[Step]:
    """The steps counted for ``studio`` around now (the clock may have been moved a day)."""
    storage = await open_storage(database_url)
    try:
        today = datetime.date.today()
        counts = await storage.funnel_counts(
            today - datetime.timedelta(days=2),
            today + datetime.timedelta(days=3),
            studios=(studio,),
        )
    finally:
        await storage.close()
    return {c.step for c in known_counts(counts)}


# --- trial booking -------------------------------------------------------------------------------


@pytest.mark.parametrize("chain", [{"TRIAL_BOOKING": "on", "SWEEP_SECONDS": "0.1"}], indirect=True)
@pytest.mark.parametrize(("language", "catalog", "written"), LANGUAGES)
async def test_a_trial_is_booked_at_the_prospects_club_in_its_time_zone(
    tg: FakeTelegram,
    chain: ChainOfFakes,
    database_url: str,
    noon: Clock,
    language: str,
    catalog: str,
    written: str,
) -> None:
    tr = Translator(catalog)
    camden, mitte = chain.tenants["camden"], chain.tenants["mitte"]
    async with running_bot(chain.env, clock=noon):
        ida = await _created(tg, 61001, language, "mitte", tr)
        invitation = await ida.expect(
            tr.gettext("Would you like to book a free trial session right away?")
        )
        offers = await ida.choose(
            invitation,
            tr.gettext("📅 Book a trial session"),
            tr.gettext("Which trial session would you like?"),
        )
        yoga = next(label for label in _labels(offers) if label.startswith("Yoga Flow"))
        days = await ida.choose(offers, yoga, "Yoga Flow")
        first = _yoga(mitte)[0]
        start = first.start.astimezone(BERLIN)
        day = day_label(start.date(), written)
        times = await ida.choose(days, day, tr.gettext("Which time on {day}?").format(day=day))
        berlin = format_time(start, "short", locale=written)
        london = format_time(start.astimezone(LONDON), "short", locale=written)
        assert berlin != london
        labels = _labels(times)
        assert any(label.startswith(berlin) for label in labels), labels
        assert not any(label.startswith(london) for label in labels), labels
        await ida.press(times, next(label for label in labels if label.startswith(berlin)))
        await ida.expect("Yoga Flow")  # "one moment, I'm booking…"
        when = tr.gettext("{day} at {time}").format(day=day, time=berlin)
        await ida.expect(
            tr.gettext("✅ Booked: {session} on {when}.").format(session="Yoga Flow", when=when)
        )
    assert [b.class_slot_id for b in mitte.trials.bookings.values()] == [first.id]
    assert camden.trials.bookings == {}
    assert (camden.calls["class_slots"], camden.calls["class_book"]) == (0, 0)
    assert Step(Stage.BOOKED) in await _counted(database_url, "mitte")
    assert Step(Stage.BOOKED) not in await _counted(database_url, "camden")


@pytest.mark.parametrize("chain", [{"TRIAL_BOOKING": "on", "SWEEP_SECONDS": "0.1"}], indirect=True)
async def test_a_club_whose_key_lacks_the_trial_scopes_has_booking_off_the_other_keeps_it(
    tg: FakeTelegram, chain: ChainOfFakes, noon: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    chain.tenants["camden"].lack_trial_scopes()
    caplog.set_level(logging.WARNING, logger="bot.trials.booking")
    tr = Translator("en")
    async with running_bot(chain.env, clock=noon):
        pat = await _created(tg, 61101, "en-GB", "camden", tr)
        await pat.answer("/help", "/start")  # the next thing said: no invitation came before
        ida = await _created(tg, 61102, "en-GB", "mitte", tr)
        await ida.expect("book a free trial session")
    [line] = [r.getMessage() for r in caplog.records if "TRIAL_OFFER_READ" in r.getMessage()]
    assert line.startswith("studio camden:")
    assert [len(fake.created) for fake in chain.tenants.values()] == [1, 1]


# --- reminders -----------------------------------------------------------------------------------


async def _nothing_more(tg: FakeTelegram, *chat_ids: int) -> None:
    """No new message to any of ``chat_ids`` for about ten sweeps."""
    await asyncio.sleep(0.6)
    for chat_id in chat_ids:
        assert [m.text for m in tg.drain(chat_id) if m.method == "sendMessage"] == []


def _reminder(tr: Translator, studio: str) -> str:
    return tr.gettext(
        "Hello again from {studio}! You stopped half way, and your answers so far are saved. "
        "Shall we continue where you left off?"
    ).format(studio=studio)


@pytest.mark.parametrize(
    "chain", [{"REMINDER_AFTER_HOURS": "20", "SWEEP_SECONDS": "0.05"}], indirect=True
)
async def test_a_reminder_names_the_club_and_waits_for_its_morning(
    tg: FakeTelegram, chain: ChainOfFakes, database_url: str
) -> None:
    """Both stop at 13:00 Berlin (12:00 London), so both are due at 09:00 Berlin, 08:00 London:
    Mitte's prospect hears at once in German, Camden's once it is nine in London."""
    clock = Clock()
    clock.to_berlin(13)
    english, german = Translator("en"), Translator("de")
    async with running_bot(chain.env, clock=clock):
        pat = await _half_way(tg, 62001, "en-GB", "camden")
        ida = await _half_way(tg, 62002, "de", "mitte")
        clock.forward(20.5 * HOUR)  # 09:30 in Berlin, 08:30 in London
        reminder = await ida.expect(_reminder(german, "Studio Sol Mitte"))
        await _nothing_more(tg, pat.chat_id)
        clock.forward(35 * 60)  # 09:05 in London
        await pat.expect(_reminder(english, "Studio Sol Camden"))
        await ida.press(reminder, german.gettext("▶️ Continue"))
        await ida.expect("2/3")  # where she stopped
    assert Step(Stage.REMINDED) in await _counted(database_url, "mitte")
    assert Step(Stage.REMINDED) in await _counted(database_url, "camden")


# --- erasure -------------------------------------------------------------------------------------


def _erasure(message: SentMessage) -> bool:
    return any(label.startswith("✅") for label, _ in message.buttons())


@pytest.mark.parametrize(
    ("chain", "language", "catalog"),
    [({"DEFAULT_LOCALE": "en"}, "en-GB", "en"), ({"DEFAULT_LOCALE": "de"}, "de", "de")],
    indirect=["chain"],
)
async def test_forget_reaches_the_clubs_staff_and_the_chains(
    tg: FakeTelegram, chain: ChainOfFakes, language: str, catalog: str
) -> None:
    """The lead is created (its conversation then erased): the lead's club is Mitte's."""
    tr = Translator(catalog)
    async with running_bot(chain.env):
        ida = await _created(tg, 63001, language, "mitte", tr)
        await ida.answer(
            "/forget",
            tr.gettext("Done: everything this bot stored about this chat has been deleted."),
        )
    [customer] = [lead["leadCustomer"]["email"] for lead in chain.tenants["mitte"].created]
    assert customer == "ida63001@example.com"
    text = "🏠 Studio Sol Mitte · " + tr.gettext(
        "Erasure requested: a prospect asked the bot to delete their data. Please delete "
        "it in PerfectGym too (customer number {customer}, trial booking {booking})."
    ).format(customer="1-1", booking="-")
    for staff in (MITTE_CHAT, CHAIN_CHAT):
        [notice] = [m for m in tg.messages_to(staff) if _erasure(m)]
        assert notice.text == text
        assert [label for label, _ in notice.buttons()] == [tr.gettext("✅ Erased in PerfectGym")]
    assert [m for m in tg.messages_to(CAMDEN_CHAT) if _erasure(m)] == []


async def test_forget_after_a_restart_names_the_lead_clubs_email(
    tg: FakeTelegram, chain: ChainOfFakes
) -> None:
    """Once the lead is created its conversation is gone (a restart forgets the copy in
    memory too): the reply still names the lead's club's e-mail, Mitte's, not the chain's
    first club's, Camden's."""
    tr = Translator("en")
    for studio in ("camden", "mitte"):
        tenant = chain.tenants[studio]
        tenant.studio = {**(tenant.studio or {}), "email": f"{studio}@sol.example"}
    async with running_bot(chain.env):
        await _created(tg, 63002, "en-GB", "mitte", tr)
    async with running_bot(chain.env):
        ida = Prospect(tg, chat_id=63002, language_code="en-GB", first_name="Ida")
        reply = await ida.answer("/forget", "has been deleted")
    assert "write to mitte@sol.example." in (reply.text or "")
    assert "camden@sol.example" not in (reply.text or "")
    assert "Studio Sol Mitte keeps any details" in (reply.text or "")
    assert len(chain.tenants["mitte"].created) == 1
    assert chain.tenants["camden"].created == []
    [notice] = [m for m in tg.messages_to(MITTE_CHAT) if _erasure(m)]
    assert "customer number 1-1" in (notice.text or "")
    assert [m for m in tg.messages_to(CAMDEN_CHAT) if _erasure(m)] == []


# --- the stored booking --------------------------------------------------------------------------


def test_a_booking_state_names_its_club_and_the_single_studios_reads_as_before() -> None:
    single = BookingState(1, "en", None, None, 5001)
    assert "studio" not in single.to_json()  # the release before chains reads it
    assert BookingState.from_json(single.to_json()) == single
    mitte = BookingState(1, "en", None, None, 5001, studio="mitte")
    assert BookingState.from_json(mitte.to_json()).studio == "mitte"
