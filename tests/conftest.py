"""Fixtures: the loopback fakes, and a fresh database per test (see ``tests/databases.py``).

Two tiers. A test is ``e2e`` when it runs the bot (or its Application) against the fakes, starts
a real process, uses PostgreSQL or is a benchmark; every other test is pure and runs in the fast
tier, ``pytest -m "not e2e"``, which also tries fewer examples of each property. The mark is
given here from the fixtures a test asks for (``tg``, ``pg``, ``database_url``, the PostgreSQL
run of ``database_url_all_backends``), so a new test of the whole bot is e2e without saying so.
A test that starts a process or reaches PostgreSQL on its own is marked by hand
(``@pytest.mark.e2e``), and one that forgets fails at its first attempt (``_pure_unless_e2e``).
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from hypothesis import settings

from bot.standin.trials import TrialStudio
from tests.databases import database_url as database_url
from tests.databases import database_url_all_backends as database_url_all_backends
from tests.databases import storage as storage
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.fuzzing import FAST
from tests.harness import API_KEY, RUNNING, TOKEN, Clock, load_config
from tests.postgres_server import postgres_server as postgres_server

E2E = "e2e"
# The fixtures that start the bot's fakes or give it its database.
WHOLE_BOT_FIXTURES = frozenset({"tg", "pg", "database_url"})


def pytest_configure(config: pytest.Config) -> None:
    """The fast tier tries fewer examples per property (``tests/fuzzing.py``); the full suite,
    without a mark expression, tries them all."""
    if "not e2e" in (config.option.markexpr or ""):
        settings.load_profile(FAST)


def _is_e2e(item: pytest.Item) -> bool:
    if item.get_closest_marker(E2E) is not None:
        return True
    if WHOLE_BOT_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_url_all_backends") == "postgres"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_e2e(item) and item.get_closest_marker(E2E) is None:
            item.add_marker(E2E)


class _ProcessInFastTier(subprocess.Popen[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("this test starts a process: mark it @pytest.mark.e2e")


async def _postgres_in_fast_tier(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("this test uses PostgreSQL: mark it @pytest.mark.e2e")


@pytest.fixture(autouse=True)
def _pure_unless_e2e(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keeps the fast tier fast and honest: an unmarked test may not start a process or use
    PostgreSQL (asyncio's subprocesses go through ``subprocess.Popen`` too)."""
    if request.node.get_closest_marker(E2E) is not None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess, "Popen", _ProcessInFastTier)
        patch.setattr(asyncpg, "connect", _postgres_in_fast_tier)
        patch.setattr(asyncpg, "create_pool", _postgres_in_fast_tier)
        yield


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
def noon() -> Clock:
    """The time a test that books trials runs at, for the bot (``running_bot(env,
    clock=noon)``) and ``pg``'s trial studio alike: the next noon in Berlin, whatever the hour
    the suite runs at. Then the studio's next Yoga class (18:30, on Saturdays 10:00) is hours
    ahead, well before it closes for booking an hour before its start, and a weekday still has
    appointment hours left; the weekday itself still varies with the date."""
    clock = Clock()
    clock.to_berlin(12)
    return clock


@pytest.fixture
async def pg(noon: Clock) -> AsyncIterator[FakePerfectGym]:
    """The fake PerfectGym; its trial studio's slots are planned around ``noon``'s time."""
    trials = TrialStudio(clock=noon.moment)
    async with FakePerfectGym(load_config("everything"), API_KEY, trials=trials) as fake:
        yield fake
