"""Fixtures: the loopback fakes, and a fresh database per test (see ``tests/databases.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.databases import database_url as database_url
from tests.databases import database_url_all_backends as database_url_all_backends
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import API_KEY, RUNNING, TOKEN, load_config
from tests.postgres_server import postgres_server as postgres_server


@pytest.fixture(autouse=True)
async def _no_bot_left_behind() -> AsyncIterator[None]:
    yield
    for process in list(RUNNING):
        if process.returncode is None:
            process.kill()
            await process.wait()
        RUNNING.discard(process)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as fake:
        yield fake


@pytest.fixture
async def pg() -> AsyncIterator[FakePerfectGym]:
    async with FakePerfectGym(load_config("everything"), API_KEY) as fake:
        yield fake
