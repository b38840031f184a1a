"""PostgreSQL storage: for PaaS deployments, whose dynos have no disk that outlives a restart.

The statements are ``SqlStorage``'s, run over an asyncpg pool. A PaaS add-on hands out
``postgres://`` URLs, which asyncpg takes as they are, like ``postgresql://``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import asyncpg

from bot.storage.database import Database
from bot.storage.schema import POSTGRES, SINGLE_ROW_ID, TABLES, Column, Table, Type, ddl
from bot.storage.sql import SqlStorage

SCHEMA_VERSION = 1

# Taken for the schema setup, so two processes starting at once do not race on CREATE TABLE.
SCHEMA_LOCK = 0x5EAD_B07

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

SCHEMA = ddl(POSTGRES, (VERSION_TABLE, *TABLES))


class SchemaTooNewError(RuntimeError):
    """The database was set up by a newer release: refuse rather than misread its tables."""


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

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], url: str) -> None:
        super().__init__(pool)
        self._pool = pool
        self._url = url
        self._leader: asyncpg.Connection[asyncpg.Record] | None = None

    @classmethod
    async def connect(cls, url: str) -> PostgresStorage:
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=10, connection_class=_StatelessConnection
        )
        try:
            await _create_schema(pool)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url)

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
        async with self._pool.acquire() as db, db.transaction():
            yield db

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
