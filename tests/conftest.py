"""Fixtures: the loopback fakes, and a database URL per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import API_KEY, TOKEN, load_config


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as fake:
        yield fake


@pytest.fixture
async def pg() -> AsyncIterator[FakePerfectGym]:
    async with FakePerfectGym(load_config("everything"), API_KEY) as fake:
        yield fake


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.sqlite3'}"
