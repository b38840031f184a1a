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
from bot.storage.chat_messages import ChatMessages
from bot.storage.lead_customers import Counted, CustomerMark, LeadCustomer
from bot.storage.outbox import EXPIRE_SETTLED_LEADS, CreatedCustomer
from bot.storage.perfectgym_events import EventStatus, NewEvent
from bot.storage.replies import ReplyKind
from bot.storage.sql import SqlStorage
from bot.storage.threads import Opening
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
    await storage.remember_customer(entry.id, CreatedCustomer(customer_id, campaign, NOW, "1-1"))
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


# --- what /forget finds, and what is written for a chat after it ---------------------------------


async def test_forget_finds_the_customer_and_booking_after_the_outbox_entry_expired(
    storage: Storage,
) -> None:
    """Outbox entries go RETENTION_DAYS after their last attempt, the customer they created
    and its booking may stay longer: /forget still keeps them for the studio's staff."""
    await created(storage, 1, 5001, "spring", "camden")
    assert await storage.open_booking(1, "{}", NOW)
    booked = BookedTrial(5001, 777)
    assert await storage.save_booking(1, "{}", due_at=None, held_until=None, now=NOW, booked=booked)
    assert await cast(SqlStorage, storage)._db.fetch(EXPIRE_SETTLED_LEADS, NOW + 1)
    assert await storage.latest_lead(1) is None
    erased = await storage.forget_chat(1, NOW + 2)
    assert erased.forgotten.customer_number == "1-1"  # PerfectGym's number, never its id
    assert erased.forgotten.booking_id == 777
    assert erased.forgotten.manual_entry_at is None
    assert erased.studio == "camden"
    assert await storage.lead_customer("camden", 5001) is None


async def test_forget_prefers_the_created_leads_customer_number(storage: Storage) -> None:
    await created(storage, 1, 5001, None, None)
    erased = await storage.forget_chat(1, NOW + 2)
    assert (erased.forgotten.customer_number, erased.forgotten.booking_id) == ("1-1", None)
    assert erased.studio is None


async def test_an_event_recognised_before_forget_is_stored_without_the_chat(
    storage: Storage,
) -> None:
    """The receiver found the customer, then /forget erased the chat before the event was
    stored: the event is kept without the chat id, which nothing erases any more."""
    await created(storage, 1, 5001, None, None)
    await created(storage, 2, 5002, None, None)
    await storage.forget_chat(1, NOW)
    for chat, customer in ((1, 5001), (2, 5002)):
        event = NewEvent(None, f"u-{chat}", 0, "CUSTOMER_CHECKIN", customer, "{}", chat, NOW)
        assert await storage.store_event(event, NOW)
    stored = await storage.claim_events(NOW + 1, 10, NOW + 60)
    assert sorted((e.entity_id, e.chat_id) for e in stored) == [(5001, None), (5002, 2)]


async def test_a_forgotten_chat_that_opened_a_front_desk_thread_exists_again(
    storage: Storage,
) -> None:
    """A chat forgotten, then back with a question for staff and no conversation: its thread
    makes it a chat the bot has again, so its message ids and kept replies are written."""
    for chat in (1, 2):
        await storage.forget_chat(chat, NOW)
    opening = Opening(None, -100777, None, "Pat", "en")
    change = await storage.record_thread(1, NOW + 1, opening=opening)
    assert change.thread is not None
    for chat in (1, 2):
        await storage.save_messages(chat, ChatMessages(buttons=10 + chat), NOW + 2)
    assert await storage.load_messages(1) == ChatMessages(buttons=11)
    assert await storage.load_messages(2) == ChatMessages()


async def test_a_database_from_before_manual_entry_dates_is_upgraded(
    database_url_all_backends: str,
) -> None:
    """A forgotten_chats table of the release before (no ``manual_entry_at``) gets the column
    at start, and its records read as before."""
    old = await open_storage(database_url_all_backends)
    try:
        await old.forget_chat(1, NOW)
        await cast(SqlStorage, old)._db.execute(
            "ALTER TABLE forgotten_chats DROP COLUMN manual_entry_at"
        )
    finally:
        await old.close()
    upgraded = await open_storage(database_url_all_backends)
    try:
        kept = await upgraded.note_erasure(1, customer_number="1-1")
        assert kept is not None
        assert (kept.customer_number, kept.manual_entry_at) == ("1-1", None)
        erased = await upgraded.forget_chat(2, NOW)
        assert erased.forgotten.manual_entry_at is None
    finally:
        await upgraded.close()


async def test_a_thread_for_what_an_instance_remembers_is_not_opened_after_forget(
    storage: Storage,
) -> None:
    """An instance read the chat's conversation from its memory after another instance's
    /forget began (so ``since`` is later than the erasure): the thread opens only while the
    conversation or lead it was opened for is stored, and they are gone."""
    chat = 43101
    await storage.forget_chat(chat, now=1000.0)
    remembered = Opening(None, -100777, "spring", "Pat", "en", since=1001.0, begun=True)
    change = await storage.record_thread(chat, 1002.0, opening=remembered)
    assert (change.thread, change.created) == (None, False)
    assert await storage.thread(chat) is None
    # A question after the erasure from a chat with nothing stored is a new beginning.
    newcomer = Opening(None, -100777, "spring", "Pat", "en", since=1001.0)
    assert (await storage.record_thread(chat, 1003.0, opening=newcomer)).created


async def test_a_lead_posted_for_manual_entry_is_dated_by_its_last_attempt(
    storage: Storage,
) -> None:
    """Due long before PerfectGym answered (the bot was down): staff are told the day it was
    posted to them, when PerfectGym refused it, not the day it was due."""
    entry = await storage.submit(9, "{}", None, "{}", "en", NOW)
    assert entry is not None
    answered = NOW + 2 * 86400
    assert await storage.finish_lead(entry.id, LeadStatus.FAILED, None, "refused", at=answered)
    erased = await storage.forget_chat(9, answered + 60)
    assert erased.forgotten.manual_entry_at == answered


async def test_a_kept_staff_notice_about_a_prospect_is_erased_with_them(storage: Storage) -> None:
    """A staff notice with a prospect's details that Telegram did not take waits under the
    staff chat's id: /forget of the prospect deletes it; one about another prospect stays."""
    staff = -100777
    await storage.hold_reply(staff, ReplyKind.NOTICE, '[{"text": "Pat <p@x>"}]', NOW, about=11)
    await storage.hold_reply(staff, ReplyKind.NOTICE, '[{"text": "Sam <s@x>"}]', NOW, about=12)
    await storage.forget_chat(11, NOW + 1)
    kept = await storage.claim_replies(NOW + 2, NOW + 60, 10)
    assert [json.loads(reply.payload)[0]["text"] for reply in kept] == ["Sam <s@x>"]
