"""The storage contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import cast

import asyncpg
import pytest

from bot.funnel.counts import FunnelCount, Stage, Step, known_counts
from bot.storage import ChatMessages, LeadStatus, OutboxEntry, Storage, open_storage, schema
from bot.storage.conversations import IdleConversation, Reminder
from bot.storage.funnel_counts import StoredCount
from bot.storage.outbox import OUTBOX_COLUMNS
from bot.storage.postgres import SCHEMA_VERSION, SchemaTooNewError
from bot.storage.sql import SqlStorage
from tests.databases import BACKENDS, fresh_database_url

NOW = 1_700_000_000.25
BIG_CHAT_IDS = (-1001234567890123, 2**40, -(2**40), 2**53 + 1)
UNICODE = '{"name": "Zoë Ñúñez-Łukasiewicz 🏋️‍♀️💪🏽", "note": "日本語 · עברית · ﷽ · \U0001d518\U0001d52b\U0001d526 𐍈"}'


async def submit(storage: Storage, chat_id: int, now: float = NOW, tag: str = "") -> OutboxEntry:
    return await submitted(
        storage, chat_id, f'{{"step": "done{tag}"}}', f'{{"lead": "{chat_id}{tag}"}}', "de_DE", now
    )


async def submitted(
    storage: Storage, chat_id: int, state: str, payload: str, locale: str, now: float
) -> OutboxEntry:
    """``submit`` over whatever the chat has stored, as the intake does after reading it."""
    previous = await storage.load_conversation(chat_id)
    entry = await storage.submit(chat_id, state, previous, payload, locale, now)
    assert entry is not None
    return entry


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


async def test_chat_messages_are_remembered_per_chat_and_forgotten(storage: Storage) -> None:
    assert await storage.load_messages(1) == ChatMessages()
    await storage.save_messages(1, ChatMessages(buttons=10, summary=7), NOW)
    await storage.save_messages(2, ChatMessages(buttons=2**40), NOW)
    await storage.save_messages(1, ChatMessages(buttons=None), NOW)  # the summary stays
    assert await storage.load_messages(1) == ChatMessages(None, 7)
    await storage.save_messages(1, ChatMessages(buttons=11, summary=12), NOW)
    assert await storage.load_messages(1) == ChatMessages(11, 12)
    assert await storage.load_messages(2) == ChatMessages(2**40, None)
    await storage.forget_chat(1)
    assert await storage.load_messages(1) == ChatMessages()


# --- the outbox ----------------------------------------------------------------------------------


async def test_submit_stores_state_and_pending_entry(storage: Storage) -> None:
    await storage.save_conversation(7, '{"step": "review"}')
    entry = await submitted(storage, 7, '{"step": "submitted"}', '{"lead": 1}', "pl_PL", NOW)

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
        await submitted(storage, 7, '{"step": "submitted"}', "{}", cast("str", None), NOW)

    assert await storage.load_conversation(7) == '{"step": "review"}'
    assert await storage.latest_lead(7) is None
    assert await storage.due_leads(NOW, 10) == []


async def test_a_lead_is_leased_to_one_instance_at_a_time(storage: Storage) -> None:
    entry = await submitted(storage, 8, "{}", '{"lead": 1}', "en", NOW)
    held = await storage.claim_lead(entry.id, "a", NOW, NOW + 120)
    assert held is not None
    assert held.id == entry.id
    assert await storage.claim_lead(entry.id, "b", NOW + 1, NOW + 121) is None  # a holds it
    assert await storage.claim_due_leads(NOW + 1, 10, "b", NOW + 121) == []
    taken = await storage.claim_due_leads(NOW + 121, 10, "b", NOW + 241)  # a's lease ran out
    assert [e.id for e in taken] == [entry.id]
    await storage.release_lead(entry.id, "a")  # a's late release does not free b's lease
    assert await storage.claim_lead(entry.id, "c", NOW + 122, NOW + 242) is None
    await storage.release_lead(entry.id, "b")
    assert await storage.claim_lead(entry.id, "c", NOW + 122, NOW + 242) is not None
    await storage.finish_lead(entry.id, LeadStatus.CREATED, "1-1", None)
    await storage.release_lead(entry.id, "c")
    assert await storage.claim_lead(entry.id, "d", NOW + 123, NOW + 243) is None  # finished


async def test_a_lease_its_own_holder_claims_again_is_its_own(storage: Storage) -> None:
    """A process's sweep claimed the entry an instant before that process's first attempt
    did: the attempt goes ahead (the process keeps one attempt per entry by itself) instead of
    waiting a whole lease; another instance still may not take it."""
    entry = await submitted(storage, 9, "{}", '{"lead": 1}', "en", NOW)
    assert [e.id for e in await storage.claim_due_leads(NOW, 10, "a", NOW + 60)] == [entry.id]
    again = await storage.claim_lead(entry.id, "a", NOW + 0.01, NOW + 60.01)
    assert again is not None
    assert again.id == entry.id
    assert await storage.claim_lead(entry.id, "b", NOW + 1, NOW + 61) is None


async def test_two_instances_claiming_at_once_split_the_due_leads(
    database_url_all_backends: str,
) -> None:
    first = await open_storage(database_url_all_backends)
    second = await open_storage(database_url_all_backends)
    try:
        ids = {(await submitted(first, 100 + n, "{}", "{}", "en", NOW)).id for n in range(20)}
        a, b = await asyncio.gather(
            first.claim_due_leads(NOW, 50, "a", NOW + 120),
            second.claim_due_leads(NOW, 50, "b", NOW + 120),
        )
        assert {e.id for e in a}.isdisjoint({e.id for e in b})
        assert {e.id for e in a} | {e.id for e in b} == ids
    finally:
        await first.close()
        await second.close()


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
    await storage.reopen_conversation(invalid.id, '{"step": "review"}', NOW)

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
    await storage.reopen_conversation(entry.id, '{"step": "review", "note": "fix it"}', NOW)

    stored = await storage.get_lead(entry.id)
    assert stored is not None
    assert (stored.status, stored.payload) == (LeadStatus.INVALID, None)
    assert await storage.load_conversation(1) == '{"step": "review", "note": "fix it"}'
    assert await storage.due_leads(NOW, 10) == []


async def test_reopen_unknown_entry_stores_nothing(storage: Storage) -> None:
    await storage.reopen_conversation(424242, '{"step": "review"}', NOW)
    assert await storage.get_lead(424242) is None
    assert await storage.latest_lead(424242) is None
    assert await storage.load_conversation(424242) is None


async def test_latest_lead(storage: Storage) -> None:
    assert await storage.latest_lead(1) is None
    first = await submit(storage, 1, now=NOW + 50)
    await submit(storage, 2, now=NOW + 100)
    assert await storage.latest_lead(1) == first
    await storage.reopen_conversation(first.id, "{}", NOW)
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


async def test_studio_cache_round_trip_apart_from_the_config(storage: Storage) -> None:
    assert await storage.load_studio() is None
    await storage.save_config('{"clubs": [1]}', NOW)
    await storage.save_studio('{"studioId": 1}', NOW)
    await storage.save_studio('{"studioId": 1, "name": "Sol"}', NOW + 60)
    assert await storage.load_studio() == ('{"studioId": 1, "name": "Sol"}', NOW + 60)
    assert await storage.load_config() == ('{"clubs": [1]}', NOW)


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
    await storage.reopen_conversation(entry.id, '{"step": "review"}', NOW)
    assert await storage.load_conversation(chat_id) == '{"step": "review"}'

    await storage.forget_chat(chat_id)
    assert await storage.latest_lead(chat_id) is None
    assert await storage.load_conversation(chat_id) is None


async def test_unicode_round_trips(storage: Storage) -> None:
    await storage.save_conversation(1, UNICODE)
    assert await storage.load_conversation(1) == UNICODE

    entry = await submitted(storage, 2, UNICODE, UNICODE, "uk_UA", NOW)
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
        return await submitted(
            storage,
            chat_id,
            f'{{"chat": {chat_id}, "step": "done"}}',
            f'{{"lead": {chat_id}}}',
            "en",
            NOW,
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
@pytest.mark.e2e
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


# --- databases created by earlier releases -------------------------------------------------------

# The schema scripts as the release before the shared schema description ran them, verbatim.
OLD_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    chat_id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    payload TEXT,
    locale TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created_at REAL NOT NULL,
    create_sent INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lead_ref TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_chat ON outbox (chat_id, id);
CREATE TABLE IF NOT EXISTS config_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    config TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
"""

