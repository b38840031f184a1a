"""Front-desk threads: one per prospect who wrote to the studio's staff, and where it lives in
the staff chat (a forum topic, or the header message replies hang under).

A thread is opened by the update that stores the prospect's first message for staff, in the
same transaction as that message's relay (``bot/storage/relays.py``), so nothing the prospect
sent is acknowledged to Telegram before it is stored. The topic itself is created later, by the
relay worker holding the thread's first relay: the update handler never waits on Telegram.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.storage.conversations import CONVERSATION_EXISTS
from bot.storage.database import Database, Row, SqlRecords
from bot.storage.outbox import LEADS_EXIST
from bot.storage.relays import RELAYED_AS, Direction, NewRelay, RelayKind, insert_relay
from bot.storage.studios import checked_studio


class ThreadState(StrEnum):
    OPEN = "open"  # the prospect's messages go to staff
    CLOSED = "closed"  # staff sent /close (or the prospect went back to the form, or blocked us)


@dataclass(frozen=True)
class Thread:
    """``topic_id`` is the forum topic's ``message_thread_id`` when ``forum``, else the header
    message's id in a group without topics; None until the relay worker has created it.
    ``name`` and ``locale`` are the prospect's first name (the topic's title) and language (what
    the bot tells them); ``blocked`` is set once staff were told the prospect blocked the bot."""

    chat_id: int
    studio: str | None
    staff_chat_id: int
    topic_id: int | None
    forum: bool
    state: ThreadState
    opened_at: float
    first_staff_reply_at: float | None
    campaign: str | None
    name: str
    locale: str
    blocked: bool
    updated_at: float


@dataclass(frozen=True)
class Opening:
    """What a thread is opened with, if the chat has none yet. ``since``: when the caller read
    the chat (its conversation, its lead); a chat forgotten at or after it gets no thread, as
    /forget on another instance meanwhile must win. ``begun``: the caller found a conversation
    or a lead (and may have told staff of it): a chat ever forgotten then gets a thread only
    while one is still stored, whatever an instance's memory of the chat says."""

    studio: str | None
    staff_chat_id: int
    campaign: str | None
    name: str
    locale: str
    since: float | None = None
    begun: bool = False


@dataclass(frozen=True)
class ThreadChange:
    """What :meth:`ThreadRecords.record_thread` did: the thread as it is now (None: there is
    none), whether it was created or reopened by this call, and how many relays were new (a
    redelivered update's are not)."""

    thread: Thread | None
    created: bool = False
    reopened: bool = False
    relayed: int = 0


class ThreadRecords(Protocol):
    async def thread(self, chat_id: int) -> Thread | None: ...

    async def record_thread(
        self,
        chat_id: int,
        now: float,
        *,
        opening: Opening | None = None,
        intro: Sequence[NewRelay] = (),
        relays: Sequence[NewRelay] = (),
    ) -> ThreadChange:
        """In one transaction: with ``opening``, the chat's thread created (then ``intro`` is
        queued first) or, if closed, opened again (then a reopening relay is queued first);
        then ``relays`` queued, if the chat has a thread. A chat forgotten since
        ``opening.since`` gets no thread and nothing queued. A relay of a source message already
        queued (a redelivered update) is not queued twice."""
        ...

    async def close_thread(
        self, chat_id: int, now: float, *, blocked: bool = False
    ) -> Thread | None:
        """Closed (and, with ``blocked``, marked as reported blocked); the thread as it was
        before, None if there is none."""
        ...

    async def staff_thread(
        self, staff_chat_id: int, *, topic_id: int | None, reply_to: int | None
    ) -> Thread | None:
        """The thread a staff member's message belongs to: by its forum topic, or (in a group
        without topics) by the header or a copied prospect's message it replies to."""
        ...

    async def set_topic(self, chat_id: int, topic_id: int, forum: bool) -> Thread | None:
        """Where the thread lives, unless it was set meanwhile; the thread as stored."""
        ...

    async def first_staff_reply(self, chat_id: int, at: float) -> Thread | None:
        """Note staff's first reply; the thread if this was it, else None."""
        ...


THREAD_COLUMNS = (
    "chat_id, studio, staff_chat_id, topic_id, forum, state, opened_at, first_staff_reply_at, "
    "campaign, name, locale, blocked, updated_at"
)

# Retention: threads whose last message either way was before $1.
EXPIRE_THREADS = "DELETE FROM threads WHERE updated_at < $1 RETURNING chat_id"
DELETE_CHAT_THREAD = "DELETE FROM threads WHERE chat_id = $1"  # /forget
SELECT_THREAD = f"SELECT {THREAD_COLUMNS} FROM threads WHERE chat_id = $1"
THREAD_EXISTS = "EXISTS (SELECT 1 FROM threads WHERE chat_id = $1)"


def thread_from_row(row: Row) -> Thread:
    return Thread(
        chat_id=int(row["chat_id"]),
        studio=row["studio"],
        staff_chat_id=int(row["staff_chat_id"]),
        topic_id=None if row["topic_id"] is None else int(row["topic_id"]),
        forum=bool(row["forum"]),
        state=ThreadState(row["state"]),
        opened_at=float(row["opened_at"]),
        first_staff_reply_at=(
            None if row["first_staff_reply_at"] is None else float(row["first_staff_reply_at"])
        ),
        campaign=row["campaign"],
        name=str(row["name"]),
        locale=str(row["locale"]),
        blocked=bool(row["blocked"]),
        updated_at=float(row["updated_at"]),
    )


