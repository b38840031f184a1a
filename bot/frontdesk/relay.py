"""The relay worker: sends what the front desk queued (``bot/storage/relays.py``), in order per
thread and direction, exactly once across restarts and instances as far as Telegram allows.

An update handler only stores; this worker talks to Telegram, through a :class:`Courier` (the
Telegram side implements it, so this package knows no Bot API). It creates the staff's topic
(or, in a group without topics, the header message) when a thread's first relay goes out, copies
messages (``copyMessage``: no staff member's account is shown to the prospect, nor the bot's
private chat to staff), retries what Telegram refuses for a passing reason (429 after its
``retry_after``, 5xx, timeouts) and tells staff once when a prospect blocked the bot.

The gap left is Telegram's: a copy that landed but whose answer was lost (a killed process
between the send and its "done") is sent again by whoever takes the relay over; the bot waits
for in-flight sends on a graceful stop, so a deploy does not open that gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bot.logging_setup import chat_ref
from bot.storage.relays import Direction, NewRelay, Relay, RelayKind, RelayRecords
from bot.storage.threads import Thread, ThreadRecords
from conversations.i18n import Translator

log = logging.getLogger(__name__)

BATCH = 50
HOLD_SECONDS = 60.0
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
GIVE_UP_SECONDS = 24 * 3600.0
# Looked for this often when nothing is known to be pending (another instance may have queued
# some, or died holding them).
IDLE_SECONDS = 2.0
MAX_TOPIC_NAME = 128


class RelayError(Exception):
    """Telegram did not take a relay."""


class Retry(RelayError):
    """A passing failure (429, 5xx, a timeout): try again, not before ``after`` seconds."""

    def __init__(self, after: float | None = None) -> None:
        super().__init__(f"retry after {after}")
        self.after = after


class Blocked(RelayError):
    """The target chat refuses the bot (403): the prospect blocked it, or the bot left the group."""


class Refused(RelayError):
    """Telegram refused it for good (400: the message is gone, the topic was deleted, ...)."""


@dataclass(frozen=True)
class Place:
    """Where a message goes: a chat, a forum topic in it, or under a header message in it."""

    chat_id: int
    topic_id: int | None = None
    reply_to: int | None = None


class Courier(Protocol):
    """The Bot API calls the front desk needs; each raises a :class:`RelayError` on failure."""

    async def is_forum(self, chat_id: int) -> bool: ...

    async def create_topic(self, chat_id: int, name: str) -> int:
        """A new forum topic; its ``message_thread_id``."""
        ...

    async def reopen_topic(self, chat_id: int, topic_id: int) -> None: ...

    async def close_topic(self, chat_id: int, topic_id: int) -> None: ...

    async def rename_topic(self, chat_id: int, topic_id: int, name: str) -> None:
        """``editForumTopic``: the topic's title."""
        ...

    async def edit_text(self, chat_id: int, message_id: int, text: str) -> None:
        """``editMessageText`` of one of the bot's own messages."""
        ...

    async def delete(self, chat_id: int, message_ids: tuple[int, ...]) -> None:
        """``deleteMessages``: the bot's own messages (Telegram lets a bot delete those for
        48 hours; older ones stay)."""
        ...

    async def copy(self, to: Place, from_chat_id: int, message_id: int) -> int:
        """``copyMessage``; the copy's message id."""
        ...

    async def say(self, to: Place, text: str) -> int:
        """The bot's own text; its message id."""
        ...


class RelayStore(ThreadRecords, RelayRecords, Protocol):
    """What the worker reads and writes."""


def topic_name(name: str, campaign: str | None) -> str:
    """The topic's title: the prospect's first name and the campaign, within Telegram's 128."""
    title = f"{name} · {campaign}" if campaign else name
    return title if len(title) <= MAX_TOPIC_NAME else title[: MAX_TOPIC_NAME - 1] + "…"


def staff_place(thread: Thread) -> Place:
    """Where the thread's messages go in the staff chat (its topic must exist)."""
    if thread.forum:
        return Place(thread.staff_chat_id, topic_id=thread.topic_id)
    return Place(thread.staff_chat_id, reply_to=thread.topic_id)


def retry_delay(attempts: int) -> float:
    return float(min(MAX_DELAY, FIRST_DELAY * 2.0 ** min(attempts, 16)))


