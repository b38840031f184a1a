"""The storage behind PerfectGym's events (issue 26), on SQLite and PostgreSQL: the bot's
customers remembered with their lead, their trial booking noted, each step marked and counted
once, events stored once per delivery and claimed by one holder at a time."""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator
from typing import cast

import pytest

from bot.storage import LeadStatus, Storage, open_storage
from bot.storage.lead_customers import Counted, CustomerMark, LeadCustomer
from bot.storage.outbox import CreatedCustomer
from bot.storage.perfectgym_events import EventStatus, NewEvent
from bot.storage.sql import SqlStorage
from bot.storage.trial_bookings import BookedTrial
from conversations.booking import BookingState

NOW = 1_800_000_000.0
DAY = datetime.date(2027, 1, 15)


@pytest.fixture
async def storage(database_url_all_backends: str) -> AsyncIterator[Storage]:
    opened = await open_storage(database_url_all_backends)
    try:
        yield opened
    finally:
        await opened.close()


async def silenced(storage: Storage, chat_id: int) -> bool:
    """Whether the chat's customer is marked as deleted or disabled in PerfectGym, read from
    the table: the product asks by customer (``mark_customer``), never by chat."""
    found = await cast(SqlStorage, storage)._db.fetchval(
        "SELECT 1 FROM lead_customers WHERE chat_id = $1 AND silenced_at IS NOT NULL LIMIT 1",
        chat_id,
    )
    return found is not None


async def created(
    storage: Storage, chat_id: int, customer_id: int, campaign: str | None, studio: str | None
) -> None:
    entry = await storage.submit(chat_id, "{}", None, "{}", "en", NOW, studio=studio)
    assert entry is not None
    await storage.remember_customer(entry.id, CreatedCustomer(customer_id, campaign, NOW))
    await storage.finish_lead(entry.id, LeadStatus.CREATED, "1-1", None)


async def test_a_created_leads_customer_is_known_in_its_studio_only(storage: Storage) -> None:
    await created(storage, 1, 5001, "spring", "camden")
    await created(storage, 2, 5001, None, None)
    assert await storage.lead_customer("camden", 5001) == LeadCustomer("camden", 5001, 1, "spring")
    assert await storage.lead_customer(None, 5001) == LeadCustomer(None, 5001, 2, None)
    assert await storage.lead_customer("mitte", 5001) is None
    assert await storage.lead_customer("camden", 5002) is None


async def test_a_step_is_marked_and_counted_once(storage: Storage) -> None:
    await created(storage, 1, 5001, "spring", "camden")
    counted = Counted("attended", DAY)
    first = await storage.mark_customer(
        "camden", 5001, CustomerMark.ATTENDED, NOW + 1, counted=counted
    )
    again = await storage.mark_customer(
        "camden", 5001, CustomerMark.ATTENDED, NOW + 2, counted=counted
    )
    stranger = await storage.mark_customer(
        "camden", 9999, CustomerMark.ATTENDED, NOW + 3, counted=counted
    )
    assert first is not None
    assert first.chat_id == 1
    assert again is None
    assert stranger is None
    counts = await storage.funnel_counts(DAY, DAY)
    assert [(c.studio, c.campaign, c.stage, c.count) for c in counts] == [
        ("camden", "spring", "attended", 1)
    ]
    assert not await silenced(storage, 1)
    assert await storage.mark_customer("camden", 5001, CustomerMark.SILENCED, NOW + 4)
    assert await silenced(storage, 1)


async def test_the_trial_booking_the_bot_made_is_found_by_booking_and_by_class_slot(
    storage: Storage,
) -> None:
    await created(storage, 1, 5001, "spring", None)
    assert await storage.open_booking(1, "{}", NOW)
    booked = BookedTrial(5001, 777, class_slot_id=42)
    assert await storage.save_booking(1, "{}", due_at=None, held_until=None, now=NOW, booked=booked)
    [customer] = await storage.booked_customers(None, booking_id=777)
    assert (customer.chat_id, customer.booking_id) == (1, 777)
    assert await storage.booked_customers(None, class_slot_id=42) == [customer]
    assert await storage.booked_customers(None, booking_id=778) == []
    assert await storage.booked_customers("camden", booking_id=777) == []


async def test_a_delivery_is_stored_once_and_claimed_by_one_holder(storage: Storage) -> None:
    event = NewEvent(None, "u-1", 0, "CUSTOMER_CHECKIN", 5001, "{}", 1, NOW - 5)
    assert await storage.store_event(event, NOW)
    assert not await storage.store_event(event, NOW + 1)  # PerfectGym sent it again
    assert await storage.store_event(NewEvent("camden", "u-1", 0, "X", 1, "{}", None, NOW), NOW)
    first = await storage.claim_events(NOW + 1, 10, NOW + 61)
    assert [(e.studio, e.uuid) for e in first] == [(None, "u-1"), ("camden", "u-1")]
    assert await storage.claim_events(NOW + 2, 10, NOW + 62) == []  # held
    [retried, done] = first
    await storage.retry_event(retried, 1, NOW + 30)
    await storage.finish_event(done, EventStatus.DONE)
    assert await storage.claim_events(NOW + 29, 10, NOW + 89) == []  # not due yet
    [again] = await storage.claim_events(NOW + 30, 10, NOW + 90)
    assert (again.uuid, again.attempts) == ("u-1", 1)
    # A holder that died: its lease runs out and another takes the event over.
    [taken] = await storage.claim_events(NOW + 91, 10, NOW + 151)
    assert taken.uuid == "u-1"


def test_a_single_studios_booking_state_is_written_as_before_chains() -> None:
    state = BookingState(1, "en_GB", "en", "spring", 5001)
    assert "studio" not in json.loads(state.to_json())
    assert BookingState.from_json(state.to_json()) == state
    chained = BookingState(1, "en_GB", "en", "spring", 5001, studio="camden")
    assert json.loads(chained.to_json())["studio"] == "camden"
    assert BookingState.from_json(chained.to_json()) == chained
