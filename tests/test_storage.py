"""The storage contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import asyncpg
import pytest

from bot.storage import LeadStatus, OutboxEntry, Storage, open_storage
from tests.databases import fresh_database_url

NOW = 1_700_000_000.25
BIG_CHAT_IDS = (-1001234567890123, 2**40, -(2**40), 2**53 + 1)
UNICODE = '{"name": "Zoë Ñúñez-Łukasiewicz 🏋️‍♀️💪🏽", "note": "日本語 · עברית · ﷽ · \U0001d518\U0001d52b\U0001d526 𐍈"}'


@pytest.fixture
async def storage(database_url_all_backends: str) -> AsyncIterator[Storage]:
    opened = await open_storage(database_url_all_backends)
    try:
        yield opened
    finally:
        await opened.close()


async def submit(storage: Storage, chat_id: int, now: float = NOW, tag: str = "") -> OutboxEntry:
    return await storage.submit(
        chat_id, f'{{"step": "done{tag}"}}', f'{{"lead": "{chat_id}{tag}"}}', "de_DE", now
    )


# --- conversations -------------------------------------------------------------------------------


async def test_conversation_save_load_overwrite_delete(storage: Storage) -> None:
    assert await storage.load_conversation(1) is None
    await storage.save_conversation(1, '{"step": "name"}')
    await storage.save_conversation(2, '{"step": "email"}')
    assert await storage.load_conversation(1) == '{"step": "name"}'

    await storage.save_conversation(1, '{"step": "phone"}')
    assert await storage.load_conversation(1) == '{"step": "phone"}'

    await storage.delete_conversation(1)
    assert await storage.load_conversation(1) is None
    assert await storage.load_conversation(2) == '{"step": "email"}'
    await storage.delete_conversation(1)  # deleting what is gone is not an error


# --- the outbox ----------------------------------------------------------------------------------


async def test_submit_stores_state_and_pending_entry(storage: Storage) -> None:
    await storage.save_conversation(7, '{"step": "review"}')
    entry = await storage.submit(7, '{"step": "submitted"}', '{"lead": 1}', "pl_PL", NOW)

    assert entry.chat_id == 7
    assert entry.payload == '{"lead": 1}'
    assert entry.locale == "pl_PL"
    assert entry.status is LeadStatus.PENDING
    assert entry.attempts == 0
    assert entry.next_attempt_at == NOW
    assert entry.created_at == NOW
    assert entry.create_sent is False
    assert entry.last_error is None
    assert entry.lead_ref is None
    assert await storage.load_conversation(7) == '{"step": "submitted"}'
    assert await storage.get_lead(entry.id) == entry
    assert await storage.latest_lead(7) == entry

    second = await submit(storage, 8)
    assert second.id != entry.id
    assert await storage.get_lead(second.id) == second


async def test_submit_is_atomic(storage: Storage) -> None:
    await storage.save_conversation(7, '{"step": "review"}')
    # NOT NULL on the locale fails the outbox insert, after the conversation was written.
    with pytest.raises((sqlite3.IntegrityError, asyncpg.NotNullViolationError)):
        await storage.submit(7, '{"step": "submitted"}', "{}", cast("str", None), NOW)

    assert await storage.load_conversation(7) == '{"step": "review"}'
    assert await storage.latest_lead(7) is None
    assert await storage.due_leads(NOW, 10) == []


async def test_get_lead_of_unknown_id(storage: Storage) -> None:
    assert await storage.get_lead(424242) is None


async def test_due_leads_order_limit_time_and_status(storage: Storage) -> None:
    late = await submit(storage, 1, now=NOW + 30)
    early = await submit(storage, 2, now=NOW + 10)
    exact = await submit(storage, 3, now=NOW + 60)
    future = await submit(storage, 4, now=NOW + 61)
    created = await submit(storage, 5, now=NOW)
    duplicate = await submit(storage, 6, now=NOW)
    failed = await submit(storage, 7, now=NOW)
    invalid = await submit(storage, 8, now=NOW)
    await storage.finish_lead(created.id, LeadStatus.CREATED, "C-1", None)
    await storage.finish_lead(duplicate.id, LeadStatus.DUPLICATE, None, None)
    await storage.finish_lead(failed.id, LeadStatus.FAILED, None, "rejected")
    await storage.reopen_conversation(invalid.id, '{"step": "review"}')

    due = await storage.due_leads(NOW + 60, 10)
    assert [e.id for e in due] == [early.id, late.id, exact.id]
    assert all(e.status is LeadStatus.PENDING for e in due)
    assert [e.id for e in await storage.due_leads(NOW + 60, 2)] == [early.id, late.id]
    assert await storage.due_leads(NOW + 9, 10) == []
    assert [e.id for e in await storage.due_leads(NOW + 100, 10)][-1] == future.id


async def test_record_attempt_reschedules(storage: Storage) -> None:
    entry = await submit(storage, 1)
    other = await submit(storage, 2)
    await storage.record_attempt(
        entry.id, attempts=1, next_attempt_at=NOW + 90.5, create_sent=True, last_error="HTTP 503"
    )

    stored = await storage.get_lead(entry.id)
    assert stored is not None
    assert (stored.attempts, stored.next_attempt_at) == (1, NOW + 90.5)
    assert (stored.create_sent, stored.last_error) == (True, "HTTP 503")
    assert stored.status is LeadStatus.PENDING
    assert stored.payload == entry.payload
    assert [e.id for e in await storage.due_leads(NOW + 90, 10)] == [other.id]
    assert [e.id for e in await storage.due_leads(NOW + 90.5, 10)] == [other.id, entry.id]

    await storage.record_attempt(
        entry.id, attempts=2, next_attempt_at=NOW + 200, create_sent=False, last_error=None
    )
    stored = await storage.get_lead(entry.id)
    assert stored is not None
    assert (stored.attempts, stored.create_sent, stored.last_error) == (2, False, None)
    assert await storage.get_lead(other.id) == other


@pytest.mark.parametrize("status", [LeadStatus.CREATED, LeadStatus.DUPLICATE])
async def test_finish_lead_erases_personal_data(storage: Storage, status: LeadStatus) -> None:
    entry = await submit(storage, 1)
    await submit(storage, 2)
    ref = "C-77" if status is LeadStatus.CREATED else None
    await storage.finish_lead(entry.id, status, ref, None)

    stored = await storage.get_lead(entry.id)
    assert stored is not None
    assert (stored.status, stored.lead_ref, stored.payload) == (status, ref, None)
    assert await storage.load_conversation(1) is None
    assert await storage.load_conversation(2) is not None
    assert await storage.due_leads(NOW, 10) != []
    assert all(e.chat_id == 2 for e in await storage.due_leads(NOW, 10))


async def test_finish_lead_failed_keeps_payload(storage: Storage) -> None:
    entry = await submit(storage, 1)
    await storage.finish_lead(entry.id, LeadStatus.FAILED, None, "HTTP 422: email invalid")

    stored = await storage.get_lead(entry.id)
    assert stored is not None
    assert stored.status is LeadStatus.FAILED
    assert stored.payload == entry.payload
    assert stored.last_error == "HTTP 422: email invalid"
    assert await storage.load_conversation(1) == '{"step": "done"}'
    assert await storage.due_leads(NOW, 10) == []


async def test_reopen_conversation(storage: Storage) -> None:
    entry = await submit(storage, 1)
    await storage.reopen_conversation(entry.id, '{"step": "review", "note": "fix it"}')

    stored = await storage.get_lead(entry.id)
    assert stored is not None
    assert (stored.status, stored.payload) == (LeadStatus.INVALID, None)
    assert await storage.load_conversation(1) == '{"step": "review", "note": "fix it"}'
    assert await storage.due_leads(NOW, 10) == []


async def test_reopen_unknown_entry_stores_nothing(storage: Storage) -> None:
    await storage.reopen_conversation(424242, '{"step": "review"}')
    assert await storage.get_lead(424242) is None
    assert await storage.latest_lead(424242) is None
    assert await storage.load_conversation(424242) is None


async def test_latest_lead(storage: Storage) -> None:
    assert await storage.latest_lead(1) is None
    first = await submit(storage, 1, now=NOW + 50)
    await submit(storage, 2, now=NOW + 100)
    assert await storage.latest_lead(1) == first
    await storage.reopen_conversation(first.id, "{}")
    second = await submit(storage, 1, now=NOW, tag="-again")  # newest by id, not by time
    assert await storage.latest_lead(1) == second


async def test_forget_chat_removes_only_that_chat(storage: Storage) -> None:
    gone = [await submit(storage, 1), await submit(storage, 1, tag="-2")]
    await storage.finish_lead(gone[0].id, LeadStatus.FAILED, None, "rejected")
    kept = await submit(storage, 2)
    await storage.save_conversation(3, '{"step": "name"}')

    await storage.forget_chat(1)

    assert await storage.load_conversation(1) is None
    assert await storage.latest_lead(1) is None
    assert [await storage.get_lead(e.id) for e in gone] == [None, None]
    assert await storage.get_lead(kept.id) == kept
    assert await storage.load_conversation(2) == '{"step": "done"}'
    assert await storage.load_conversation(3) == '{"step": "name"}'
    assert await storage.due_leads(NOW, 10) == [kept]
    await storage.forget_chat(1)  # forgetting twice is not an error


# --- config cache --------------------------------------------------------------------------------


async def test_config_cache_round_trip_and_overwrite(storage: Storage) -> None:
    assert await storage.load_config() is None
    await storage.save_config('{"clubs": [1]}', NOW)
    assert await storage.load_config() == ('{"clubs": [1]}', NOW)
    await storage.save_config('{"clubs": [1, 2]}', NOW + 3600.5)
    assert await storage.load_config() == ('{"clubs": [1, 2]}', NOW + 3600.5)


# --- values at the edges -------------------------------------------------------------------------


@pytest.mark.parametrize("chat_id", BIG_CHAT_IDS)
async def test_big_chat_ids(storage: Storage, chat_id: int) -> None:
    await storage.save_conversation(chat_id, '{"step": "name"}')
    assert await storage.load_conversation(chat_id) == '{"step": "name"}'
    assert await storage.load_conversation(chat_id % 2**31) is None  # no truncation to 32 bits

    entry = await submit(storage, chat_id)
    assert entry.chat_id == chat_id
    assert await storage.latest_lead(chat_id) == entry
    assert [e.chat_id for e in await storage.due_leads(NOW, 10)] == [chat_id]
    await storage.reopen_conversation(entry.id, '{"step": "review"}')
    assert await storage.load_conversation(chat_id) == '{"step": "review"}'

    await storage.forget_chat(chat_id)
    assert await storage.latest_lead(chat_id) is None
    assert await storage.load_conversation(chat_id) is None


async def test_unicode_round_trips(storage: Storage) -> None:
    await storage.save_conversation(1, UNICODE)
    assert await storage.load_conversation(1) == UNICODE

    entry = await storage.submit(2, UNICODE, UNICODE, "uk_UA", NOW)
    assert entry.payload == UNICODE
    stored = await storage.get_lead(entry.id)
    assert stored is not None
    assert stored.payload == UNICODE
    await storage.record_attempt(
        entry.id, attempts=1, next_attempt_at=NOW, create_sent=False, last_error=UNICODE
    )
    await storage.finish_lead(entry.id, LeadStatus.FAILED, "ref-ü🙂", UNICODE)
    stored = await storage.get_lead(entry.id)
    assert stored is not None
    assert (stored.lead_ref, stored.last_error) == ("ref-ü🙂", UNICODE)

    await storage.save_config(UNICODE, NOW)
    assert await storage.load_config() == (UNICODE, NOW)


# --- durability and concurrency ------------------------------------------------------------------


async def test_data_survives_reopening(database_url_all_backends: str) -> None:
    first = await open_storage(database_url_all_backends)
    try:
        await first.save_conversation(-1001234567890123, UNICODE)
        pending = await submit(first, 1)
        failed = await submit(first, 2)
        await first.record_attempt(
            pending.id, attempts=3, next_attempt_at=NOW + 5, create_sent=True, last_error="x"
        )
        await first.finish_lead(failed.id, LeadStatus.FAILED, None, "rejected")
        await first.save_config('{"clubs": []}', NOW)
    finally:
        await first.close()

    second = await open_storage(database_url_all_backends)
    try:
        assert await second.load_conversation(-1001234567890123) == UNICODE
        assert await second.load_conversation(1) == '{"step": "done"}'
        restored = await second.get_lead(pending.id)
        assert restored is not None
        assert (restored.attempts, restored.next_attempt_at, restored.create_sent) == (
            3,
            NOW + 5,
            True,
        )
        stored_failed = await second.get_lead(failed.id)
        assert stored_failed is not None
        assert (stored_failed.status, stored_failed.payload) == (LeadStatus.FAILED, failed.payload)
        assert await second.load_config() == ('{"clubs": []}', NOW)
        newer = await submit(second, 3)
        assert newer.id > max(pending.id, failed.id)
    finally:
        await second.close()


async def test_opening_twice_at_once(database_url_all_backends: str) -> None:
    """Two processes starting together must both find the schema ready."""
    opened = await asyncio.gather(
        open_storage(database_url_all_backends), open_storage(database_url_all_backends)
    )
    try:
        await opened[0].save_conversation(1, "{}")
        assert await opened[1].load_conversation(1) == "{}"
    finally:
        for one in opened:
            await one.close()


async def test_concurrent_saves_do_not_interfere(storage: Storage) -> None:
    chats = range(-60, 60)

    async def chat_session(chat_id: int) -> OutboxEntry:
        for step in range(5):
            await storage.save_conversation(chat_id, f'{{"chat": {chat_id}, "step": {step}}}')
        return await storage.submit(
            chat_id, f'{{"chat": {chat_id}, "step": "done"}}', f'{{"lead": {chat_id}}}', "en", NOW
        )

    entries = await asyncio.gather(*(chat_session(chat_id) for chat_id in chats))

    assert len({e.id for e in entries}) == len(chats)
    for chat_id, entry in zip(chats, entries, strict=True):
        assert entry.chat_id == chat_id
        assert entry.payload == f'{{"lead": {chat_id}}}'
        assert await storage.load_conversation(chat_id) == f'{{"chat": {chat_id}, "step": "done"}}'
        assert await storage.latest_lead(chat_id) == entry
    assert len(await storage.due_leads(NOW, 1000)) == len(chats)


# --- the PostgreSQL URL forms --------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
async def test_postgres_url_schemes(tmp_path: Path, scheme: str) -> None:
    async with fresh_database_url("postgres", tmp_path) as url:
        assert url.startswith("postgres://")
        opened = await open_storage(url.replace("postgres://", f"{scheme}://", 1))
        try:
            assert type(opened).__name__ == "PostgresStorage"
            await opened.save_config("{}", NOW)
            assert await opened.load_config() == ("{}", NOW)
        finally:
            await opened.close()
