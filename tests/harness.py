"""Running the real bot in-process against the loopback fakes, and playing a prospect."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.chain.roster import roster_from_settings
from bot.events.booking_events import BookingEvents
from bot.runtime import serve
from bot.settings import Settings, load_settings
from bot.studio.texts import StudioTexts
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, SentMessage, is_settle

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnop"
API_KEY = "pg-test-key-0123456789abcdef"
CONFIGS = Path(__file__).parent / "configs"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port nothing listens on now, for a server a test starts (webhook, metrics)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def load_config(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONFIGS / f"{name}.json").read_text())
    return data


def bot_environment(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, **extra: str
) -> dict[str, str]:
    env = {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "PERFECTGYM_API_URL": pg.url,
        "PERFECTGYM_API_KEY": API_KEY,
        "DATABASE_URL": database_url,
        "PERFECTGYM_TIMEOUT_SECONDS": "5",
    }
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def running_bot(
    env: dict[str, str],
    texts: StudioTexts | None = None,
    clock: Callable[[], float] = time.time,
    booking_events: BookingEvents | None = None,
) -> AsyncIterator[Settings]:
    """The production ``serve`` coroutine, stopped the way SIGTERM stops it."""
    settings = load_settings(env)
    if texts is None:
        texts = StudioTexts.load(settings.studio_texts_file, privacy_url=settings.privacy_url)
    stop, ready = asyncio.Event(), asyncio.Event()
    roster = roster_from_settings(settings, env)
    task = asyncio.create_task(
        serve(settings, texts, stop, ready, clock, roster=roster, booking_events=booking_events)
    )
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()
        raise RuntimeError("the bot stopped before it was ready")
    try:
        yield settings
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def run_command(*args: str, env: dict[str, str]) -> tuple[int, list[str], str]:
    """``python -m bot ARGS`` as an operator runs it, configured by ``env`` alone (none of this
    machine's own bot settings leak in): exit status, stdout lines, stderr."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("TELEGRAM_", "PERFECTGYM_", "WEBHOOK_", "DATABASE_", "STUDIO_", "STUDIOS_")
        )
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**clean, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode().splitlines(), err.decode()