OLD_POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    chat_id BIGINT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    chat_id BIGINT NOT NULL,
    payload TEXT,
    locale TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    create_sent BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT,
    lead_ref TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_chat ON outbox (chat_id, id);
CREATE TABLE IF NOT EXISTS config_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    config TEXT NOT NULL,
    fetched_at DOUBLE PRECISION NOT NULL
);
"""

OLD_CHAT = -1001234567890123

# How the old release's SQL left its rows, spelled for both databases ($n become ?n for SQLite).
OLD_ROWS = (
    (
        "INSERT INTO conversations (chat_id, state, updated_at) VALUES ($1, $2, $3)",
        (OLD_CHAT, UNICODE, NOW),
    ),
    (
        "INSERT INTO outbox (chat_id, payload, locale, status, next_attempt_at, created_at) "
        "VALUES ($1, $2, 'de_DE', 'pending', $3, $3)",
        (OLD_CHAT, '{"lead": "old"}', NOW),
    ),
    ("UPDATE outbox SET attempts = 2, create_sent = $1, last_error = 'HTTP 503'", (True,)),
    (
        "INSERT INTO outbox (chat_id, payload, locale, status, next_attempt_at, created_at, "
        "lead_ref) VALUES (5, NULL, 'pl_PL', 'created', $1, $1, 'C-1')",
        (NOW - 60,),
    ),
    (
        "INSERT INTO config_cache (id, config, fetched_at) VALUES (1, $1, $2)",
        ('{"clubs": [1]}', NOW),
    ),
)


def sqlite_path(url: str) -> str:
    assert url.startswith("sqlite:////")  # the fixtures' absolute paths
    return url.removeprefix("sqlite:///")


async def create_old_database(url: str, rows: bool = True) -> None:
    statements = OLD_ROWS if rows else ()
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(sqlite_path(url), isolation_level=None)) as lite:
            lite.executescript(OLD_SQLITE_SCHEMA)
            for query, args in statements:
                lite.execute(query.replace("$", "?"), args)
        return
    db = await asyncpg.connect(url)
    try:
        await db.execute(OLD_POSTGRES_SCHEMA)
        await db.execute("INSERT INTO schema_version (id, version) VALUES (1, 1)")
        for query, args in statements:
            await db.execute(query, *args)
    finally:
        await db.close()


async def catalog(url: str) -> list[tuple[object, ...]]:
    """Every table, column, type, default, constraint and index, as the database describes them."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(sqlite_path(url))) as lite:
            objects = lite.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
            ).fetchall()
            described: list[tuple[object, ...]] = [
                # SQLite keeps the text of the CREATE as written, and an ALTER adds to it.
                (kind, name, table, re.sub(r"\s*([(),])\s*", r"\1", " ".join((sql or "").split())))
                for kind, name, table, sql in objects
            ]
            for _, name, _, _ in objects:
                described += [
                    (name, *column) for column in lite.execute(f"PRAGMA table_xinfo('{name}')")
                ]
            return described
    db = await asyncpg.connect(url)
    try:
        columns = await db.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, "
            "identity_generation FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position"
        )
        constraints = await db.fetch(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        )
        indexes = await db.fetch(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "ORDER BY 1, 2"
        )
        return [tuple(row) for row in [*columns, *constraints, *indexes]]
    finally:
        await db.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_schema_is_the_one_existing_databases_have(tmp_path: Path, backend: str) -> None:
    async with (
        fresh_database_url(backend, tmp_path) as old_url,
        fresh_database_url(backend, tmp_path) as new_url,
    ):
        await create_old_database(old_url, rows=False)
        old = await catalog(old_url)
        await (await open_storage(old_url)).close()
        upgraded = await catalog(old_url)
        await (await open_storage(new_url)).close()
        new = await catalog(new_url)
    assert len(old) > 20
    assert upgraded == new  # an upgraded database is the one a new install creates
    # Nothing dropped; only the conversations table itself changed (two columns added), and the
    # outbox table (its studio: SQLite keeps the table's text, which the column changes).
    changed = ("conversations", "CREATE TABLE outbox")
    assert all(any(t in repr(entry) for t in changed) for entry in old if entry not in new)
    added = [entry for entry in new if entry not in old]
    new_tables = (
        "chat_messages",
        "studio_cache",
        "outbox_leases",
        "funnel_counts",
        "trial_bookings",
        "pending_replies",
        "forgotten_chats",
        "studio_caches",
        "threads",  # the front desk's (issue 25), with the outbox's campaign
        "relays",
        "lead_customers",  # PerfectGym's events (issue 26)
        "perfectgym_events",
    )
    new_parts = (
        *new_tables,
        "reminder",
        "conversations_idle",
        "outbox_settled",
        "'studio'",
        "'campaign'",
    )
    grown = (*new_parts, "CREATE TABLE outbox")  # SQLite: the outbox table's text, with studio
    assert all(any(part in repr(entry) for part in grown) for entry in added)
    assert all(any(part in repr(entry) for entry in added) for part in new_parts[1:])


