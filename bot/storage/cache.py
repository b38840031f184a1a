"""The last answers PerfectGym gave that the bot can run on while it is unreachable: the leads
config and the studio's information, as JSON with when they were fetched (one row each)."""

from __future__ import annotations

from typing import Protocol

from bot.storage.database import SqlRecords


class ConfigCache(Protocol):
    async def load_config(self) -> tuple[str, float] | None: ...

    async def save_config(self, config: str, fetched_at: float) -> None: ...


class StudioCache(Protocol):
    async def load_studio(self) -> tuple[str, float] | None:
        """The last studio information PerfectGym gave, as JSON, and when it was fetched."""
        ...

    async def save_studio(self, information: str, fetched_at: float) -> None: ...


class SqlCache(SqlRecords):
    async def load_config(self) -> tuple[str, float] | None:
        row = await self._db.fetchrow("SELECT config, fetched_at FROM config_cache")
        return None if row is None else (str(row["config"]), float(row["fetched_at"]))

    async def save_config(self, config: str, fetched_at: float) -> None:
        await self._db.execute(
            "INSERT INTO config_cache (id, config, fetched_at) VALUES (1, $1, $2) "
            "ON CONFLICT (id) DO UPDATE SET config = excluded.config, "
            "fetched_at = excluded.fetched_at",
            config,
            fetched_at,
        )

    async def load_studio(self) -> tuple[str, float] | None:
        row = await self._db.fetchrow("SELECT information, fetched_at FROM studio_cache")
        return None if row is None else (str(row["information"]), float(row["fetched_at"]))

    async def save_studio(self, information: str, fetched_at: float) -> None:
        await self._db.execute(
            "INSERT INTO studio_cache (id, information, fetched_at) VALUES (1, $1, $2) "
            "ON CONFLICT (id) DO UPDATE SET information = excluded.information, "
            "fetched_at = excluded.fetched_at",
            information,
            fetched_at,
        )
