"""SQLite storage: the default, a single file next to the process.

Uses the standard library driver directly on the event loop. Each call is one short transaction
in WAL mode with ``synchronous=NORMAL``: a commit is an append to the write-ahead log (tens of
microseconds), durable across a killed process, which is what a dyno restart is. That is cheaper
than handing every statement to a worker thread.

The ``async`` methods here never suspend, so a transaction runs to its end before any other task
touches the one connection: nothing else can slip into it (``SqlStorage`` awaits only the
database inside a transaction).
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.storage.database import Database
from bot.storage.leadership import SoleInstance
from bot.storage.schema import SQLITE, TABLES, indexes_ddl, tables_ddl
from bot.storage.sql import SqlStorage


class DatabaseInUseError(RuntimeError):
    """A second process on one SQLite file: its per-chat order and outbox guard would not see
    the first one's. One operator-facing line."""


# Lock files this process holds, with how many open storages use each.
_held: dict[str, tuple[int, int]] = {}


def _hold_file(path: str) -> str:
    """A POSIX record lock on ``<path>.lock`` while this process has the file open. Such locks
    belong to the process, so a test or tool reopening the file in-process is not refused."""
    key = os.path.realpath(path)
    if key in _held:
        fd, users = _held[key]
        _held[key] = (fd, users + 1)
        return key
    fd = os.open(f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise DatabaseInUseError(
            f"DATABASE_URL {path} is in use by another bot process: SQLite is for one process; "
            "run a second instance on PostgreSQL"
        ) from None
    _held[key] = (fd, 1)
    return key


def _release_file(key: str) -> None:
    fd, users = _held[key]
    if users > 1:
        _held[key] = (fd, users - 1)
    else:
        del _held[key]
        os.close(fd)  # ends the lock


@lru_cache(maxsize=256)
def _numbered(query: str) -> str:
    """``$1`` to ``?1``: the same numbered parameter in SQLite's spelling."""
    return re.sub(r"\$(\d+)", r"?\1", query)


class _Database:
    """The ``Database`` calls over a sqlite3 connection, run synchronously."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def _cursor(self, query: str, args: tuple[object, ...]) -> sqlite3.Cursor:
        return self._connection.execute(_numbered(query), args)

    async def execute(self, query: str, *args: object) -> None:
        self._cursor(query, args).close()

    async def fetchrow(self, query: str, *args: object) -> sqlite3.Row | None:
        # Closing resets the statement, so an unread rest cannot hold a lock or a transaction.
        with closing(self._cursor(query, args)) as cursor:
            row: sqlite3.Row | None = cursor.fetchone()
            return row

    async def fetch(self, query: str, *args: object) -> list[sqlite3.Row]:
        with closing(self._cursor(query, args)) as cursor:
            return cursor.fetchall()

    async def fetchval(self, query: str, *args: object) -> Any:
        row = await self.fetchrow(query, *args)
        return None if row is None else row[0]


def _path_from_url(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite://:memory:``."""
    rest = url.removeprefix("sqlite://")
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    return rest.removeprefix("/") if rest.startswith("/") else rest


def _create_schema(connection: sqlite3.Connection) -> None:
    """The tables, any column added since a database was created (SQLite cannot add one only
    where it is missing, so it is asked which it has), then the indexes."""
    connection.executescript(tables_ddl(SQLITE, TABLES))
    for table in TABLES:
        present = {row["name"] for row in connection.execute(f"PRAGMA table_info({table.name})")}
        for column in table.added_columns:
            if column.name not in present:
                connection.execute(table.add_column(column, SQLITE))
    connection.executescript(indexes_ddl(TABLES))


class SqliteStorage(SqlStorage, SoleInstance):
    """One process per file (see ``_hold_file``): it is always the poller."""

    def __init__(self, connection: sqlite3.Connection, held: str | None = None) -> None:
        super().__init__(_Database(connection))
        self._connection = connection
        self._held = held

    @classmethod
    def open(cls, url: str) -> SqliteStorage:
        path = _path_from_url(url)
        held = None
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            held = _hold_file(path)
        try:
            # Autocommit (isolation_level=None): every statement commits unless _transaction
            # began one.
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=5000")
            _create_schema(connection)
            # This process holds the file: leases left behind are of a process now gone.
            connection.execute("DELETE FROM outbox_leases")
        except BaseException:
            if held is not None:
                _release_file(held)
            raise
        return cls(connection, held)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Database]:
        # IMMEDIATE takes the write lock up front, so the transaction cannot fail half-way on it.
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    async def close(self) -> None:
        self._connection.close()
        if self._held is not None:
            _release_file(self._held)
            self._held = None
