"""``python -m bench.sweeps``: the reminder and retention sweeps over 100,000 stored
conversations, on SQLite and on PostgreSQL (``TEST_DATABASE_URL`` or ``BENCH_DATABASE_URL``,
a fresh database behind the 1 ms proxy of :mod:`bench.database`).

The conversations' last updates are spread evenly over the last 31 days, one in ten already
reminded; as many finished leads (one in a thousand still pending), message ids of chats without
a conversation and trial bookings (one in ten owing PerfectGym a call) of other chats are spread
the same way, and 1,000 kept replies over the last two days. It prints each sweep statement's
query plan (it must use an index) and the time of one sweep: a reminder claim of one batch, and
the retention sweep's two parts (erasing idle conversations, deleting what outlived its rule)
once with a day to erase and once with nothing to erase (the steady state: it runs every minute).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import asyncpg

from bench.database import proxied_database
from bot.marketing.reminders import BATCH, CLAIM_SECONDS, STALE_AFTER
from bot.storage import Storage, open_storage
from bot.storage.chat_messages import EXPIRE_ORPHANED_MESSAGES
from bot.storage.conversations import CLAIM_NEW_REMINDERS, Reminder
from bot.storage.erasure import IDLE
from bot.storage.outbox import EXPIRE_SETTLED_LEADS, LeadStatus
from bot.storage.replies import EXPIRE_REPLIES, KEPT_SECONDS
from bot.storage.trial_bookings import EXPIRE_SETTLED_BOOKINGS

CONVERSATIONS = 100_000
SPAN = 31 * 24 * 3600.0
HOUR = 3600.0
REMINDER_AFTER = 20 * HOUR
RETENTION = 30 * 24 * 3600.0
REPLIES = 1_000
STATE = '{"chat_id":0,"locale":"de","answers":{"firstname":"Anna"},"pad":"' + "x" * 900 + '"}'
BOOKING = '{"chat_id":0,"customer_id":1234,"session":"Yoga","slot":"2026-12-04T18:00"}'
REPLY = '[{"text":"' + "x" * 300 + '"}]'
IDLE_CONVERSATIONS = f"DELETE FROM conversations WHERE chat_id IN ({IDLE})"
# The retention statements whose plans are printed (the rest of the sweep: dating rows of an
# older release and the leases, a table of the leads in flight).
EXPIRING = (
    ("retention: idle conversations", IDLE_CONVERSATIONS),
    ("retention: settled leads", EXPIRE_SETTLED_LEADS),
    ("retention: orphaned message ids", EXPIRE_ORPHANED_MESSAGES),
    ("retention: settled trial bookings", EXPIRE_SETTLED_BOOKINGS),
    ("retention: kept replies", EXPIRE_REPLIES),
)


def _rows(now: float) -> list[tuple[int, str, float, str | None]]:
    step = SPAN / CONVERSATIONS
    return [
        (chat, STATE, now - chat * step, Reminder.SENT.value if chat % 10 == 0 else None)
        for chat in range(1, CONVERSATIONS + 1)
    ]


def _other_chats(now: float) -> list[tuple[int, float]]:
    """Chats without a conversation, and when each last did something, over 31 days."""
    step = SPAN / CONVERSATIONS
    return [(CONVERSATIONS + i, now - i * step) for i in range(1, CONVERSATIONS + 1)]


OUTBOX_COLUMNS = ["chat_id", "locale", "status", "next_attempt_at", "created_at", "lead_ref"]
MESSAGES_COLUMNS = ["chat_id", "buttons_message_id", "summary_message_id", "updated_at"]
BOOKINGS_COLUMNS = ["chat_id", "state", "due_at", "updated_at"]
REPLIES_COLUMNS = ["chat_id", "kind", "payload", "attempts", "due_at", "created_at"]


def _tables(now: float) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    """The rows of every table but the conversations, by table: its columns and rows."""
    others = _other_chats(now)
    settled, pending = LeadStatus.CREATED.value, LeadStatus.PENDING.value
    reply_step = 2 * 24 * 3600.0 / REPLIES
    return {
        "outbox": (
            OUTBOX_COLUMNS,
            [
                (chat, "de_DE", pending if chat % 1000 == 0 else settled, at, at, f"C-{chat}")
                for chat, at in others
            ],
        ),
        "chat_messages": (MESSAGES_COLUMNS, [(chat, chat, chat, at) for chat, at in others]),
        "trial_bookings": (
            BOOKINGS_COLUMNS,
            [(chat, BOOKING, at if chat % 10 == 0 else None, at) for chat, at in others],
        ),
        "pending_replies": (
            REPLIES_COLUMNS,
            [
                (chat, "notice", REPLY, 3, now, now - i * reply_step)
                for i, (chat, _) in enumerate(others[:REPLIES], start=1)
            ],
        ),
    }


@contextlib.asynccontextmanager
async def _sqlite(now: float) -> AsyncIterator[tuple[str, Callable[[str], list[str]]]]:
    with tempfile.TemporaryDirectory(prefix="sweeps-") as tmp:
        path = Path(tmp) / "sweeps.sqlite3"
        await (await open_storage(f"sqlite:///{path}")).close()  # the schema
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO conversations (chat_id, state, updated_at, reminder) "
                "VALUES (?, ?, ?, ?)",
                _rows(now),
            )
            for table, (columns, rows) in _tables(now).items():
                marks = ", ".join("?" * len(columns))
                db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            db.execute("COMMIT")
            db.execute("ANALYZE")

        def plan(query: str) -> list[str]:
            with contextlib.closing(sqlite3.connect(path)) as db:
                sql = query.replace("$", "?")
                params = [0] * sql.count("?")
                rows = db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            return [str(row[-1]) for row in rows]

        yield f"sqlite:///{path}", plan


@contextlib.asynccontextmanager
async def _postgres(now: float) -> AsyncIterator[tuple[str, Callable[[str], list[str]]]]:
    async with proxied_database() as (url, _):
        await (await open_storage(url)).close()
        db = await asyncpg.connect(url)
        try:
            await db.copy_records_to_table(
                "conversations",
                records=_rows(now),
                columns=["chat_id", "state", "updated_at", "reminder"],
            )
            for table, (columns, records) in _tables(now).items():
                await db.copy_records_to_table(table, records=records, columns=columns)
            await db.execute("ANALYZE")
            plans: dict[str, list[str]] = {}
            for query in (CLAIM_NEW_REMINDERS, *(query for _, query in EXPIRING)):
                # Run for its plan, then rolled back: the timed sweeps see the same rows.
                transaction = db.transaction()
                await transaction.start()
                rows = await db.fetch(
                    f"EXPLAIN (ANALYZE, COSTS OFF) {query}", *_plan_args(query, now)
                )
                await transaction.rollback()
                plans[query] = [str(row[0]) for row in rows]
        finally:
            await db.close()
        yield url, lambda query: plans[query]


def _plan_args(query: str, now: float) -> list[object]:
    if query == CLAIM_NEW_REMINDERS:
        idle_since = now - REMINDER_AFTER
        return [
            Reminder.SENDING.value,
            now + CLAIM_SECONDS,
            idle_since,
            idle_since - STALE_AFTER,
            BATCH,
        ]
    if query == IDLE_CONVERSATIONS:
        return [now - RETENTION, LeadStatus.PENDING.value]
    if query == EXPIRE_REPLIES:
        return [now - KEPT_SECONDS]
    return [now - RETENTION]


async def _timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return (time.perf_counter() - start) * 1000


async def _measure(storage: Storage, now: float) -> list[str]:
    idle_since = now - REMINDER_AFTER
    claims = []
    for _ in range(5):
        claims.append(
            await _timed(
                lambda: storage.claim_reminders(
                    idle_since, idle_since - STALE_AFTER, now, now + CLAIM_SECONDS, BATCH
                )
            )
        )
    erased: list[int] = []
    expired: list[int] = []

    async def erase() -> None:
        erased.append(await storage.erase_idle(now - RETENTION))

    async def expire() -> None:
        expired.append(await storage.expire(now - RETENTION, now))

    first = await _timed(erase)
    steady = [await _timed(erase) for _ in range(5)]
    first_expiry = await _timed(expire)
    steady_expiry = [await _timed(expire) for _ in range(5)]
    return [
        f"  reminder claim of one batch ({BATCH})     median {statistics.median(claims):7.2f} ms "
        f"(max {max(claims):.2f})",
        f"  retention, a day to erase ({erased[0]} rows) {first:7.2f} ms",
        f"  retention, nothing to erase          median {statistics.median(steady):7.2f} ms "
        f"(max {max(steady):.2f})",
        f"  expiry, a day to delete ({expired[0]} rows)  {first_expiry:7.2f} ms",
        f"  expiry, nothing to delete            median {statistics.median(steady_expiry):7.2f} "
        f"ms (max {max(steady_expiry):.2f})",
    ]


async def run(backend: str) -> str:
    now = time.time()
    opened = _sqlite(now) if backend == "sqlite" else _postgres(now)
    async with opened as (url, plan):
        out = [
            f"{backend}: {CONVERSATIONS} conversations, and as many leads, message ids and "
            f"bookings of other chats, over the last 31 days; {REPLIES} kept replies"
        ]
        for name, query in (("reminder claim", CLAIM_NEW_REMINDERS), *EXPIRING):
            out.append(f"  plan of the {name}:")
            out += [f"    {line}" for line in plan(query)]
        storage = await open_storage(url)
        try:
            out += await _measure(storage, now)
        finally:
            await storage.close()
    return "\n".join(out)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweeps", description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    for backend in backends:
        print(asyncio.run(run(backend)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
