"""The database failing under the running bot: what it could not store, Telegram delivers again.

PostgreSQL is a server of this module's own (``tests/postgres_server.py``), stopped and started
for real; SQLite's disk is a small tmpfs filled up for real (root only, else skipped). Each test
checks the lead that reached PerfectGym, how many were created, and that the prospect was never
asked to send an answer again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, SentMessage, is_settle
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
from tests.postgres_server import PostgresServer
from tests.required import missing

SECRET = "webhook-secret-0123456789"
METRICS_TOKEN = "scrape-token-0123456789"
RETYPE = "send your answer again"
# Long enough for the poller's pauses (1, 2, 4 … s) while the database was away.
BACK_WITHIN = 60.0


async def _until(condition: Callable[[], object], what: str, within: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0.05)


async def _health(http: httpx.AsyncClient, port: int) -> httpx.Response:
    return await http.get(f"http://127.0.0.1:{port}/health")


async def _until_health(http: httpx.AsyncClient, port: int, status: int) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while (answer := await _health(http, port)).status_code != status:
        if loop.time() > deadline:
            raise AssertionError(f"/health never answered {status}")
        await asyncio.sleep(0.05)
    return answer


def _storage_failures(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith("leadsbot_storage_failures_total "):
            return float(line.split()[1])
    raise AssertionError("no leadsbot_storage_failures_total in /metrics")


async def _until_handled(http: httpx.AsyncClient, port: int, updates: int) -> None:
    """Until the bot has finished ``updates`` updates (it counts them once processed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while True:
        metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        if f"leadsbot_updates_total {float(updates)}" in metrics:
            return
        if loop.time() > deadline:
            raise AssertionError(f"the bot never finished {updates} updates")
        await asyncio.sleep(0.05)


async def _next(tg: FakeTelegram, chat_id: int, *fragments: str) -> SentMessage:
    """The bot's next message (settles passed over), waited for as long as a retry may take."""
    while True:
        message = await tg.next_message(chat_id, timeout=BACK_WITHIN)
        if not is_settle(message):
            break
    for fragment in fragments:
        assert fragment in (message.text or ""), f"{fragment!r} not in {message.text!r}"
    return message


async def _finish(prospect: Prospect, pg: FakePerfectGym) -> None:
    """From the last-name question on: the rest of the conversation and the confirmation."""
    await prospect.answer("Muster", "e-mail")
    summary = await prospect.answer("maxi@example.com", "Please check your details")
    assert "First name: Maxi\n" in (summary.text or "")
    assert "Last name: Muster\n" in (summary.text or "")
    await prospect.press(summary, "Yes, send it")
    await prospect.expect_eventually("Thank you, Maxi")
    await _until(lambda: len(pg.created) == 1, "the lead created")


def _assert_one_lead_and_no_retype(tg: FakeTelegram, pg: FakePerfectGym, chat_id: int) -> None:
    [lead] = pg.created
    customer = lead["leadCustomer"]
    assert (customer["firstname"], customer["lastname"], customer["email"]) == (
        "Maxi",
        "Muster",
        "maxi@example.com",
    )
    seen = [message.text or "" for message in tg.messages_to(chat_id) if not is_settle(message)]
    assert not [text for text in seen if RETYPE in text]
    # The first name was asked once; after the outage the bot went on to the last name.
    assert sum("first name?" in text for text in seen) == 1


async def _answer_during_outage(
    prospect: Prospect, server: PostgresServer, http: httpx.AsyncClient, port: int
) -> None:
    await prospect.introduce()  # the welcome, asking for the first name
    await _until_handled(http, port, 1)
    await server.stop()
    await prospect.send("Maxi")
    unhealthy = await _until_health(http, port, 503)
    assert unhealthy.json()["status"] == "unavailable"
    assert unhealthy.json()["reason"].startswith("storage: ")
    metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    assert _storage_failures(metrics) >= 1
    await server.start()


async def test_polling_an_answer_sent_while_postgresql_is_down_is_applied_once_it_is_back(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    postgres_server: PostgresServer,
) -> None:
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    env = bot_environment(tg, pg, postgres_server.url, METRICS_PORT=str(port))
    async with running_bot(env), httpx.AsyncClient() as http:
        maxi = Prospect(tg, chat_id=22001, first_name="Maxi")
        await _answer_during_outage(maxi, postgres_server, http, port)
        await _next(tg, maxi.chat_id, "last name")
        await _finish(maxi, pg)
        assert (await _until_health(http, port, 200)).json() == {"status": "ok"}
    _assert_one_lead_and_no_retype(tg, pg, maxi.chat_id)


@pytest.fixture
async def redelivering_tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN, webhook_redelivery_seconds=0.2) as fake:
        yield fake


