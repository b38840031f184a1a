"""PostgreSQL storage: for PaaS deployments, whose dynos have no disk that outlives a restart.

The statements are ``SqlStorage``'s, run over an asyncpg pool. A PaaS add-on hands out
``postgres://`` URLs, which asyncpg takes as they are, like ``postgresql://``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bot.storage.schema import POSTGRES, SINGLE_ROW_ID, TABLES, Column, Table, Type, ddl
from bot.storage.sql import Database, SqlStorage

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

SCHEMA = ddl(POSTGRES, (VERSION_TABLE, *TABLES))


class SchemaTooNewError(RuntimeError):
    """The database was set up by a newer release: refuse rather than misread its tables."""


class PostgresStorage(SqlStorage):
    def __init__(self, pool: asyncpg.Pool[asyncpg.Record]) -> None:
        super().__init__(pool)
        self._pool = pool

    @classmethod
    async def connect(cls, url: str) -> PostgresStorage:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
        try:
            await _create_schema(pool)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Database]:
        async with self._pool.acquire() as db, db.transaction():
            yield db

    async def close(self) -> None:
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
