"""The last answers PerfectGym gave that the bot can run on while it is unreachable (the leads
config, the studio's information, later kinds), as JSON with when they were fetched: one row per
studio of a chain and kind, in ``studio_caches``.

The single-studio releases kept the config and the information in a row each of their own
tables (``config_cache``, ``studio_cache``). For the default studio (``studio=None``) those rows
are still read, and the newer of them and ``studio_caches``' wins: an upgraded database keeps its
cache. They are also still written, so that a rollback to the release before finds the latest.
"""

from __future__ import annotations

from typing import Protocol

from bot.storage.database import SqlRecords
from bot.storage.studios import DEFAULT_STUDIO_KEY, studio_key

CONFIG = "config"  # GET the leads config
STUDIO = "studio"  # GET /v1/studios/information

# The kinds the single-studio releases kept, with their table and the column of the JSON.
LEGACY = {CONFIG: ("config_cache", "config"), STUDIO: ("studio_cache", "information")}

SAVE = (
    "INSERT INTO studio_caches (studio, kind, body, fetched_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (studio, kind) DO UPDATE SET body = excluded.body, "
    "fetched_at = excluded.fetched_at"
)
LOAD = "SELECT body, fetched_at FROM studio_caches WHERE studio = $1 AND kind = $2"


def _load_with_legacy(table: str, column: str) -> str:
    """The default studio's row and the legacy one, the newer first (on a tie, today's)."""
    return (
        f"SELECT body, fetched_at, 0 AS legacy FROM studio_caches WHERE studio = '' AND kind = $1 "
        f"UNION ALL SELECT {column} AS body, fetched_at, 1 AS legacy FROM {table} "
        "ORDER BY fetched_at DESC, legacy LIMIT 1"
    )


def _save_legacy(table: str, column: str) -> str:
    return (
        f"INSERT INTO {table} (id, {column}, fetched_at) VALUES (1, $1, $2) "
        f"ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column}, "
        "fetched_at = excluded.fetched_at"
    )


class CachedAnswers(Protocol):
    async def load_cached(
        self, kind: str, *, studio: str | None = None
    ) -> tuple[str, float] | None:
        """The last answer of this kind PerfectGym gave for the studio, as JSON, and when it
        was fetched; None if there is none yet."""
        ...

    async def save_cached(
        self, kind: str, body: str, fetched_at: float, *, studio: str | None = None
    ) -> None:
        """Replaces the studio's answer of this kind."""
        ...


class ConfigCache(Protocol):
    async def load_config(self, *, studio: str | None = None) -> tuple[str, float] | None: ...

    async def save_config(
        self, config: str, fetched_at: float, *, studio: str | None = None
    ) -> None: ...


class StudioCache(Protocol):
    async def load_studio(self, *, studio: str | None = None) -> tuple[str, float] | None:
        """The last studio information PerfectGym gave, as JSON, and when it was fetched."""
        ...

    async def save_studio(
        self, information: str, fetched_at: float, *, studio: str | None = None
    ) -> None: ...


class SqlCache(SqlRecords):
    async def load_cached(
        self, kind: str, *, studio: str | None = None
    ) -> tuple[str, float] | None:
        key = studio_key(studio)
        if key == DEFAULT_STUDIO_KEY and kind in LEGACY:
            row = await self._db.fetchrow(_load_with_legacy(*LEGACY[kind]), kind)
        else:
            row = await self._db.fetchrow(LOAD, key, kind)
        return None if row is None else (str(row["body"]), float(row["fetched_at"]))

    async def save_cached(
        self, kind: str, body: str, fetched_at: float, *, studio: str | None = None
    ) -> None:
        key = studio_key(studio)
        if key != DEFAULT_STUDIO_KEY or kind not in LEGACY:
            await self._db.execute(SAVE, key, kind, body, fetched_at)
            return
        async with self._transaction() as db:
            await db.execute(SAVE, key, kind, body, fetched_at)
            await db.execute(_save_legacy(*LEGACY[kind]), body, fetched_at)

    async def load_config(self, *, studio: str | None = None) -> tuple[str, float] | None:
        return await self.load_cached(CONFIG, studio=studio)

    async def save_config(
        self, config: str, fetched_at: float, *, studio: str | None = None
    ) -> None:
        await self.save_cached(CONFIG, config, fetched_at, studio=studio)

    async def load_studio(self, *, studio: str | None = None) -> tuple[str, float] | None:
        return await self.load_cached(STUDIO, studio=studio)

    async def save_studio(
        self, information: str, fetched_at: float, *, studio: str | None = None
    ) -> None:
        await self.save_cached(STUDIO, information, fetched_at, studio=studio)