def test_outbox_columns_are_the_entry_fields() -> None:
    names = [field.name for field in dataclasses.fields(OutboxEntry)]
    assert [column.name for column in schema.OUTBOX.columns] == names
    assert OUTBOX_COLUMNS.split(", ") == names


async def test_database_of_the_old_release_is_read_and_written(
    database_url_all_backends: str,
) -> None:
    await create_old_database(database_url_all_backends)
    storage = await open_storage(database_url_all_backends)
    try:
        assert await storage.load_conversation(OLD_CHAT) == UNICODE
        assert await storage.load_config() == ('{"clubs": [1]}', NOW)
        pending = await storage.latest_lead(OLD_CHAT)
        assert pending is not None
        assert pending == OutboxEntry(
            id=pending.id,
            chat_id=OLD_CHAT,
            payload='{"lead": "old"}',
            locale="de_DE",
            status=LeadStatus.PENDING,
            attempts=2,
            next_attempt_at=NOW,
            created_at=NOW,
            create_sent=True,
            last_error="HTTP 503",
            lead_ref=None,
        )
        created = await storage.latest_lead(5)
        assert created is not None
        assert (created.status, created.payload, created.lead_ref) == (
            LeadStatus.CREATED,
            None,
            "C-1",
        )
        assert created.id > pending.id
        assert await storage.due_leads(NOW, 10) == [pending]

        await storage.record_attempt(
            pending.id, attempts=3, next_attempt_at=NOW + 5, create_sent=False, last_error=None
        )
        await storage.finish_lead(pending.id, LeadStatus.CREATED, "C-2", None)
        await storage.forget_chat(5)  # the newest id is gone: it must not be handed out again
        newer = await submit(storage, 6)
        assert newer.id > created.id
        await storage.save_config('{"clubs": [2]}', NOW + 1)
    finally:
        await storage.close()

    # What the new code wrote is what the old code would have written, type for type.
    if database_url_all_backends.startswith("sqlite"):
        with closing(sqlite3.connect(sqlite_path(database_url_all_backends))) as lite:
            rows = lite.execute(
                "SELECT id, typeof(chat_id), attempts, create_sent, typeof(create_sent), "
                "typeof(next_attempt_at), payload, lead_ref FROM outbox ORDER BY id"
            ).fetchall()
            config = lite.execute("SELECT config, typeof(fetched_at) FROM config_cache").fetchall()
        assert rows == [
            (pending.id, "integer", 3, 0, "integer", "real", None, "C-2"),
            (newer.id, "integer", 0, 0, "integer", "real", '{"lead": "6"}', None),
        ]
        assert config == [('{"clubs": [2]}', "real")]
    else:
        db = await asyncpg.connect(database_url_all_backends)
        try:
            records = await db.fetch(
                "SELECT id, attempts, create_sent, payload, lead_ref FROM outbox ORDER BY id"
            )
            assert [tuple(r) for r in records] == [
                (pending.id, 3, False, None, "C-2"),
                (newer.id, 0, False, '{"lead": "6"}', None),
            ]
            assert await db.fetchval("SELECT version FROM schema_version") == SCHEMA_VERSION
        finally:
            await db.close()


