"""Every table under a rule, and deleted meaning gone: the retention sweep over each table with
the clock moved (SQLite and PostgreSQL), and the SQLite files read byte by byte after /forget and
after the sweep, with the real bot running."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any, cast

import pytest

from bot.marketing.retention import Retention
from bot.storage import LeadStatus, Storage, open_storage, schema
from bot.storage.chat_messages import ChatMessages
from bot.storage.database import Database
from bot.storage.outbox import CreatedCustomer
from bot.storage.perfectgym_events import NewEvent
from bot.storage.relays import Direction, NewRelay, RelayKind
from bot.storage.replies import ReplyKind
from bot.storage.sql import SqlStorage
from bot.storage.threads import Opening
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Clock, Prospect, bot_environment, load_config, running_bot

NOW = 1_700_000_000.25
HOUR = 3600.0
DAY = 24 * HOUR

# The tables whose rows name a chat, and those that hold no chat and no personal data. A table
# that holds personal data keyed otherwise (a customer id, a name) fits neither list: it fails
# ``test_every_table_is_one_the_retention_knows`` until it is given a rule and a test of its own.
WITH_CHAT = (
    "conversations",
    "outbox",
    "chat_messages",
    "trial_bookings",
    "pending_replies",
    "forgotten_chats",
    "lead_customers",
    "perfectgym_events",
    "trial_reminders",
)
# The front desk's (issue 25): a prospect's thread with staff, and its relay queue; their rule
# is tested on its own below.
FRONT_DESK = ("threads", "relays")
WITHOUT_CHAT = (
    "outbox_leases",
    "config_cache",
    "studio_cache",
    "funnel_counts",
    "studio_caches",
    "studio_funnel_counts",
)


# What a column's name says about what it holds. A column is personal when it names a chat or a
# PerfectGym customer (``chat_id``, ``source_chat_id``, ``customer_id``, ``customer_number``), or
# when any word of its name is one of these: what a person typed or is called, or a document that
# may carry either.
PERSONAL_SUFFIXES = ("chat_id", "customer_id", "customer_number")
PERSONAL_WORDS = frozenset(
    {
        "name",
        "firstname",
        "lastname",
        "email",
        "mail",
        "phone",
        "address",
        "street",
        "birth",
        "birthday",
        "text",
        "body",
        "payload",
        "answer",
        "answers",
        "state",
        "content",
        "note",
        "notes",
        "comment",
    }
)
# The personal-looking columns known to hold no personal data, each with the reason.
NOT_PERSONAL = {
    ("studio_caches", "body"): "PerfectGym's answers about a studio (clubs, prices, hours)",
}


def personal_columns(table: schema.Table) -> list[str]:
    """The columns of ``table`` whose name says they may hold a chat or a person's data."""
    return [
        column.name
        for column in table.columns
        if column.name.endswith(PERSONAL_SUFFIXES)
        or PERSONAL_WORDS.intersection(column.name.split("_"))
    ]


