"""Trial reminders and follow-ups in a chain, end to end through the real Application: Studio Sol
Camden (London) and Studio Sol Mitte (Berlin), each with its staff chat, and only Mitte with a
PerfectGym webhook key (``perfectgym_webhook_key_env``). A Mitte booking's reminder shows Mitte
on the map and its time in Berlin's; a missed session is followed up only at Mitte, the club
whose check-ins the bot would hear of."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time

from bot.followup import schedule
from bot.standin.trials import ClassSlotState
from conversations.booking import day_label
from conversations.i18n import Translator
from tests.chain_fixtures import CAMDEN_CHAT, MITTE_CHAT, ChainOfFakes, fake_chain
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.harness import Clock, Prospect, running_bot
from tests.test_chain_after_lead import _created
from tests.test_trial_booking import _labels, _yoga

HOUR = 3600.0
DAY = 24 * HOUR
LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")
MITTE_HOOK = "hook-mitte-0123456789"


@pytest.fixture
async def chain(
    tg: FakeTelegram, database_url: str, tmp_path: Path, noon: Clock
) -> AsyncIterator[ChainOfFakes]:
    async with fake_chain(
        tg,
        database_url,
        tmp_path,
        studios=("camden", "mitte"),
        staff_chats={"camden": CAMDEN_CHAT, "mitte": MITTE_CHAT},
        env={"TRIAL_BOOKING": "on", "SWEEP_SECONDS": "0.05", "REMINDER_AFTER_HOURS": "0"},
        clock=noon.moment,
        webhook_keys={"mitte": MITTE_HOOK},
    ) as built:
        yield built


async def _book(
    prospect: Prospect, tenant: FakePerfectGym, zone: ZoneInfo, tr: Translator, written: str
) -> ClassSlotState:
    """The club's next Yoga Flow booked from the invitation after the lead; that slot."""
    invitation = await prospect.expect(
        tr.gettext("Would you like to book a free trial session right away?")
    )
    offers = await prospect.choose(invitation, tr.gettext("📅 Book a trial session"))
    yoga = next(label for label in _labels(offers) if label.startswith("Yoga Flow"))
    days = await prospect.choose(offers, yoga, "Yoga Flow")
    slot = _yoga(tenant)[0]
    start = slot.start.astimezone(zone)
    times = await prospect.choose(days, day_label(start.date(), written))
    await prospect.press(times, format_time(start, "short", locale=written))
    await prospect.expect("Yoga Flow")  # "one moment, I'm booking…"
    await prospect.expect(tr.gettext("✅ Booked: {session} on {when}.").split("{")[0])
    return slot


def _at(clock: Clock, moment: float) -> None:
    clock.offset += moment - clock()


def _missed(tr: Translator) -> str:
    note = tr.gettext(
        "We missed you at your trial session ({session}). No problem, that happens: would you "
        "like to choose another time?"
    )
    return note.format(session="Yoga Flow")


async def test_a_missed_visit_is_followed_up_only_at_the_club_with_a_webhook_key(
    tg: FakeTelegram, chain: ChainOfFakes, noon: Clock
) -> None:
    german, english = Translator("de"), Translator("en")
    async with running_bot(chain.env, clock=noon):
        ida = await _created(tg, 64001, "de", "mitte", german)
        mitte = await _book(ida, chain.tenants["mitte"], BERLIN, german, "de_DE")
        pat = await _created(tg, 64002, "en-GB", "camden", english)
        camden = await _book(pat, chain.tenants["camden"], LONDON, english, "en_GB")
        booked_at = noon()

        # Mitte's first reminder: the club on the map, then the text in Berlin's time.
        start = mitte.start.timestamp()
        [first, *_] = schedule.reminders(start, (DAY, 2 * HOUR), BERLIN, booked_at)
        _at(noon, first.due_at + 1)
        venue = await ida.next()
        assert venue.method == "sendVenue"
        assert venue.text == "Studio Sol Mitte\n10115 Berlin"
        reminder: SentMessage = await ida.expect(
            "Yoga Flow", format_time(mitte.start.astimezone(BERLIN), "short", locale="de_DE")
        )
        assert "Erinnerung" in (reminder.text or "")
        london = format_time(mitte.start.astimezone(LONDON), "short", locale="de_DE")
        assert london not in (reminder.text or "")
        assert _labels(reminder) == [
            german.gettext("👍 I'll be there"),
            german.gettext("Can't make it"),
        ]

        # Well after both sessions: Mitte's prospect is offered another time, Camden's is not.
        ends = max(mitte.end.timestamp(), camden.end.timestamp())
        _at(noon, ends + DAY)
        await ida.expect_eventually(_missed(german))
        await asyncio.sleep(0.6)  # about ten sweeps
        told = [m.text or "" for m in tg.messages_to(pat.chat_id)]
        assert not any(_missed(english) in text for text in told), told
        assert not any("We missed you" in text for text in told), told