@pytest.mark.e2e
async def test_postgres_refuses_a_newer_schema(tmp_path: Path) -> None:
    async with fresh_database_url("postgres", tmp_path) as url:
        await create_old_database(url, rows=False)
        db = await asyncpg.connect(url)
        try:
            await db.execute("UPDATE schema_version SET version = $1", SCHEMA_VERSION + 1)
        finally:
            await db.close()
        with pytest.raises(SchemaTooNewError, match="newer"):
            await open_storage(url)


async def test_a_conversation_is_only_written_over_the_state_it_was_computed_from(
    storage: Storage,
) -> None:
    assert await storage.replace_conversation(1, '{"step": 1}', None, NOW)
    assert not await storage.replace_conversation(1, '{"step": "other"}', None, NOW)  # one exists
    assert not await storage.replace_conversation(1, '{"step": 2}', '{"step": 0}', NOW)  # stale
    assert await storage.replace_conversation(1, '{"step": 2}', '{"step": 1}', NOW)
    assert await storage.load_conversation(1) == '{"step": 2}'

    assert await storage.submit(1, '{"step": "done"}', '{"step": 1}', "{}", "en", NOW) is None
    assert await storage.latest_lead(1) is None  # nothing enqueued for a stale state
    assert await storage.load_conversation(1) == '{"step": 2}'

    await storage.delete_conversation(1)
    assert not await storage.replace_conversation(1, '{"step": 3}', '{"step": 2}', NOW)  # deleted
    assert await storage.load_conversation(1) is None


