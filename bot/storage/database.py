"""What every kind of record's statements run on, written once for SQLite and PostgreSQL.

Both databases run the same statements; a backend supplies only a ``Database`` (four query calls,
shaped like asyncpg's) and a transaction. Statements use PostgreSQL's ``$1`` placeholders, which
the SQLite backend rewrites to SQLite's numbered ``?1``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol


class Row(Protocol):
    """A database row addressable by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: str) -> Any: ...


class Database(Protocol):
    """What the statements need from a connection (an asyncpg pool or connection has it)."""

    async def execute(self, query: str, *args: object) -> object: ...

    async def fetchrow(self, query: str, *args: object) -> Row | None: ...

    async def fetch(self, query: str, *args: object) -> Sequence[Row]: ...

    async def fetchval(self, query: str, *args: object) -> Any: ...


class SqlRecords(ABC):
    """The base of each kind of record's statements: the database they run on, and how to run
    several in one transaction (a backend supplies both)."""

    _db: Database

    @abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[Database]:
        """Commits what runs on the database it yields, or rolls it all back on an error.

        Await nothing but that database inside: SQLite's one connection is shared by all tasks.
        """

    # A lock per chat for the rest of a transaction, taken by /forget (exclusive) and by a write
    # that checks "not forgotten since" (shared). PostgreSQL only: SQLite runs one transaction at
    # a time. Under READ COMMITTED such a check, run just before /forget commits in another
    # instance, would pass and add a row after /forget deleted the chat's rows.
    _ERASING_CHAT: str | None = None
    _WRITING_CHAT: str | None = None

    async def _hold_chat(self, db: Database, chat_id: int, *, erasing: bool) -> None:
        """Order this transaction with any /forget of ``chat_id``: the later one sees the
        earlier one's rows."""
        lock = self._ERASING_CHAT if erasing else self._WRITING_CHAT
        if lock is not None:
            await db.execute(lock, chat_id)