async def test_webhook_an_update_not_stored_is_answered_503_and_redelivered(
    redelivering_tg: FakeTelegram,
    pg: FakePerfectGym,
    postgres_server: PostgresServer,
) -> None:
    tg = redelivering_tg
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    env = bot_environment(
        tg,
        pg,
        postgres_server.url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        PORT=str(port),
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN_HOST="127.0.0.1",
        METRICS_TOKEN=METRICS_TOKEN,  # the webhook port serves /metrics only with it
    )
    scraper = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with running_bot(env), httpx.AsyncClient(headers=scraper) as http:
        maxi = Prospect(tg, chat_id=22002, first_name="Maxi")
        await _answer_during_outage(maxi, postgres_server, http, port)
        await _next(tg, maxi.chat_id, "last name")
        await _finish(maxi, pg)
    # What the bot answered (a loaded machine may also refuse a connection now and then, which
    # Telegram retries like any other failure: not the bot's answer, so not asserted on).
    answered = [
        (update_id, problem)
        for update_id, problem in tg.webhook_refusals
        if problem.startswith("HTTP ")
    ]
    assert answered
    assert {problem for _, problem in answered} == {"HTTP 503"}
    assert len({update_id for update_id, _ in answered}) == 1  # "Maxi" alone
    _assert_one_lead_and_no_retype(tg, pg, 22002)


async def test_start_up_waits_for_postgresql(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    postgres_server: PostgresServer,
    tmp_path: Path,
) -> None:
    pg.set_config(load_config("all-inactive"))
    await postgres_server.stop()
    bot = BotProcess(bot_environment(tg, pg, postgres_server.url), tg, tmp_path / "bot.log")
    starting = asyncio.create_task(bot.start())
    try:
        await _until(lambda: "database unavailable" in bot.log(), "a try logged", within=60)
        await postgres_server.start()
        await starting
        maxi = Prospect(tg, chat_id=22003, first_name="Maxi")
        await maxi.introduce("Maxi")
        await bot.stop(signal.SIGTERM)
    finally:
        starting.cancel()
    tries = [line for line in bot.log().splitlines() if "database unavailable" in line]
    assert tries
    assert all(json.loads(line)["level"] == "warning" for line in tries)
    assert "Traceback" not in bot.log()


async def test_start_up_gives_up_with_one_line(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    postgres_server: PostgresServer,
) -> None:
    await postgres_server.stop()
    env = bot_environment(tg, pg, postgres_server.url, DATABASE_WAIT_SECONDS="6")
    status, _, stderr = await run_command(env=env)
    assert status == 1
    lines = stderr.strip().splitlines()
    tries = [json.loads(line) for line in lines[:-1]]
    assert [entry["level"] for entry in tries] == ["warning"]  # one try more after 5 s
    assert "database unavailable (" in tries[0]["event"]
    assert lines[-1].startswith("database unavailable: ")
    assert "Connect call failed" in lines[-1] or "refused" in lines[-1].lower()
    assert "Traceback" not in stderr


@contextlib.contextmanager
def _small_disk(path: Path) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        missing("cannot mount a small tmpfs here (needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _exists(path: str) -> bool:
    return os.path.exists(path)


def _fill(folder: Path) -> Path:
    """Every free block taken, written unbuffered until the disk says it is full."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    return filler


async def test_sqlite_disk_full_names_its_cause_and_the_answer_is_applied_once_there_is_room(
    tg: FakeTelegram, pg: FakePerfectGym, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    with _small_disk(tmp_path / "disk") as disk:
        database = disk / "bot.sqlite3"
        env = bot_environment(tg, pg, f"sqlite:///{database}", METRICS_PORT=str(port))
        async with running_bot(env), httpx.AsyncClient() as http:
            # Exclusive locking: SQLite keeps its WAL index in memory, no -shm file to map.
            assert not _exists(f"{database}-shm")
            maxi = Prospect(tg, chat_id=22004, first_name="Maxi")
            await maxi.introduce()
            await _until_handled(http, port, 1)  # /start's message ids stored too
            filler = _fill(disk)
            with caplog.at_level(logging.WARNING):
                await maxi.send("Maxi")
                unhealthy = await _until_health(http, port, 503)
            assert unhealthy.json()["reason"] == "storage: database or disk is full"
            assert any(
                "database or disk is full" in record.getMessage() for record in caplog.records
            )
            assert not [r for r in caplog.records if "unhandled" in r.getMessage()]
            filler.unlink()
            await _next(tg, maxi.chat_id, "last name")
            await _finish(maxi, pg)
            assert not _exists(f"{database}-shm")
    _assert_one_lead_and_no_retype(tg, pg, maxi.chat_id)