async def test_two_instances_writing_one_chat_at_once_one_wins(
    database_url_all_backends: str,
) -> None:
    first = await open_storage(database_url_all_backends)
    second = await open_storage(database_url_all_backends)
    try:
        for round_ in range(20):
            chat_id = 42 + round_
            await first.replace_conversation(chat_id, '{"step": 0}', None, NOW)
            won = await asyncio.gather(
                first.replace_conversation(chat_id, '{"step": "a"}', '{"step": 0}', NOW),
                second.submit(chat_id, '{"step": "b"}', '{"step": 0}', "{}", "en", NOW),
            )
            stored = await second.load_conversation(chat_id)
            if won[0]:
                assert (won[1], stored) == (None, '{"step": "a"}')
                assert await first.latest_lead(chat_id) is None
            else:
                assert won[1] is not None
                assert stored == '{"step": "b"}'
                assert await first.latest_lead(chat_id) == won[1]
    finally:
        await first.close()
        await second.close()


# --- reminders, retention and the funnel ---------------------------------------------------------

HOUR = 3600.0


async def answered_at(storage: Storage, chat_id: int, when: float, state: str = "{}") -> None:
    """A conversation whose prospect last answered at ``when``."""
    await storage.save_conversation(chat_id, state)
    await cast(SqlStorage, storage)._db.execute(
        "UPDATE conversations SET updated_at = $1 WHERE chat_id = $2", when, chat_id
    )


async def test_a_reminder_is_claimed_once_in_its_window(storage: Storage) -> None:
    await answered_at(storage, 1, NOW - 30 * HOUR)  # due
    await answered_at(storage, 2, NOW - 10 * HOUR)  # not yet
    await answered_at(storage, 3, NOW - 90 * HOUR)  # too long ago: no reminder any more
    due = await storage.claim_reminders(NOW - 20 * HOUR, NOW - 68 * HOUR, NOW, NOW + 60, 100)
    assert due == [IdleConversation(1, "{}")]
    assert await storage.claim_reminders(NOW - 20 * HOUR, NOW - 68 * HOUR, NOW, NOW + 60, 100) == []
    await storage.finish_reminder(1, Reminder.SENT)
    later = NOW + 50 * HOUR
    assert [
        c.chat_id
        for c in await storage.claim_reminders(later - 20 * HOUR, 0, later, later + 60, 100)
    ] == [2, 3]


async def test_a_reminder_whose_sender_died_is_taken_over_once_its_claim_lapses(
    storage: Storage,
) -> None:
    await answered_at(storage, 1, NOW - 30 * HOUR)
    assert len(await storage.claim_reminders(NOW - 20 * HOUR, 0, NOW, NOW + 60, 100)) == 1
    assert await storage.claim_reminders(NOW - 20 * HOUR, 0, NOW + 59, NOW + 120, 100) == []
    taken = await storage.claim_reminders(NOW - 20 * HOUR, 0, NOW + 61, NOW + 120, 100)
    assert [c.chat_id for c in taken] == [1]
    await storage.finish_reminder(1, Reminder.BLOCKED)
    assert await storage.claim_reminders(NOW + 500 * HOUR, 0, NOW + 500 * HOUR, NOW, 100) == []