class Clock:
    """The bot's time: real time moved on by ``offset`` seconds."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def to_berlin(self, hour: int, minute: int = 0) -> None:
        """Move to the next ``hour:minute`` in Berlin (before anything is answered)."""
        earliest = datetime.datetime.fromtimestamp(self(), ZoneInfo("Europe/Berlin"))
        target = earliest.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if target < earliest:
            target += datetime.timedelta(days=1)
        self.offset += target.timestamp() - self()

    def forward(self, seconds: float) -> None:
        self.offset += seconds

    def moment(self) -> datetime.datetime:
        """The same time as an aware date-time: the clock a fake trial studio goes by, so the
        studio and the bot agree on what is past."""
        return datetime.datetime.fromtimestamp(self(), datetime.UTC)

    def berlin_today(self) -> datetime.date:
        """This clock's date in Berlin, the day the funnel counts the bot's steps on."""
        return datetime.datetime.fromtimestamp(self(), ZoneInfo("Europe/Berlin")).date()


@dataclass
class Prospect:
    """One person chatting with the bot through the fake Telegram server."""

    tg: FakeTelegram
    chat_id: int
    language_code: str | None = "en"
    first_name: str = "Pat"

    async def send(self, text: str) -> None:
        await self.tg.send_text(
            self.chat_id, text, language_code=self.language_code, first_name=self.first_name
        )

    async def share_contact(self, phone: str) -> None:
        await self.tg.send_contact(self.chat_id, phone, language_code=self.language_code)

    async def next(self) -> SentMessage:
        """The bot's next message or edit with something to read, passing over settles (edits
        that only take an answered question's buttons away, or add the answer under it)."""
        while True:
            message = await self.tg.next_message(self.chat_id)
            if not is_settle(message):
                return message

    async def expect_eventually(self, *fragments: str, skip: int = 5) -> SentMessage:
        """Like expect, but first passes over up to ``skip`` other messages (repeats after a
        restart are allowed: the bot may ask the current question again)."""
        for _ in range(skip + 1):
            message = await self.next()
            if all(fragment in (message.text or "") for fragment in fragments):
                return message
        raise AssertionError(f"no message with {fragments!r}")

    async def expect(self, *fragments: str) -> SentMessage:
        """The bot's next message, which must contain every fragment."""
        message = await self.next()
        for fragment in fragments:
            assert fragment in (message.text or ""), (
                f"expected {fragment!r} in the bot's message {message.text!r}"
            )
        return message

    async def press(self, message: SentMessage, label: str) -> None:
        await self.tg.press(
            self.chat_id,
            message.button_data(label),
            message_id=message.message_id,
            language_code=self.language_code,
        )

    async def answer(self, text: str, *expect_next: str) -> SentMessage:
        await self.send(text)
        return await self.expect(*expect_next)

    async def introduce(
        self,
        *answers: str,
        start: str = "/start",
        welcome: Sequence[str] = ("questions are needed",),
        count: int | None = None,
        then: Sequence[str] = ("Please check your details",),
    ) -> SentMessage:
        """The script every end-to-end test opens with: ``start``, then as many of first name,
        last name and e-mail as ``answers`` gives; returns the bot's last message.

        The welcome must contain ``welcome``; with ``count`` the three questions must show their
        progress ("1/3", "2/3", "3/3"); to an English speaker they must also name what they ask.
        After the e-mail the bot's message must contain ``then``: by default the summary, which a
        name-and-e-mail config (``all-inactive``) reaches there.
        """
        assert len(answers) <= 3, "the script answers three questions"
        english = self.language_code is None or self.language_code.startswith("en")
        asks = [[f"{number}/{count}"] if count else [] for number in (1, 2, 3)]
        if english:
            for ask, words in zip(asks, ("first name", "last name", "e-mail"), strict=True):
                ask.append(words)
        await self.send(start)
        message = await self.expect(*welcome, *asks[0])
        for answer, expected in zip(answers, [*asks[1:], then], strict=False):
            message = await self.answer(answer, *expected)
        return message

    async def confirm_lead(self, first: str, last: str, email: str) -> None:
        await self.press(await self.introduce(first, last, email), "Yes, send it")

    async def choose(self, message: SentMessage, label: str, *expect_next: str) -> SentMessage:
        await self.press(message, label)
        return await self.expect(*expect_next)


def created_leads(pg: FakePerfectGym) -> list[dict[str, Any]]:
    return list(pg.created)


# Bot processes still running; tests/conftest.py kills them after each test, so a failed test
# leaves no bot behind to poll the next test's fake or load the machine.
RUNNING: set[asyncio.subprocess.Process] = set()


class BotProcess:
    """The bot as its own OS process (``python -m bot``), to be killed like a dyno is."""

    def __init__(self, env: dict[str, str], tg: FakeTelegram, log_path: Path) -> None:
        self._env = env
        self._tg = tg
        self._log_path = log_path
        self._process: asyncio.subprocess.Process | None = None

    async def start(self, *, standby: bool = False, webhook: bool = False) -> None:
        """Wait until it polls, or (``standby``) until it says another instance does, or
        (``webhook``) until it serves the webhook it set."""
        polls_before = self._tg.method_calls("getUpdates")
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "PERFECTGYM_", "WEBHOOK_", "DATABASE_"))
        }
        log_file = self._log_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env={**clean, **self._env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            cwd=ROOT,
        )
        log_file.close()
        RUNNING.add(self._process)
        for _ in range(600):
            if standby and "this one stands by" in self.log():
                return
            if webhook and "serving webhook on port" in self.log():
                return
            if not standby and self._tg.method_calls("getUpdates") > polls_before:
                return
            if self._process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"the bot did not start polling:\n{self._log_path.read_text()}")

    def log(self) -> str:
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""

    @property
    def pid(self) -> int:
        assert self._process is not None, "not running"
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """None while the process runs (or before it started): how a test sees it died."""
        return None if self._process is None else self._process.returncode

    async def stop(self, sig: signal.Signals) -> int:
        assert self._process is not None
        self._process.send_signal(sig)
        code = await asyncio.wait_for(self._process.wait(), 30)
        RUNNING.discard(self._process)
        self._process = None
        return code

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._process is not None:
            await self.stop(signal.SIGTERM)