async def _select(db: Database, chat_id: int) -> Thread | None:
    row = await db.fetchrow(SELECT_THREAD, chat_id)
    return None if row is None else thread_from_row(row)


class SqlThreads(SqlRecords):
    async def thread(self, chat_id: int) -> Thread | None:
        return await _select(self._db, chat_id)

    async def record_thread(
        self,
        chat_id: int,
        now: float,
        *,
        opening: Opening | None = None,
        intro: Sequence[NewRelay] = (),
        relays: Sequence[NewRelay] = (),
    ) -> ThreadChange:
        if opening is not None:
            checked_studio(opening.studio)
        async with self._transaction() as db:
            if opening is not None:
                await self._hold_chat(db, chat_id, erasing=False)
            before = await _select(db, chat_id)
            created = reopened = False
            queue: list[NewRelay] = []
            if opening is not None and before is None:
                inserted = await db.fetchval(
                    "INSERT INTO threads (chat_id, studio, staff_chat_id, topic_id, forum, state, "
                    "opened_at, first_staff_reply_at, campaign, name, locale, blocked, updated_at) "
                    "SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS BIGINT), NULL, "
                    "CAST($4 AS BOOLEAN), CAST($5 AS TEXT), CAST($6 AS DOUBLE PRECISION), NULL, "
                    "CAST($7 AS TEXT), CAST($8 AS TEXT), CAST($9 AS TEXT), CAST($4 AS BOOLEAN), "
                    "CAST($6 AS DOUBLE PRECISION) "
                    "WHERE NOT EXISTS (SELECT 1 FROM forgotten_chats WHERE chat_id = $1 "
                    "AND forgotten_at >= CAST($10 AS DOUBLE PRECISION)) "
                    f"AND (NOT CAST($11 AS BOOLEAN) OR {CONVERSATION_EXISTS} OR {LEADS_EXIST} "
                    "OR NOT EXISTS (SELECT 1 FROM forgotten_chats WHERE chat_id = $1)) "
                    "ON CONFLICT (chat_id) DO NOTHING RETURNING chat_id",
                    chat_id,
                    opening.studio,
                    opening.staff_chat_id,
                    False,
                    ThreadState.OPEN.value,
                    now,
                    opening.campaign,
                    opening.name,
                    opening.locale,
                    opening.since,
                    opening.begun,
                )
                if inserted is not None:
                    created = True
                    queue += intro
                elif await _select(db, chat_id) is None:  # forgotten meanwhile
                    return ThreadChange(None)
                # else opened meanwhile by another update of the chat: its relays still go
            elif opening is not None and before is not None and before.state is ThreadState.CLOSED:
                await db.execute(
                    "UPDATE threads SET state = $2, blocked = $3, locale = $4 WHERE chat_id = $1",
                    chat_id,
                    ThreadState.OPEN.value,
                    False,
                    opening.locale,
                )
                reopened = True
                queue.append(NewRelay(Direction.TO_STAFF, RelayKind.REOPEN))
            queue += relays
            relayed = 0
            if queue:
                await db.execute(
                    "UPDATE threads SET updated_at = $2 WHERE chat_id = $1", chat_id, now
                )
                for relay in queue:
                    relayed += await insert_relay(db, chat_id, relay, now, THREAD_EXISTS)
            after = await _select(db, chat_id)
        return ThreadChange(after, created and after is not None, reopened, relayed)

    async def close_thread(
        self, chat_id: int, now: float, *, blocked: bool = False
    ) -> Thread | None:
        async with self._transaction() as db:
            before = await _select(db, chat_id)
            if before is not None:
                await db.execute(
                    "UPDATE threads SET state = $2, updated_at = $3, "
                    "blocked = (blocked OR $4) WHERE chat_id = $1",
                    chat_id,
                    ThreadState.CLOSED.value,
                    now,
                    blocked,
                )
        return before

    async def staff_thread(
        self, staff_chat_id: int, *, topic_id: int | None, reply_to: int | None
    ) -> Thread | None:
        if topic_id is not None:
            row = await self._db.fetchrow(
                f"SELECT {THREAD_COLUMNS} FROM threads WHERE staff_chat_id = $1 AND topic_id = $2 "
                "AND forum = $3",
                staff_chat_id,
                topic_id,
                True,
            )
            return None if row is None else thread_from_row(row)
        if reply_to is None:
            return None
        row = await self._db.fetchrow(
            f"SELECT {THREAD_COLUMNS} FROM threads WHERE staff_chat_id = $1 AND forum = $3 AND ("
            f"topic_id = $2 OR chat_id IN ({RELAYED_AS})) LIMIT 1",
            staff_chat_id,
            reply_to,
            False,
            Direction.TO_STAFF.value,
        )
        return None if row is None else thread_from_row(row)

    async def set_topic(self, chat_id: int, topic_id: int, forum: bool) -> Thread | None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE threads SET topic_id = $2, forum = $3 WHERE chat_id = $1 "
                "AND topic_id IS NULL",
                chat_id,
                topic_id,
                forum,
            )
            return await _select(db, chat_id)

    async def first_staff_reply(self, chat_id: int, at: float) -> Thread | None:
        async with self._transaction() as db:
            noted = await db.fetchval(
                "UPDATE threads SET first_staff_reply_at = $2 WHERE chat_id = $1 "
                "AND first_staff_reply_at IS NULL RETURNING chat_id",
                chat_id,
                at,
            )
            return None if noted is None else await _select(db, chat_id)
