"""SQLite storage: the default, a single file next to the process.

Uses the standard library driver directly on the event loop. Each call is one short transaction
in WAL mode with ``synchronous=NORMAL``: a commit is an append to the write-ahead log (tens of
microseconds), durable across a killed process, which is what a dyno restart is. That is cheaper
than handing every statement to a worker thread.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bot.storage.base import (
    FINISHED,
    OUTBOX_COLUMNS,
    LeadStatus,
    OutboxEntry,
    entry_from_row,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    chat_id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    payload TEXT,
    locale TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created_at REAL NOT NULL,
    create_sent INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lead_ref TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_chat ON outbox (chat_id, id);
CREATE TABLE IF NOT EXISTS config_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    config TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
"""


def _path_from_url(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite://:memory:``."""
    rest = url.removeprefix("sqlite://")
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    return rest.removeprefix("/") if rest.startswith("/") else rest


class SqliteStorage:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, url: str) -> SqliteStorage:
        path = _path_from_url(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=5000")
        connection.executescript(SCHEMA)
        return cls(connection)

    async def load_conversation(self, chat_id: int) -> str | None:
        row = self._db.execute(
            "SELECT state FROM conversations WHERE chat_id = ?", (chat_id,)
        ).fetchone()
        return None if row is None else str(row["state"])

    async def save_conversation(self, chat_id: int, state: str) -> None:
        self._db.execute(
            "INSERT INTO conversations (chat_id, state, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id) "
            "DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (chat_id, state, time.time()),
        )

    async def delete_conversation(self, chat_id: int) -> None:
        self._db.execute("DELETE FROM conversations WHERE chat_id = ?", (chat_id,))

    async def submit(
        self, chat_id: int, state: str, payload: str, locale: str, now: float
    ) -> OutboxEntry:
        with self._transaction():
            await self.save_conversation(chat_id, state)
            cursor = self._db.execute(
                "INSERT INTO outbox (chat_id, payload, locale, status, next_attempt_at, "
                f"created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {OUTBOX_COLUMNS}",
                (chat_id, payload, locale, LeadStatus.PENDING.value, now, now),
            )
            row = cursor.fetchone()
        return entry_from_row(row)

    async def due_leads(self, now: float, limit: int) -> list[OutboxEntry]:
        rows = self._db.execute(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = ? AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?",
            (LeadStatus.PENDING.value, now, limit),
        ).fetchall()
        return [entry_from_row(row) for row in rows]

    async def get_lead(self, entry_id: int) -> OutboxEntry | None:
        row = self._db.execute(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (entry_id,)
        ).fetchone()
        return None if row is None else entry_from_row(row)

    async def latest_lead(self, chat_id: int) -> OutboxEntry | None:
        row = self._db.execute(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE chat_id = ? ORDER BY id DESC LIMIT 1",
            (chat_id,),
        ).fetchone()
        return None if row is None else entry_from_row(row)

    async def record_attempt(
        self,
        entry_id: int,
        *,
        attempts: int,
        next_attempt_at: float,
        create_sent: bool,
        last_error: str | None,
    ) -> None:
        self._db.execute(
            "UPDATE outbox SET attempts = ?, next_attempt_at = ?, create_sent = ?, "
            "last_error = ? WHERE id = ?",
            (attempts, next_attempt_at, int(create_sent), last_error, entry_id),
        )

    async def finish_lead(
        self, entry_id: int, status: LeadStatus, lead_ref: str | None, last_error: str | None
    ) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE outbox SET status = ?, lead_ref = ?, last_error = ? WHERE id = ?",
                (status.value, lead_ref, last_error, entry_id),
            )
            if status in FINISHED and status is not LeadStatus.FAILED:
                self._db.execute("UPDATE outbox SET payload = NULL WHERE id = ?", (entry_id,))
                self._db.execute(
                    "DELETE FROM conversations WHERE chat_id = "
                    "(SELECT chat_id FROM outbox WHERE id = ?)",
                    (entry_id,),
                )

    async def reopen_conversation(self, entry_id: int, state: str) -> None:
        with self._transaction():
            row = self._db.execute(
                "UPDATE outbox SET status = ?, payload = NULL WHERE id = ? RETURNING chat_id",
                (LeadStatus.INVALID.value, entry_id),
            ).fetchone()
            if row is not None:
                await self.save_conversation(int(row["chat_id"]), state)

    async def forget_chat(self, chat_id: int) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM conversations WHERE chat_id = ?", (chat_id,))
            self._db.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))

    async def load_config(self) -> tuple[str, float] | None:
        row = self._db.execute("SELECT config, fetched_at FROM config_cache").fetchone()
        return None if row is None else (str(row["config"]), float(row["fetched_at"]))

    async def save_config(self, config: str, fetched_at: float) -> None:
        self._db.execute(
            "INSERT INTO config_cache (id, config, fetched_at) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET config = excluded.config, "
            "fetched_at = excluded.fetched_at",
            (config, fetched_at),
        )

    async def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error (the connection is in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
