"""The poller's lock: which one instance long-polls Telegram (a second ``getUpdates`` caller
gets 409). PostgreSQL holds it as an advisory lock (``PostgresStorage``); a SQLite file has one
process, which is always the poller."""

from __future__ import annotations

from typing import Protocol


class Leadership(Protocol):
    async def acquire_leadership(self) -> bool:
        """Try to become the one instance that long-polls Telegram; True while this instance
        is it."""
        ...

    async def leadership_alive(self) -> bool:
        """Whether the leadership is still held (False: lost with its connection)."""
        ...

    async def release_leadership(self) -> None: ...


class SoleInstance:
    """``Leadership`` where no other instance can share the database (one process per SQLite
    file): always held."""

    async def acquire_leadership(self) -> bool:
        return True

    async def leadership_alive(self) -> bool:
        return True

    async def release_leadership(self) -> None:
        return None