class Relayer:
    """The background sweep over the relay queue; :meth:`wake` after queueing something."""

    def __init__(
        self,
        storage: RelayStore,
        courier: Courier,
        *,
        staff_locale: str,
        clock: Callable[[], float] = time.time,
        idle: float = IDLE_SECONDS,
    ) -> None:
        self._storage = storage
        self._courier = courier
        self._staff_locale = staff_locale
        self._clock = clock
        self._idle = idle
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._wake.set()  # relays left by a stopped process are looked for at once
            self._task = asyncio.create_task(self._run(), name="front desk relays")

    async def stop(self) -> None:
        """Let the send under way finish (its "done" stored), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), 20)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle):
                    await self._wake.wait()
            self._wake.clear()
            try:
                while not self._stopping and await self.run_due():
                    pass  # the next of each thread's relays is claimable now
            except Exception:
                log.warning("relaying failed; trying again shortly", exc_info=True)

    async def run_due(self) -> int:
        """Send what is due, the oldest of each thread's lane; the number of relays claimed."""
        now = self._clock()
        claimed = await self._storage.claim_relays(now, now + HOLD_SECONDS, BATCH)
        for relay in claimed:
            if self._stopping:
                await self._storage.retry_relay(relay.id, now)  # let the next process have it
                continue
            await self._one(relay)
        return len(claimed)

    async def _one(self, relay: Relay) -> None:
        now = self._clock()
        thread = await self._storage.thread(relay.chat_id)
        if thread is None:  # forgotten meanwhile: nothing more goes either way
            await self._storage.relay_failed(relay.id)
            return
        if now - relay.created_at > GIVE_UP_SECONDS:
            log.warning("chat %s: a relay not taken for a day is dropped", chat_ref(relay.chat_id))
            await self._storage.relay_failed(relay.id)
            return
        try:
            sent = await self._send(relay, thread)
        except Retry as error:
            delay = max(error.after or 0.0, retry_delay(relay.attempts))
            log.info(
                "chat %s: Telegram did not take a relay; again in %g s",
                chat_ref(relay.chat_id),
                delay,
            )
            await self._storage.retry_relay(relay.id, now + delay)
            return
        except Blocked:
            await self._blocked(relay, thread)
            return
        except Refused as error:
            log.warning(
                "chat %s: Telegram refused a relay (%s); dropped", chat_ref(relay.chat_id), error
            )
            await self._storage.relay_failed(relay.id)
            return
        if await self._storage.relay_done(relay.id, sent):
            return
        # /forget came while the copy was on its way: it deleted the copies it knew of, this
        # one it could not know.
        if relay.direction is Direction.TO_STAFF and sent is not None:
            await self._erase_copies(thread, (sent,))

    async def _send(self, relay: Relay, thread: Thread) -> int | None:
        if relay.direction is Direction.TO_PROSPECT:
            to = Place(relay.chat_id)
            if relay.kind is RelayKind.TEXT:
                return await self._courier.say(to, relay.text or "")
            return await self._copy(relay, to)
        thread = await self._with_topic(thread)
        assert thread.topic_id is not None
        match relay.kind:
            case RelayKind.REOPEN:
                if thread.forum:
                    with contextlib.suppress(Refused):  # not closed: nothing to reopen
                        await self._courier.reopen_topic(thread.staff_chat_id, thread.topic_id)
                return None
            case RelayKind.CLOSE:
                if thread.forum:
                    with contextlib.suppress(Refused):  # closed already
                        await self._courier.close_topic(thread.staff_chat_id, thread.topic_id)
                return None
            case RelayKind.TEXT:
                return await self._courier.say(staff_place(thread), relay.text or "")
            case _:
                return await self._copy(relay, staff_place(thread))

    async def _copy(self, relay: Relay, to: Place) -> int:
        if relay.source_chat_id is None or relay.source_message_id is None:
            raise Refused("a copy without its source")
        return await self._courier.copy(to, relay.source_chat_id, relay.source_message_id)

    async def _with_topic(self, thread: Thread) -> Thread:
        """The thread with its place in the staff chat, created now if it has none: a forum
        topic named for the prospect, else a header message that copies reply to."""
        if thread.topic_id is not None:
            return thread
        chat = thread.staff_chat_id
        tr = Translator(self._staff_locale)
        topic: int | None = None
        if await self._courier.is_forum(chat):
            try:
                topic = await self._courier.create_topic(
                    chat, topic_name(thread.name, thread.campaign)
                )
            except Refused as error:  # no right to manage topics: under a header instead
                log.warning("a forum topic could not be created (%s); a header instead", error)
        forum = topic is not None
        if topic is None:
            if thread.campaign:
                header = tr.gettext("💬 {name} (campaign {campaign}) asks:").format(
                    name=thread.name, campaign=thread.campaign
                )
            else:
                header = tr.gettext("💬 {name} asks:").format(name=thread.name)
            topic = await self._courier.say(Place(chat), header)
        log.info("chat %s: a thread opened in the staff chat", chat_ref(thread.chat_id))
        stored = await self._storage.set_topic(thread.chat_id, topic, forum)
        if stored is None or stored.topic_id is None:
            # /forget came while the topic was created: it found none to close, so the topic
            # (titled with the prospect's name) is left neutral and closed here.
            await self._neutralised(replace(thread, topic_id=topic, forum=forum))
            raise Refused("the thread was forgotten while its topic was created")
        return stored

    async def _blocked(self, relay: Relay, thread: Thread) -> None:
        """The target refused the bot. A prospect who blocked it: their pending relays go,
        the thread closes, and staff are told once in the topic. (A staff group that removed
        the bot: the relay is dropped and logged.)"""
        await self._storage.relay_failed(relay.id)
        if relay.direction is Direction.TO_STAFF:
            log.warning("chat %s: the staff chat refuses the bot", chat_ref(relay.chat_id))
            return
        log.info("chat %s: the prospect blocked the bot; relays stopped", chat_ref(relay.chat_id))
        await self._storage.fail_relays(relay.chat_id, Direction.TO_PROSPECT)
        before = await self._storage.close_thread(relay.chat_id, self._clock(), blocked=True)
        if before is None or before.blocked:
            return
        tr = Translator(self._staff_locale)
        note = tr.gettext("{name} has blocked the bot; messages can't reach them.").format(
            name=thread.name
        )
        await self._storage.record_thread(
            relay.chat_id,
            self._clock(),
            relays=(NewRelay(Direction.TO_STAFF, RelayKind.TEXT, text=note),),
        )

    async def forgotten(self, thread: Thread, copies: tuple[int, ...] = ()) -> None:
        """/forget erased the thread (its rows are gone): the bot's copies of the prospect's
        messages and its own notes in the staff chat (``copies``) are deleted, staff are told
        in the topic without the prospect's name, and the topic loses that name and closes
        (without topics, the header does). Best effort: nothing is left to retry it from;
        what Telegram no longer lets the bot delete (older than 48 hours) is staff's to delete."""
        if thread.topic_id is None:
            return  # nothing reached the staff chat yet
        tr = Translator(self._staff_locale)
        note = tr.gettext(
            "The prospect asked the bot to delete their data: this conversation is closed and "
            "nothing more of it is stored. Please delete any of their messages still here."
        )
        if copies:
            await self._erase_copies(thread, copies)
        try:
            await self._courier.say(staff_place(thread), note)
        except RelayError as error:
            log.warning("the staff chat was not told of an erased thread (%s)", error)
        await self._neutralised(thread)

    async def _erase_copies(self, thread: Thread, copies: tuple[int, ...]) -> None:
        """The bot's copies of a forgotten prospect's messages out of the staff chat, as far as
        Telegram still lets it (48 hours)."""
        try:
            await self._courier.delete(thread.staff_chat_id, copies)
        except RelayError as error:
            log.warning("an erased thread's copies were not deleted (%s)", error)

    async def _neutralised(self, thread: Thread) -> None:
        """The thread's place in the staff chat without the prospect's name: a topic renamed
        and closed, a header rewritten. Best effort (logged)."""
        assert thread.topic_id is not None
        tr = Translator(self._staff_locale)
        try:
            if thread.forum:
                await self._courier.rename_topic(
                    thread.staff_chat_id, thread.topic_id, tr.gettext("Erased")
                )
                with contextlib.suppress(Refused):  # closed already
                    await self._courier.close_topic(thread.staff_chat_id, thread.topic_id)
            else:
                await self._courier.edit_text(
                    thread.staff_chat_id,
                    thread.topic_id,
                    tr.gettext("💬 A prospect's conversation (erased)"),
                )
        except RelayError as error:
            log.warning("an erased thread's name is left in the staff chat (%s)", error)