async def test_a_new_answer_does_not_make_a_second_reminder_due(storage: Storage) -> None:
    await answered_at(storage, 1, NOW - 30 * HOUR)
    await storage.claim_reminders(NOW - 20 * HOUR, 0, NOW, NOW + 60, 100)
    await storage.finish_reminder(1, Reminder.SENT)
    previous = await storage.load_conversation(1)
    assert await storage.replace_conversation(1, '{"answered": 1}', previous, NOW)
    assert await storage.claim_reminders(NOW + 100 * HOUR, 0, NOW + 100 * HOUR, NOW, 100) == []


async def test_two_instances_sweeping_at_once_remind_each_conversation_once(
    database_url_all_backends: str,
) -> None:
    first = await open_storage(database_url_all_backends)
    second = await open_storage(database_url_all_backends)
    try:
        for chat_id in range(1, 41):
            await answered_at(first, chat_id, NOW - 30 * HOUR)
        a, b = await asyncio.gather(
            first.claim_reminders(NOW - 20 * HOUR, 0, NOW, NOW + 60, 100),
            second.claim_reminders(NOW - 20 * HOUR, 0, NOW, NOW + 60, 100),
        )
        claimed = [c.chat_id for c in (*a, *b)]
        assert sorted(claimed) == list(range(1, 41))
    finally:
        await first.close()
        await second.close()


async def test_idle_conversations_are_erased_unless_their_lead_is_on_its_way(
    storage: Storage,
) -> None:
    await answered_at(storage, 1, NOW - 40 * 24 * HOUR)  # idle: erased
    await storage.save_messages(1, ChatMessages(buttons=11, summary=12), NOW)
    await answered_at(storage, 2, NOW - 10 * 24 * HOUR)  # recent: kept
    await answered_at(storage, 3, NOW - 40 * 24 * HOUR)
    await submit(storage, 3)  # its lead is still pending: kept
    await answered_at(storage, 3, NOW - 40 * 24 * HOUR, '{"step": "done"}')
    failed = await submit(storage, 4, now=NOW - 40 * 24 * HOUR)
    await storage.finish_lead(failed.id, LeadStatus.FAILED, None, "HTTP 400")
    await answered_at(storage, 4, NOW - 40 * 24 * HOUR, '{"step": "done"}')  # kept for a human
    assert await storage.erase_idle(NOW - 30 * 24 * HOUR) == 2  # chats 1 and 4
    assert await storage.load_conversation(1) is None
    assert await storage.load_messages(1) == ChatMessages()
    assert await storage.load_conversation(2) == "{}"
    assert await storage.load_conversation(3) is not None
    kept = await storage.get_lead(failed.id)
    assert kept is not None
    assert kept.payload is None
    assert kept.status is LeadStatus.FAILED


async def add_counts(storage: Storage, counts: list[FunnelCount]) -> None:
    await storage.add_funnel_counts([count.stored() for count in counts])


async def test_funnel_counts_add_up_per_day_campaign_and_step(storage: Storage) -> None:
    day = datetime.date(2026, 12, 1)
    question = Step(Stage.QUESTION, "email")
    await add_counts(
        storage,
        [
            FunnelCount(day, "spring_promo", Step(Stage.STARTED), 3),
            FunnelCount(day, None, Step(Stage.STARTED), 1),
            FunnelCount(day, "spring_promo", question, 2),
        ],
    )
    await add_counts(
        storage,
        [
            FunnelCount(day, "spring_promo", Step(Stage.STARTED), 2),
            FunnelCount(day + datetime.timedelta(days=1), None, Step(Stage.CREATED), 1),
            FunnelCount(day - datetime.timedelta(days=1), None, Step(Stage.CREATED), 7),
        ],
    )
    counts = known_counts(await storage.funnel_counts(day, day + datetime.timedelta(days=1)))
    assert sorted(counts, key=repr) == sorted(
        [
            FunnelCount(day, "spring_promo", Step(Stage.STARTED), 5),
            FunnelCount(day, None, Step(Stage.STARTED), 1),
            FunnelCount(day, "spring_promo", question, 2),
            FunnelCount(day + datetime.timedelta(days=1), None, Step(Stage.CREATED), 1),
        ],
        key=repr,
    )
    await storage.forget_chat(1)  # counts hold no chat: nothing to forget
    assert len(await storage.funnel_counts(day, day)) == 3


