"""Polling mode with several instances: only the leader calls ``getUpdates``.

Telegram answers a second ``getUpdates`` caller with 409 Conflict, so instances on one
PostgreSQL elect one poller by an advisory lock (``Storage.acquire_leadership``). The others
keep their outbox going and ask again every ``interval`` seconds, so when the leader stops (a
rolling deploy's SIGTERM) or dies, one of them polls within a few seconds. Updates wait at
Telegram meanwhile; none is lost. On SQLite there is one process, always the leader.

The leader's loop is its own rather than python-telegram-bot's ``Updater``, which confirms every
update as soon as it is fetched: here an update is confirmed (``getUpdates``' offset moved past
it) only once processed, and one the bot could not store (the database away) stays with Telegram
and is processed again after a pause, so the prospect need not send it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import Update
from telegram.error import TelegramError

from bot.storage.errors import failure_cause
from bot.storage.leadership import Leadership
from bot.telegram.application import AnyApplication
from bot.telegram.unstored import UnstoredUpdates

log = logging.getLogger(__name__)

INTERVAL = 2.0
LONG_POLL_SECONDS = 10
# After a failed getUpdates, or an update left unstored: 1 s, doubling up to 30 s.
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0
# While Telegram only returns updates already being processed, how long to wait for one of them
# to be stored before asking again (it returns those at once, so asking at once would spin).
BUSY_WAIT = 1.0
# Rounds of the loop failing in a row on something other than Telegram (an answer it cannot
# read, a fault of the bot's) before /health says polling is stuck: one may pass, three do not.
STUCK_AFTER = 3


# python-telegram-bot's loggers that quote the raw answer of a getUpdates it cannot read.
PTB_BOT_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot")


class _WithoutReceivedData(logging.Filter):
    """python-telegram-bot logs the whole ``getUpdates`` answer it cannot read, at CRITICAL:
    prospects' messages, names and phone numbers. The line keeps what happened, not the data
    (our own line names the cause)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "Received data was" in record.msg:
            record.msg = "Error while parsing updates (what Telegram sent is not logged)"
            record.args = ()
        return True


def quiet_received_data() -> None:
    """Install the filter on python-telegram-bot's loggers, once."""
    for name in PTB_BOT_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _WithoutReceivedData) for f in logger.filters):
            logger.addFilter(_WithoutReceivedData())


