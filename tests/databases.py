"""A fresh, empty database per test: SQLite for the whole bot, every backend for storage.

Three fixtures, chosen by name in a test's signature:

* ``database_url`` is SQLite only. The full-bot end-to-end tests use it: they test the dialogue,
  Telegram and PerfectGym, and the storage backend underneath is not what they check.
* ``database_url_all_backends`` runs the test once on SQLite and once on PostgreSQL. The storage
  contract (``test_storage.py``), the restarts of a real process (``test_restarts.py``) and the
  outbox end to end (``test_outbox_e2e.py``) use it: there the backend's behaviour is the point.
* ``storage`` is the bot's storage opened on that database, for the storage suites.

PostgreSQL comes from ``TEST_DATABASE_URL`` (``scripts/start-postgres.sh`` prints one): each test
gets its own database on that server, dropped afterwards. Locally a missing server skips those
tests; in CI it fails them, so a broken setup cannot pass as green.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.storage import Storage, open_storage
from tests.required import missing

# PostgreSQL runs are e2e: the fast tier (``-m "not e2e"``) keeps the SQLite ones.
BACKENDS = ("sqlite", pytest.param("postgres", marks=pytest.mark.e2e))


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def _database_url(admin_url: str, name: str) -> str:
    """The admin URL pointed at another database, in the ``postgres://`` form PaaS add-ons use."""
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(scheme="postgres", path=f"/{name}"))


@contextlib.asynccontextmanager
async def fresh_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/bot-{uuid.uuid4().hex}.sqlite3"
        return
    if backend != "postgres":
        raise ValueError(f"unknown backend {backend!r}")
    admin_url = postgres_admin_url()
    if admin_url is None:
        missing("PostgreSQL is not available: TEST_DATABASE_URL is not set")
    name = f"test_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield _database_url(admin_url, name)
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """SQLite, for the end-to-end tests of the whole bot."""
    async with fresh_database_url("sqlite", tmp_path) as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def database_url_all_backends(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """Each backend in turn, for the suites whose subject is storage."""
    async with fresh_database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def storage(database_url_all_backends: str) -> AsyncIterator[Storage]:
    """The bot's storage opened on each backend in turn (its schema made), closed afterwards."""
    opened = await open_storage(database_url_all_backends)
    try:
        yield opened
    finally:
        await opened.close()
