"""SQLite failing under the running bot, beyond polling with a full disk (tests/test_store_faults.py):
in webhook mode a full disk makes the bot answer 5xx so that Telegram delivers the update again;
a database whose files are made unwritable while the bot runs is named as the cause in its log,
``/health`` answers 503, the process lives on and carries on once the files are writable again.

A full disk is a small tmpfs filled for real, an unwritable file one made immutable
(``chattr +i``), which refuses writes even to a file already open, and even to root, where
``chmod`` stops neither. Both need root: skipped without it, failed under CI (tests/required.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import (
    TOKEN,
    BotProcess,
    Prospect,
    bot_environment,
    free_port,
    load_config,
    run_command,
    running_bot,
)
from tests.required import missing, require_tool
from tests.test_store_faults import (
    METRICS_TOKEN,
    _assert_one_lead_and_no_retype,
    _exists,
    _fill,
    _finish,
    _next,
    _until_handled,
    _until_health,
)

SECRET = "webhook-secret-0123456789"
FULL = "database or disk is full"
UNWRITABLE = r"storage: disk I/O error \(bot\.sqlite3(-wal)? is not writable by this process\)"


@pytest.fixture
async def redelivering_tg() -> AsyncIterator[FakeTelegram]:
    """Telegram delivering an update again 0.2 s after the bot answered it other than 200."""
    async with FakeTelegram(TOKEN, webhook_redelivery_seconds=0.2) as fake:
        yield fake


def _webhook(port: int) -> dict[str, str]:
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook",
        "PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN_HOST": "127.0.0.1",
        "METRICS_TOKEN": METRICS_TOKEN,  # the webhook port serves /metrics only with it
    }


# What a scraper sends for /metrics (the tests count processed updates there).
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@contextlib.contextmanager
def _small_disk(path: Path) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        missing(f"cannot mount a small tmpfs (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


async def test_webhook_a_full_disk_answers_503_and_the_update_is_applied_once_there_is_room(
    redelivering_tg: FakeTelegram,
    pg: FakePerfectGym,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tg = redelivering_tg
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    with _small_disk(tmp_path / "disk") as disk:
        database = disk / "bot.sqlite3"
        env = bot_environment(tg, pg, f"sqlite:///{database}", **_webhook(port))
        async with running_bot(env), httpx.AsyncClient(headers=SCRAPER) as http:
            maxi = Prospect(tg, chat_id=22201, first_name="Maxi")
            await maxi.introduce()
            await _until_handled(http, port, 1)
            filler = _fill(disk)
            with caplog.at_level(logging.WARNING):
                await maxi.send("Maxi")
                unhealthy = await _until_health(http, port, 503)
                assert unhealthy.json() == {
                    "status": "unavailable",
                    "reason": f"storage: {FULL}",
                }
                # Refused, and delivered again while the disk stays full: refused again.
                await _until(lambda: len(_answered(tg)) >= 2, "the update delivered again")
            assert any(FULL in record.getMessage() for record in caplog.records)
            assert not [r for r in caplog.records if "unhandled" in r.getMessage()]
            filler.unlink()
            await _next(tg, maxi.chat_id, "last name")
            await _finish(maxi, pg)
            assert (await _until_health(http, port, 200)).json() == {"status": "ok"}
            assert not _exists(f"{database}-shm")
    answered = _answered(tg)
    assert {problem for _, problem in answered} == {"HTTP 503"}
    assert len({update_id for update_id, _ in answered}) == 1  # "Maxi" alone
    _assert_one_lead_and_no_retype(tg, pg, maxi.chat_id)


def _answered(tg: FakeTelegram) -> list[tuple[int, str]]:
    """The refusals the bot answered (a loaded machine may also refuse a connection now and
    then, which Telegram retries like any other failure: not the bot's answer)."""
    return [
        (update, problem) for update, problem in tg.webhook_refusals if problem.startswith("HTTP ")
    ]


async def _until(condition: Callable[[], object], what: str, within: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0.05)


# --- files made unwritable while the bot runs ----------------------------------------------------


def _chattr(flag: str, *paths: Path) -> None:
    chattr = require_tool("chattr")
    done = subprocess.run([chattr, flag, *map(str, paths)], capture_output=True)
    if done.returncode != 0:
        missing(f"chattr {flag} refused here (needs root): {done.stderr.decode().strip()}")


@contextlib.contextmanager
def _immutable_files_refuse_open_writers(folder: Path) -> Iterator[None]:
    """Skip (fail under CI) unless this file system refuses a write to an open immutable file,
    as ext4 does (tmpfs does not)."""
    probe = folder / "probe"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        _chattr("+i", probe)
        try:
            os.write(fd, b"x")
        except PermissionError:
            pass
        else:
            missing(f"the file system of {folder} lets an open immutable file be written")
        finally:
            _chattr("-i", probe)
        yield
    finally:
        os.close(fd)
        probe.unlink()


@contextlib.contextmanager
def _unwritable(folder: Path) -> Iterator[list[Path]]:
    """The folder and every file in it immutable until the block ends (or the test fails)."""
    frozen = [folder, *sorted(folder.iterdir())]
    _chattr("+i", *frozen)
    try:
        yield frozen
    finally:
        _chattr("-i", *frozen)


def _log_entries(bot: BotProcess) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for line in bot.log().splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_sqlite_files_made_unwritable_name_the_cause_and_the_bot_carries_on_after(
    redelivering_tg: FakeTelegram, pg: FakePerfectGym, tmp_path: Path, mode: str
) -> None:
    tg = redelivering_tg
    pg.set_config(load_config("all-inactive"))
    folder = tmp_path / "data"
    folder.mkdir()
    port = free_port()
    extra = _webhook(port) if mode == "webhook" else {"METRICS_PORT": str(port)}
    env = bot_environment(tg, pg, f"sqlite:///{folder / 'bot.sqlite3'}", **extra)
    bot = BotProcess(env, tg, tmp_path / "bot.log")
    with _immutable_files_refuse_open_writers(folder):
        await bot.start(webhook=mode == "webhook")
        try:
            async with httpx.AsyncClient(headers=SCRAPER) as http:
                maxi = Prospect(tg, chat_id=22202, first_name="Maxi")
                await maxi.introduce()
                await _until_handled(http, port, 1)
                with _unwritable(folder):
                    await maxi.send("Maxi")
                    unhealthy = await _until_health(http, port, 503)
                    reason = unhealthy.json()["reason"]
                    # SQLite says only "disk I/O error"; the bot says which file it could not write.
                    assert re.fullmatch(UNWRITABLE, reason), reason
                    await _until(lambda: reason.removeprefix("storage: ") in bot.log(), "logged")
                    assert bot.returncode is None  # alive, and still answering
                    assert (await _until_health(http, port, 503)).json()["reason"] == reason
                await _next(tg, maxi.chat_id, "last name")
                await _finish(maxi, pg)
                assert (await _until_health(http, port, 200)).json() == {"status": "ok"}
        finally:
            alive = bot.returncode is None
            log = bot.log()
            if alive:
                await bot.stop(signal.SIGTERM)
    assert alive, log
    failures = [e for e in _log_entries(bot) if reason.removeprefix("storage: ") in str(e)]
    assert failures
    assert all(entry["level"] in ("warning", "error") for entry in failures)
    assert "Traceback" not in log
    assert "unhandled" not in log
    _assert_one_lead_and_no_retype(tg, pg, maxi.chat_id)


async def test_start_with_an_unwritable_sqlite_file_exits_with_one_line_naming_it(
    tg: FakeTelegram, pg: FakePerfectGym, tmp_path: Path
) -> None:
    """Found before SQLite opens it (``access`` honours the immutable flag on any file system)."""
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "bot.sqlite3"
    env = bot_environment(tg, pg, f"sqlite:///{database}", DATABASE_WAIT_SECONDS="1")
    database.write_bytes(b"")  # an empty database: SQLite makes its tables in it
    with _unwritable(folder):
        status, _, stderr = await run_command(env=env)
    assert status == 1
    lines = stderr.strip().splitlines()
    assert lines[-1] == f"database unavailable: {folder} is not writable by this process"
    assert "Traceback" not in stderr