class Poller:
    def __init__(
        self,
        application: AnyApplication,
        storage: Leadership,
        *,
        allowed_updates: list[str],
        unstored: UnstoredUpdates,
        interval: float = INTERVAL,
        on_change: Callable[[bool], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._application = application
        self._storage = storage
        self._allowed_updates = allowed_updates
        self._unstored = unstored
        self._interval = interval
        self._on_change = on_change
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._feed: UpdateFeed | None = None
        quiet_received_data()

    @property
    def leading(self) -> bool:
        return self._feed is not None

    def problem(self) -> str | None:
        """Why this instance's polling cannot go on (for /health), or None while it can."""
        return None if self._feed is None else self._feed.problem

    async def start(self) -> None:
        """One election now, so a lone instance polls before it reports ready; then keep
        watching in the background."""
        await self._step()
        if not self.leading:
            log.info("another instance polls Telegram; this one stands by")
        self._task = asyncio.create_task(self._watch(), name="poller")

    async def stop(self) -> None:
        """Stop polling first, then let go of the leadership, so the next poller starts only
        once this one's last getUpdates is done."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._stop_polling()
        await self._storage.release_leadership()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._step()
            except Exception as exc:  # a database hiccup: the next step tries again
                log.warning("poller election failed (%s)", failure_cause(exc))

    async def _step(self) -> None:
        if self.leading:
            if not await self._storage.leadership_alive():
                log.warning("lost the poller lock with its database connection; stop polling")
                await self._stop_polling()
            return
        if await self._storage.acquire_leadership():
            self._feed = UpdateFeed(
                self._application, self._unstored, self._allowed_updates, self._sleep
            )
            self._feed.start()
            log.info("polling for updates")
            self._changed()

    async def _stop_polling(self) -> None:
        feed, self._feed = self._feed, None
        if feed is not None:
            await feed.stop()
            self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self.leading)


class UpdateFeed:
    """One leader's ``getUpdates`` loop.

    Updates go to the application's per-chat update processor as they arrive (different chats
    side by side, one chat's in order), without waiting for earlier ones to finish. The offset
    confirms only what lies below the oldest update still being processed or left unstored; a
    chat with an unstored update has its later ones left unstored too, so that after the pause
    the chat's updates are applied in their order.
    """

    def __init__(
        self,
        application: AnyApplication,
        unstored: UnstoredUpdates,
        allowed_updates: list[str],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._app = application
        self._unstored = unstored
        self._allowed_updates = allowed_updates
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._offset: int | None = None  # the oldest update not confirmed yet (None: unknown)
        self._confirmed: int | None = None  # the offset Telegram was last given
        self._running: dict[int, asyncio.Task[bool]] = {}
        self._stored: set[int] = set()  # processed, not confirmed yet
        self._stored_early: set[int] = set()  # stored, their replies still on the way
        self._progress = asyncio.Event()  # an update was stored or finished
        self._failed: set[int] = set()  # left unstored, to be fetched and processed again
        self._held_chats: set[int] = set()
        self._retrying = False  # the pause is over: the unstored ones go in again
        self._pause = 0.0
        self._failures = 0  # rounds failed in a row on something other than Telegram
        self._failure = ""  # the last one's cause

    def start(self) -> None:
        self._unstored.on_stored = self._stored_now
        self._task = asyncio.create_task(self._run(), name="getUpdates")
        self._task.add_done_callback(self._ended)

    @property
    def problem(self) -> str | None:
        """Why polling cannot go on: the loop ended, or keeps failing; None while it goes on."""
        if self._task is not None and self._task.done() and not self._task.cancelled():
            return f"polling stopped ({self._failure or 'ended'})"
        if self._failures >= STUCK_AFTER:
            return f"polling failed {self._failures} times in a row ({self._failure})"
        return None

    def _ended(self, task: asyncio.Task[None]) -> None:
        """The loop catches everything it can go on after; what still ends it is logged."""
        if task.cancelled():
            return
        error = task.exception()
        self._failure = _cause(error) if error is not None else "ended"
        log.error("polling for updates stopped (%s)", self._failure)

    def _stored_now(self, update_id: int) -> None:
        """The update's answer is stored (its replies are on their way): it may be confirmed,
        and the long poll for newer ones need not wait for the sending."""
        if update_id in self._running:
            self._stored_early.add(update_id)
            self._progress.set()

    async def stop(self) -> None:
        """The last long poll cancelled, the updates in flight finished, and what they stored
        confirmed, so the next poller (here or in another instance) starts after them."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
        self._advance()
        if self._offset is not None and self._offset != self._confirmed:
            with contextlib.suppress(TelegramError):
                await self._app.bot.get_updates(offset=self._offset, timeout=0, limit=1)

    async def _run(self) -> None:
        while True:
            try:
                await self._round()
            except TelegramError as exc:
                self._lengthen_pause()
                log.warning(
                    "getUpdates failed (%s); again in %g s", type(exc).__name__, self._pause
                )
                await self._sleep(self._pause)
            except Exception as exc:  # anything else: said why, and tried again after a pause
                self._failures += 1
                self._failure = _cause(exc)
                self._lengthen_pause()
                log.error(
                    "polling for updates failed (%s); again in %g s", self._failure, self._pause
                )
                await self._sleep(self._pause)
            else:
                self._failures = 0

    async def _round(self) -> None:
        """One ``getUpdates`` and what it brought."""
        if self._failed and not self._running:
            await self._retry_pause()
        updates = await self._app.bot.get_updates(
            offset=self._offset,
            timeout=LONG_POLL_SECONDS,
            allowed_updates=self._allowed_updates,
        )
        self._confirmed = self._offset
        known = self._running.keys() | self._stored
        if not self._retrying:
            known |= self._failed
        fresh = [update for update in updates if update.update_id not in known]
        self._retrying = False
        for update in fresh:
            self._dispatch(update)
        if not fresh and self._running.keys() - self._stored_early:
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), BUSY_WAIT)
        self._advance()

    def _lengthen_pause(self) -> None:
        """1 s after the first failure (of getUpdates, or to store), doubling up to 30 s."""
        self._pause = min(max(self._pause * 2, FIRST_PAUSE), LONGEST_PAUSE)

    async def _retry_pause(self) -> None:
        self._lengthen_pause()
        log.warning(
            "%d update(s) not stored; fetching them again in %g s", len(self._failed), self._pause
        )
        await self._sleep(self._pause)
        self._held_chats.clear()
        self._retrying = True

    def _dispatch(self, update: Update) -> None:
        task = asyncio.create_task(self._process(update))
        self._running[update.update_id] = task
        self._failed.discard(update.update_id)
        task.add_done_callback(lambda done: self._finished(update, done))

    async def _process(self, update: Update) -> bool:
        """Whether the update is done with (applied, or deliberately dropped)."""
        chat = update.effective_chat.id if update.effective_chat is not None else None

        async def apply() -> None:
            if chat is not None and chat in self._held_chats:
                self._unstored.note(update.update_id)  # behind an unstored one: after it
                return
            await self._app.process_update(update)

        await self._app.update_processor.process_update(update, apply())
        return not self._unstored.take(update.update_id)

    def _finished(self, update: Update, task: asyncio.Task[bool]) -> None:
        del self._running[update.update_id]
        self._progress.set()
        stored = True
        if not task.cancelled():
            error = task.exception()
            if error is not None:
                log.error("processing an update failed: %s", type(error).__name__)
            else:
                stored = task.result()
        if update.update_id in self._stored_early:
            # Stored before its replies went out: confirmed already, whatever failed after.
            self._stored_early.discard(update.update_id)
            stored = True
        if stored:
            self._stored.add(update.update_id)
            if not self._failed:
                self._pause = 0.0
            return
        self._failed.add(update.update_id)
        if update.effective_chat is not None:
            self._held_chats.add(update.effective_chat.id)

    def _advance(self) -> None:
        """The offset: the oldest update still running or unstored, else past the newest."""
        pending = (self._running.keys() - self._stored_early) | self._failed
        known = pending | self._stored | self._stored_early
        if not known:
            return
        self._offset = min(pending) if pending else max(known) + 1
        self._stored = {update_id for update_id in self._stored if update_id >= self._offset}


def _cause(exc: BaseException) -> str:
    """An exception as a log line may name it: its type (the database's message for a storage
    failure) and where it was raised, never its text, which may quote an update's content."""
    cause = failure_cause(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return cause
    last = frames[-1]
    return f"{cause} in {Path(last.filename).name}:{last.lineno} {last.name}"
