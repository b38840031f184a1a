"""PostgreSQL storage: for PaaS deployments, whose dynos have no disk that outlives a restart.

The statements are ``SqlStorage``'s, run over an asyncpg pool. A PaaS add-on hands out
``postgres://`` URLs, which asyncpg takes as they are, like ``postgresql://``. A lost or refused
connection, a server shutting down or out of disk is raised as ``StorageUnavailable`` with the
server's (or the socket's) own message.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import asyncpg
import asyncpg.exceptions

from bot.storage.database import Database, Row
from bot.storage.errors import StorageUnavailable
from bot.storage.health import StorageHealth, is_write
from bot.storage.schema import POSTGRES, SINGLE_ROW_ID, TABLES, Column, Table, Type, ddl
from bot.storage.sql import SqlStorage

SCHEMA_VERSION = 1

# Taken for the schema setup, so two processes starting at once do not race on CREATE TABLE.
SCHEMA_LOCK = 0x5EAD_B07
CHAT_LOCKS = 0x0C4A7  # the first key of the per-chat locks (``SqlRecords._hold_chat``)

# A database set up by a newer release may have tables this one would misread.
VERSION_TABLE = Table(
    "schema_version",
    (
        SINGLE_ROW_ID,
        Column("version", Type.INTEGER),
    ),
)

# The poller's lock, held by the one instance that calls getUpdates: a key from hashed text,
# so it cannot meet SCHEMA_LOCK's number.
TRY_POLLER_LOCK = "SELECT pg_try_advisory_lock(hashtextextended($1, 0))"
POLLER_LOCK = "studio-leads-bot poller"
LEADER_TIMEOUT = 5.0
# A server that does not answer a connection attempt (a dropped route) is a failed attempt.
CONNECT_TIMEOUT = 10.0

# The database failing under the bot, rather than a statement being wrong.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,  # among them: the connection closed mid-statement
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # disk full, too many connections
    asyncpg.exceptions.PostgresSystemError,  # I/O errors
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a standby, or a read-only server
)
# At start-up also a wrong password or a missing database: tried again, then one line.
UNOPENED: tuple[type[BaseException], ...] = (*UNAVAILABLE, asyncpg.PostgresError)

SCHEMA = ddl(POSTGRES, (VERSION_TABLE, *TABLES))


class SchemaTooNewError(RuntimeError):
    """The database was set up by a newer release: refuse rather than misread its tables."""


def _cause(exc: BaseException) -> str:
    """The server's or the socket's message (it names no statement parameter)."""
    return str(exc) or type(exc).__name__


class _Database:
    """A pool's or a connection's query calls, their failures as ``StorageUnavailable``."""

    def __init__(
        self,
        target: Database,
        health: StorageHealth,
    ) -> None:
        self._target = target
        self._health = health

    async def execute(self, query: str, *args: object) -> object:
        try:
            done = await self._target.execute(query, *args)
        except UNAVAILABLE as exc:
            raise self._failed(exc) from None
        self._succeeded(query)
        return done

    async def fetchrow(self, query: str, *args: object) -> Row | None:
        try:
            row: Row | None = await self._target.fetchrow(query, *args)
        except UNAVAILABLE as exc:
            raise self._failed(exc) from None
        self._succeeded(query)
        return row

    async def fetch(self, query: str, *args: object) -> Sequence[Row]:
        try:
            rows: Sequence[Row] = await self._target.fetch(query, *args)
        except UNAVAILABLE as exc:
            raise self._failed(exc) from None
        self._succeeded(query)
        return rows

    async def fetchval(self, query: str, *args: object) -> Any:
        try:
            value = await self._target.fetchval(query, *args)
        except UNAVAILABLE as exc:
            raise self._failed(exc) from None
        self._succeeded(query)
        return value

    def _succeeded(self, query: str) -> None:
        if is_write(query):
            self._health.wrote()

    def _failed(self, exc: BaseException) -> StorageUnavailable:
        self._health.failed(_cause(exc))
        return StorageUnavailable(_cause(exc))


if TYPE_CHECKING:
    _Connection = asyncpg.Connection[asyncpg.Record]
else:  # asyncpg's classes are generic to type checkers only
    _Connection = asyncpg.Connection


class _StatelessConnection(_Connection):
    """A pooled connection the bot never leaves session state on (no session advisory locks,
    cursors, LISTEN or SET: the poller's lock has a connection of its own), so asyncpg's reset
    query on every release (a round trip per statement) is not needed."""

    def get_reset_query(self) -> str:
        return ""


class PostgresStorage(SqlStorage):
    """A pool of at most 10 connections per instance, and the poller's own connection.

    Two instances coordinate through the rows themselves: a conversation is written only over
    the state it was computed from (``replace_conversation``), and outbox entries are leased."""

    _SKIP_LOCKED = " FOR UPDATE OF o SKIP LOCKED"
    # The two-key advisory locks (a key space apart from the one-key locks of the schema and the
    # poller): CHAT_LOCKS and the chat id's hash; two chats sharing a hash only wait for each other.
    _ERASING_CHAT = f"SELECT pg_advisory_xact_lock({CHAT_LOCKS}, hashint8($1))"
    _WRITING_CHAT = f"SELECT pg_advisory_xact_lock_shared({CHAT_LOCKS}, hashint8($1))"

    def __init__(
        self, pool: asyncpg.Pool[asyncpg.Record], url: str, health: StorageHealth | None = None
    ) -> None:
        self._health = health or StorageHealth()
        super().__init__(_Database(pool, self._health))
        self._pool = pool
        self._url = url
        self._leader: asyncpg.Connection[asyncpg.Record] | None = None

    @classmethod
    async def connect(cls, url: str, health: StorageHealth | None = None) -> PostgresStorage:
        """The pool with the schema in place; any failure to get there, a wrong password or a
        missing database included, as ``StorageUnavailable`` (start-up tries again)."""
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=10,
                connection_class=_StatelessConnection,
                timeout=CONNECT_TIMEOUT,
            )
        except UNOPENED as exc:
            raise StorageUnavailable(_cause(exc)) from None
        try:
            await _create_schema(pool)
        except UNOPENED as exc:
            await pool.close()
            raise StorageUnavailable(_cause(exc)) from None
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url, health)

    async def acquire_leadership(self) -> bool:
        """A session advisory lock on a connection of its own: it ends with that connection, so
        a killed leader's lock is gone as soon as PostgreSQL sees its socket close."""
        if self._leader is not None:
            return await self.leadership_alive()
        try:
            leader = await asyncpg.connect(self._url, timeout=LEADER_TIMEOUT)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        try:
            won = bool(await leader.fetchval(TRY_POLLER_LOCK, POLLER_LOCK, timeout=LEADER_TIMEOUT))
        except (OSError, asyncpg.PostgresError, TimeoutError):
            won = False
        if won:
            self._leader = leader
        else:
            await leader.close(timeout=LEADER_TIMEOUT)
        return won

    async def leadership_alive(self) -> bool:
        if self._leader is None:
            return False
        try:
            await self._leader.fetchval("SELECT 1", timeout=LEADER_TIMEOUT)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            leader, self._leader = self._leader, None
            leader.terminate()
            return False
        return True

    async def release_leadership(self) -> None:
        leader, self._leader = self._leader, None
        if leader is not None:
            with contextlib.suppress(Exception):
                await leader.close(timeout=LEADER_TIMEOUT)  # the lock ends with the session

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Database]:
        try:
            async with self._pool.acquire() as db, db.transaction():
                yield _Database(db, self._health)
        except UNAVAILABLE as exc:  # taking a connection, BEGIN, COMMIT
            self._health.failed(_cause(exc))
            raise StorageUnavailable(_cause(exc)) from None

    async def close(self) -> None:
        await self.release_leadership()
        await self._pool.close()


async def _create_schema(pool: asyncpg.Pool[asyncpg.Record]) -> None:
    async with pool.acquire() as db, db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        await db.execute(SCHEMA)
        version: int = await db.fetchval(
            "INSERT INTO schema_version (id, version) VALUES (1, $1) "
            "ON CONFLICT (id) DO UPDATE SET version = schema_version.version "
            "RETURNING version",
            SCHEMA_VERSION,
        )
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database schema version {version} is newer than this release's {SCHEMA_VERSION}"
            )
