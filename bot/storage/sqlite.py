"""SQLite storage: the default, a single file next to the process.

Uses the standard library driver directly on the event loop. Each call is one short transaction
in WAL mode with ``synchronous=NORMAL``: a commit is an append to the write-ahead log (tens of
microseconds), durable across a killed process, which is what a dyno restart is. That is cheaper
than handing every statement to a worker thread.

The ``async`` methods here never suspend, so a transaction runs to its end before any other task
touches the one connection: nothing else can slip into it (``SqlStorage`` awaits only the
database inside a transaction). Storages opened on one file in one process (a tool or test
reopening it) share that connection for the same reason.

The file is opened in exclusive locking mode before WAL is switched on: the process holds the
file alone anyway (``<file>.lock``), and so SQLite keeps its WAL index in memory instead of a
memory-mapped ``-shm`` file, whose failing page (a full or unwritable disk) would kill the process
with SIGBUS and no log line. A database failure is raised as ``StorageUnavailable`` with SQLite's
own message, and after an I/O error the name of a file that is no longer writable.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.storage.database import Database
from bot.storage.errors import StorageUnavailable
from bot.storage.health import StorageHealth, is_write
from bot.storage.leadership import SoleInstance
from bot.storage.perfectgym_events import RELEASE_EVENTS
from bot.storage.schema import SQLITE, TABLES, indexes_ddl, tables_ddl
from bot.storage.sql import SqlStorage


class DatabaseInUseError(RuntimeError):
    """A second process on one SQLite file: its per-chat order and outbox guard would not see
    the first one's. One operator-facing line."""


@dataclass
class _Held:
    """A file this process has open: its lock, its one connection and how many storages use it."""

    lock: int
    connection: sqlite3.Connection | None = None
    users: int = 1


_held: dict[str, _Held] = {}


def _hold_file(path: str) -> str:
    """A POSIX record lock on ``<path>.lock`` while this process has the file open. Such locks
    belong to the process, so a test or tool reopening the file in-process is not refused."""
    key = os.path.realpath(path)
    if key in _held:
        _held[key].users += 1
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
    _held[key] = _Held(fd)
    return key


def _release_file(key: str) -> None:
    held = _held[key]
    if held.users > 1:
        held.users -= 1
        return
    del _held[key]
    if held.connection is not None:
        held.connection.close()
    os.close(held.lock)  # ends the lock


def _unwritable(path: str) -> str | None:
    """The first of the database's folder and files that this process may not write, if any:
    found at start, rather than as a failed answer (or a signal) later."""
    folder = os.path.dirname(os.path.abspath(path))
    candidates = [folder, path, *(f"{path}{suffix}" for suffix in ("-wal", "-journal"))]
    for candidate in candidates:
        if os.path.exists(candidate) and not os.access(candidate, os.W_OK):
            return candidate
    return None


def _cause(exc: sqlite3.Error, path: str | None) -> str:
    """SQLite's message; after an I/O error also the file this process may no longer write,
    if there is one (made read-only or immutable while the bot runs): SQLite says only "disk
    I/O error". The file's name alone: ``/health`` shows the cause to anyone."""
    if path is None or exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_IOERR:
        return str(exc)
    files = [f"{path}{suffix}" for suffix in ("", "-wal", "-journal")]
    for candidate in files:
        if os.path.exists(candidate) and not os.access(candidate, os.W_OK):
            return f"{exc} ({os.path.basename(candidate)} is not writable by this process)"
    return str(exc)


def _unavailable(exc: sqlite3.Error, path: str | None = None) -> StorageUnavailable | None:
    """SQLite's own failures (full, read-only, I/O error, locked, not a database) as
    ``StorageUnavailable``; a broken statement or constraint stays the programming error it is."""
    if isinstance(exc, (sqlite3.OperationalError, sqlite3.InternalError)) or (
        type(exc) is sqlite3.DatabaseError
    ):
        return StorageUnavailable(_cause(exc, path))
    return None


@lru_cache(maxsize=256)
def _numbered(query: str) -> str:
    """``$1`` to ``?1``: the same numbered parameter in SQLite's spelling."""
    return re.sub(r"\$(\d+)", r"?\1", query)