class At:
    """The sweep's clock, moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def chats_in(storage: Storage) -> dict[str, set[int]]:
    """Which chats each table still holds, and the outbox entries that still have a lease."""
    db = cast(SqlStorage, storage)._db
    held = {
        table: {int(r["chat_id"]) for r in await db.fetch(f"SELECT chat_id FROM {table}")}
        for table in WITH_CHAT
    }
    held["outbox_leases"] = {
        int(r["entry_id"]) for r in await db.fetch("SELECT entry_id FROM outbox_leases")
    }
    return held


async def _booking(
    db: Database, chat_id: int, state: str, *, due_at: float | None, at: float
) -> None:
    """A booking row as the trial booking leaves it (opened under a lead, saved since)."""
    await db.execute(
        "INSERT INTO trial_bookings (chat_id, state, due_at, held_until, updated_at) "
        "VALUES ($1, $2, $3, NULL, $4)",
        chat_id,
        state,
        due_at,
        at,
    )


def test_every_table_is_one_the_retention_knows() -> None:
    """A new table must be given its rule here (and in the README) before it can hold a chat."""
    assert sorted(table.name for table in schema.TABLES) == sorted(
        WITH_CHAT + FRONT_DESK + WITHOUT_CHAT
    )
    for table in schema.TABLES:
        names = {column.name for column in table.columns}
        assert ("chat_id" in names) == (table.name in WITH_CHAT + FRONT_DESK), table.name
        personal = [
            name for name in personal_columns(table) if (table.name, name) not in NOT_PERSONAL
        ]
        assert bool(personal) == (table.name in WITH_CHAT + FRONT_DESK), (table.name, personal)


def test_a_column_named_for_personal_data_is_flagged_whatever_the_table_is_keyed_by() -> None:
    """Not only ``chat_id``: a table keyed by a customer, or holding a name or text, is personal."""

    def flagged(*names: str) -> list[str]:
        columns = tuple(schema.Column(name, schema.Type.TEXT) for name in names)
        return personal_columns(schema.Table("probe", columns))

    assert flagged("source_chat_id", "customer_id", "customer_number") == [
        "source_chat_id",
        "customer_id",
        "customer_number",
    ]
    assert flagged("first_name", "email", "phone", "text", "body", "payload", "answers") == [
        "first_name",
        "email",
        "phone",
        "text",
        "body",
        "payload",
        "answers",
    ]
    assert flagged("studio", "kind", "fetched_at", "count", "day", "campaign", "owner") == []


def test_each_exemption_names_a_flagged_column_that_exists() -> None:
    """An exemption silences one column of one table, and goes when that column does."""
    columns = {(table.name, name) for table in schema.TABLES for name in personal_columns(table)}
    assert set(NOT_PERSONAL) <= columns
    assert all(table in WITHOUT_CHAT for table, _ in NOT_PERSONAL)


async def _reminder(db: Database, chat_id: int, *, due_at: float, status: str) -> None:
    """A trial reminder row as bot/followup leaves it."""
    await db.execute(
        "INSERT INTO trial_reminders (chat_id, studio, booking_id, customer_id, kind, "
        "starts_at, due_at, status, held_until, attended, moved) "
        "VALUES ($1, '', $2, $3, '2h', $4, $5, $6, NULL, $7, $7)",
        chat_id,
        chat_id * 10,
        chat_id * 100,
        due_at + 7200,
        due_at,
        status,
        False,
    )


async def test_no_row_with_a_chat_outlives_its_rule(database_url_all_backends: str) -> None:
    storage = await open_storage(database_url_all_backends)
    db = cast(SqlStorage, storage)._db
    try:
        # 1: a conversation left half-way, with the ids of the bot's messages.
        await storage.save_conversation(1, '{"answers": {"email": "one@example.com"}}')
        await db.execute("UPDATE conversations SET updated_at = $1", NOW)
        await storage.save_messages(1, ChatMessages(buttons=11, summary=12), NOW)
        # 2: a created lead, its thank-you's buttons and a booked trial that owes nothing.
        created = await storage.submit(2, '{"step": "done"}', None, '{"lead": 2}', "de_DE", NOW)
        assert created is not None
        await storage.remember_customer(created.id, CreatedCustomer(5002, "spring", NOW))
        await storage.finish_lead(created.id, LeadStatus.CREATED, "C-2", None)
        await storage.save_messages(2, ChatMessages(buttons=21), NOW)
        await _booking(db, 2, '{"booked": 2}', due_at=None, at=NOW)
        # ... its customer's check-in at the studio, from PerfectGym's webhook.
        checkin = NewEvent(None, "u-2", 0, "CUSTOMER_CHECKIN", 5002, "{}", 2, NOW)
        assert await storage.store_event(checkin, NOW)
        # 3: a booking that still owes PerfectGym a call.
        await _booking(db, 3, '{"owed": 3}', due_at=NOW + 60, at=NOW)
        # 4: a lead still on its way, whose sender died holding its lease.
        pending = await storage.submit(4, '{"step": "done"}', None, '{"lead": 4}', "de_DE", NOW)
        assert pending is not None
        assert await storage.claim_lead(pending.id, "gone", NOW, NOW + 60) is not None
        # 5: a lead PerfectGym refused for good.
        failed = await storage.submit(5, '{"step": "done"}', None, '{"lead": 5}', "de_DE", NOW)
        assert failed is not None
        await storage.finish_lead(failed.id, LeadStatus.FAILED, None, "HTTP 400")
        # 6: a reply Telegram did not take, left by a process that is gone.
        await storage.hold_reply(6, ReplyKind.NOTICE, '[{"text": "Thank you"}]', NOW)
        # 7: message ids and a booking saved by a release that did not date them.
        await storage.save_messages(7, ChatMessages(buttons=71), NOW)
        await _booking(db, 7, '{"booked": 7}', due_at=None, at=NOW)
        await db.execute("UPDATE chat_messages SET updated_at = NULL WHERE chat_id = 7")
        await db.execute("UPDATE trial_bookings SET updated_at = NULL WHERE chat_id = 7")
        # 9: a forgotten chat: what staff need for the studio's part of the erasure.
        await storage.forget_chat(9, NOW)
        # 8: a chat active again on day 29, with no conversation.
        await storage.save_messages(8, ChatMessages(buttons=81), NOW + 29 * DAY)
        await _booking(db, 8, '{"booked": 8}', due_at=None, at=NOW + 29 * DAY)
        # 2 and 8: a trial reminder sent on day 1, and one due on day 29.
        await _reminder(db, 2, due_at=NOW + DAY, status="sent")
        await _reminder(db, 8, due_at=NOW + 29 * DAY, status="pending")

        at = At(NOW + 2 * DAY)
        retention = Retention(storage, days=30, clock=at)
        await retention.sweep()  # a day has passed: only the kept reply is gone
        assert await chats_in(storage) == {
            "conversations": {1, 4, 5},
            "outbox": {2, 4, 5},
            "chat_messages": {1, 2, 7, 8},
            "trial_bookings": {2, 3, 7, 8},
            "pending_replies": set(),
            "forgotten_chats": {9},
            "lead_customers": {2},
            "perfectgym_events": {2},
            "outbox_leases": {pending.id},
            "trial_reminders": {2, 8},
        }

        at.now = NOW + 30 * DAY + HOUR
        assert await retention.sweep() == 2  # left half-way; the refused lead's
        assert await chats_in(storage) == {
            "conversations": {4},  # its lead is on its way
            "outbox": {4},
            "chat_messages": {7, 8},  # 7: dated by the first sweep, on day 2
            "trial_bookings": {3, 7, 8},  # 3: PerfectGym is owed a call
            "pending_replies": set(),
            "forgotten_chats": set(),
            "lead_customers": set(),
            "perfectgym_events": set(),
            "outbox_leases": set(),
            "trial_reminders": {2, 8},  # 2: due on day 1, within the 30 days still
        }

        at.now = NOW + 32 * DAY + HOUR
        await retention.sweep()
        assert await chats_in(storage) == {
            "conversations": {4},
            "outbox": {4},
            "chat_messages": {8},
            "trial_bookings": {3, 8},
            "pending_replies": set(),
            "forgotten_chats": set(),
            "lead_customers": set(),
            "perfectgym_events": set(),
            "outbox_leases": set(),
            "trial_reminders": {8},
        }
    finally:
        await storage.close()


async def test_a_thread_and_its_relays_go_after_the_retention_days_of_quiet(
    database_url_all_backends: str,
) -> None:
    """A thread goes ``RETENTION_DAYS`` after its last message either way, a relay that long
    after it was queued (sent, given up, or never sent); a thread active since stays."""
    storage = await open_storage(database_url_all_backends)
    db = cast(SqlStorage, storage)._db
    try:
        opening = Opening(None, -100777, "spring", "Pat", "en")
        for chat in (31, 32):
            change = await storage.record_thread(
                chat,
                NOW,
                opening=opening,
                relays=(NewRelay(Direction.TO_STAFF, RelayKind.COPY, chat, 5),),
            )
            assert change.created
            assert change.relayed == 1
        # 32 writes again on day 29: its thread is dated then, its first relay is not.
        await storage.record_thread(
            32, NOW + 29 * DAY, relays=(NewRelay(Direction.TO_STAFF, RelayKind.COPY, 32, 6),)
        )

        async def front_desk() -> dict[str, set[int]]:
            return {
                table: {int(r["chat_id"]) for r in await db.fetch(f"SELECT chat_id FROM {table}")}
                for table in FRONT_DESK
            }

        at = At(NOW + 2 * DAY)
        retention = Retention(storage, days=30, clock=at)
        await retention.sweep()
        assert await front_desk() == {"threads": {31, 32}, "relays": {31, 32}}
        at.now = NOW + 30 * DAY + HOUR
        await retention.sweep()
        assert await front_desk() == {"threads": {32}, "relays": {32}}
        assert [int(r["source_message_id"]) for r in await db.fetch("SELECT * FROM relays")] == [6]
        at.now = NOW + 59 * DAY + HOUR
        await retention.sweep()
        assert await front_desk() == {"threads": set(), "relays": set()}
    finally:
        await storage.close()


# --- deleted means gone from disk ----------------------------------------------------------------

EMAIL = b"quirinella.zwetschge@example.com"
LAST_NAME = b"Zwetschgenbaum"


@pytest.fixture(autouse=True)
def secure_delete_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections as a SQLite built without ``SQLITE_SECURE_DELETE`` opens them (Debian's has
    it on): whatever the bot relies on, it must switch on itself."""
    connect = sqlite3.connect

    def connected(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete=OFF")
        return connection

    monkeypatch.setattr(sqlite3, "connect", connected)


def database_files(path: Path) -> dict[str, bytes]:
    """The database's files as they are on disk now: the main file, its write-ahead log and
    anything else SQLite keeps next to it (``-shm``, a journal)."""
    return {file.name: file.read_bytes() for file in sorted(path.parent.glob(f"{path.name}*"))}


def holding(path: Path, *secrets: bytes) -> list[str]:
    """Which of the database's files still contain any of ``secrets``."""
    files = database_files(path)
    return [name for name, data in files.items() if any(secret in data for secret in secrets)]


async def _typed_email_and_last_name(tg: FakeTelegram, chat_id: int) -> Prospect:
    prospect = Prospect(tg, chat_id=chat_id)
    await prospect.introduce("Quirinella", LAST_NAME.decode(), EMAIL.decode())
    return prospect


async def test_forget_leaves_the_email_in_no_database_file(
    tg: FakeTelegram, pg: FakePerfectGym, tmp_path: Path
) -> None:
    pg.set_config(load_config("all-inactive"))
    path = tmp_path / "bot.sqlite3"
    async with running_bot(bot_environment(tg, pg, f"sqlite:///{path}")):
        quirinella = await _typed_email_and_last_name(tg, 12301)
        keeper = Prospect(tg, chat_id=12302)
        await keeper.introduce("Kim", "Keeper", "kim.keeper@example.com")
        passerby = Prospect(tg, chat_id=12303)
        await passerby.introduce("Pat")
        await passerby.answer("/forget", "has been deleted")
        # That erasure moved the log into the main file: Quirinella's answers are on its pages.
        assert holding(path, EMAIL) == ["bot.sqlite3"]
        assert holding(path, LAST_NAME) == ["bot.sqlite3"]
        await quirinella.answer("/forget", "has been deleted")
        assert holding(path, EMAIL, LAST_NAME) == []  # while the bot runs
        assert holding(path, b"kim.keeper@example.com") == ["bot.sqlite3"]


async def test_the_retention_sweep_leaves_the_email_in_no_database_file(
    tg: FakeTelegram, pg: FakePerfectGym, tmp_path: Path
) -> None:
    pg.set_config(load_config("all-inactive"))
    path = tmp_path / "bot.sqlite3"
    clock = Clock()
    env = bot_environment(tg, pg, f"sqlite:///{path}", RETENTION_DAYS="30", SWEEP_SECONDS="0.05")
    async with running_bot(env, clock=clock):
        await _typed_email_and_last_name(tg, 12303)
        assert holding(path, EMAIL, LAST_NAME) != []
        clock.forward(31 * DAY)
        storage = await open_storage(f"sqlite:///{path}")  # the bot's own connection, shared
        try:
            for _ in range(100):
                if await storage.load_conversation(12303) is None:
                    break
                await asyncio.sleep(0.05)
            # A sweep runs to its end without yielding on SQLite: erased means wiped by now.
            assert await storage.load_conversation(12303) is None
        finally:
            await storage.close()
        assert holding(path, EMAIL, LAST_NAME) == []