async def test_a_stage_of_a_newer_release_is_kept_and_left_out_of_the_funnel(
    storage: Storage,
) -> None:
    day = datetime.date(2026, 12, 1)
    newer = StoredCount(day, "spring_promo", "waitlisted", "", 4)
    known = StoredCount(day, "spring_promo", Stage.STARTED.value, "", 1)
    await storage.add_funnel_counts([newer, known])
    stored = await storage.funnel_counts(day, day)
    assert sorted(stored, key=repr) == sorted([newer, known], key=repr)
    assert known_counts(stored) == [FunnelCount(day, "spring_promo", Step(Stage.STARTED), 1)]


Statements = tuple[tuple[str, tuple[object, ...]], ...]


async def run_on(url: str, statements: Statements) -> None:
    """Statements run outside the storage (``$n`` become ``?n`` on SQLite), autocommitted."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(sqlite_path(url), isolation_level=None)) as lite:
            for query, args in statements:
                lite.execute(query.replace("$", "?"), args)
        return
    db = await asyncpg.connect(url)
    try:
        for query, args in statements:
            await db.execute(query, *args)
    finally:
        await db.close()


async def create_release(url: str, tables: tuple[schema.Table, ...], rows: Statements = ()) -> None:
    """A database as an earlier release made it: its ``tables`` (today's less what came since),
    then the ``rows`` its code wrote."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(sqlite_path(url), isolation_level=None)) as lite:
            lite.executescript(schema.ddl(schema.SQLITE, tables))
    else:
        db = await asyncpg.connect(url)
        try:
            await db.execute(schema.ddl(schema.POSTGRES, tables))
        finally:
            await db.close()
    await run_on(url, rows)


# The retention's times and indexes (2026-12-07), absent from databases of the release before.
RETENTION_INDEXES = (
    "outbox_settled",
    "chat_messages_idle",
    "trial_bookings_idle",
    "pending_replies_created",
)


def release_before(
    later: Callable[[schema.Table, schema.Column], bool],
    *,
    tables: tuple[schema.Table, ...] = (),
    indexes: tuple[str, ...] = (),
) -> tuple[schema.Table, ...]:
    """Today's tables less what came since a release: the ``tables`` and ``indexes`` added
    later, and each added column ``later`` picks."""
    return tuple(
        dataclasses.replace(
            table,
            columns=tuple(
                column for column in table.columns if not (column.added and later(table, column))
            ),
            indexes=tuple(index for index in table.indexes if index.name not in indexes),
        )
        for table in schema.TABLES
        if table not in tables
    )


def release_before_retention() -> tuple[schema.Table, ...]:
    return release_before(
        lambda table, _: table.name in ("chat_messages", "trial_bookings"),
        indexes=RETENTION_INDEXES,
    )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_database_of_the_release_before_retention_is_upgraded_and_its_rows_dated(
    tmp_path: Path, backend: str
) -> None:
    async with (
        fresh_database_url(backend, tmp_path) as old_url,
        fresh_database_url(backend, tmp_path) as new_url,
    ):
        await create_release(
            old_url,
            release_before_retention(),
            (
                ("INSERT INTO chat_messages (chat_id, buttons_message_id) VALUES (7, 71)", ()),
                ("INSERT INTO trial_bookings (chat_id, state) VALUES (7, '{}')", ()),
            ),
        )
        old = await catalog(old_url)
        await (await open_storage(old_url)).close()
        upgraded = await catalog(old_url)
        storage = await open_storage(old_url)
        try:
            assert await storage.expire(NOW, NOW) == 0  # undated: dated now, not deleted
            assert await storage.load_messages(7) == ChatMessages(71, None)
            assert await storage.load_booking(7) == "{}"
            assert await storage.expire(NOW + 1, NOW + 1) == 2
        finally:
            await storage.close()
        await (await open_storage(new_url)).close()
        new = await catalog(new_url)
    assert upgraded == new
    added = [entry for entry in new if entry not in old]
    # Only the times and their indexes (and PostgreSQL's version table, not made here).
    assert all(
        any(part in repr(entry) for part in ("updated_at", "schema_version", *RETENTION_INDEXES))
        for entry in added
    )
    assert all(any(name in repr(entry) for entry in added) for name in RETENTION_INDEXES)