class _Database:
    """The ``Database`` calls over a sqlite3 connection, run synchronously."""

    def __init__(
        self, connection: sqlite3.Connection, health: StorageHealth, path: str | None = None
    ) -> None:
        self._connection = connection
        self._health = health
        self._path = path  # the database's file, to name one that became unwritable

    @contextmanager
    def _statement(self, query: str | None) -> Iterator[None]:
        """Around a statement's execution and reading (a ``RETURNING`` statement writes while
        its rows are read): SQLite's failure as ``StorageUnavailable``, told to the health.
        ``query`` None: a statement that tells of no write (``BEGIN``, ``COMMIT``)."""
        try:
            yield
        except sqlite3.Error as exc:
            unavailable = _unavailable(exc, self._path)
            if unavailable is None:
                raise
            self._health.failed(unavailable.cause)
            raise unavailable from None
        if query is not None and is_write(query):
            self._health.wrote()

    def run(self, query: str) -> None:
        """A statement of no rows (``BEGIN``, ``COMMIT``), its failure translated; it tells the
        health of no write (the statements inside the transaction did)."""
        with self._statement(None):
            self._connection.execute(query).close()

    async def execute(self, query: str, *args: object) -> None:
        with self._statement(query):
            self._connection.execute(_numbered(query), args).close()

    async def fetchrow(self, query: str, *args: object) -> sqlite3.Row | None:
        # Closing resets the statement, so an unread rest cannot hold a lock or a transaction.
        with self._statement(query), closing(self._connection.execute(_numbered(query), args)) as c:
            row: sqlite3.Row | None = c.fetchone()
            return row

    async def fetch(self, query: str, *args: object) -> list[sqlite3.Row]:
        with self._statement(query), closing(self._connection.execute(_numbered(query), args)) as c:
            return c.fetchall()

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

    def __init__(
        self,
        connection: sqlite3.Connection,
        held: str | None = None,
        health: StorageHealth | None = None,
    ) -> None:
        database = _Database(connection, health or StorageHealth(), held)
        super().__init__(database)
        self._database = database
        self._connection = connection
        self._held = held

    @classmethod
    def open(cls, url: str, health: StorageHealth | None = None) -> SqliteStorage:
        path = _path_from_url(url)
        if path == ":memory:":
            return cls(_connected(path), None, health)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        unwritable = _unwritable(path)
        if unwritable is not None:
            raise StorageUnavailable(f"{unwritable} is not writable by this process")
        held = _hold_file(path)
        try:
            entry = _held[held]
            if entry.connection is None:
                entry.connection = _connected(path)
            connection = entry.connection
            # This process holds the file: leases left behind are of a process now gone.
            connection.execute("DELETE FROM outbox_leases")
            connection.execute(RELEASE_EVENTS)
        except sqlite3.Error as exc:
            _release_file(held)
            raise _unavailable(exc) or exc from None
        except BaseException:
            _release_file(held)
            raise
        return cls(connection, held, health)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Database]:
        # IMMEDIATE takes the write lock up front, so the transaction cannot fail half-way on it.
        self._database.run("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            if self._connection.in_transaction:  # SQLite ends some failed ones by itself
                self._database.run("ROLLBACK")
            raise
        self._database.run("COMMIT")

    async def wipe_deleted(self) -> None:
        """The write-ahead log still holds the pages as they were before a deletion: copied
        into the main file (where ``secure_delete`` zeroed the deleted rows) and truncated."""
        self._database.run("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        if self._held is not None:
            _release_file(self._held)
            self._held = None
        else:
            self._connection.close()


def _connected(path: str) -> sqlite3.Connection:
    """A connection with the schema in place. Autocommit (isolation_level=None): every
    statement commits unless a transaction began one."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")  # before WAL: no -shm (see above)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        # A deleted row's bytes are overwritten with zeros, not left in a free page or cell.
        connection.execute("PRAGMA secure_delete=ON")
        connection.execute("PRAGMA busy_timeout=5000")
        _create_schema(connection)
    except BaseException:
        connection.close()
        raise
    return connection
