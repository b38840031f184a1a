"""Sending again what Telegram did not take.

A reply that fails with a network error, a timeout, a 5xx or a 429 beyond the rate limiter's own
retries is kept in the store (``PendingReplies``) instead of being lost, and this sweep sends it
once Telegram is back, oldest first and one chat's replies in order. A restart loses none: they
are rows, claimed like the outbox's leads, so two instances send each once.

The prospect who never saw their next question may answer the one they saw again; the intake
reads that answer as theirs (``ConversationState.seen``). Once a kept answer reaches them, the
intake is told (``on_seen``), so their next message answers the question now on their screen.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.logging_setup import chat_ref
from bot.periodic import Periodic
from bot.storage.replies import KEPT_SECONDS, PendingReplies, ReplyKind
from conversations.replies import Button, Reply, Venue

log = logging.getLogger(__name__)

BATCH = 50
HOLD_SECONDS = 60.0
# The first retry after a second, then doubling up to this pause between tries.
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
GIVE_UP_SECONDS = KEPT_SECONDS  # a day
# With nothing known to be pending, look anyway this often (another instance may have died
# with replies of its own).
IDLE_LOOKS = 30


def is_transient(error: TelegramError) -> bool:
    """A failure that says nothing about the message itself: sending it again may work."""
    return isinstance(error, RetryAfter) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    )


def encode(replies: Sequence[Reply]) -> str:
    """The replies as they are kept. A kept reply is sent as a new message: the message it
    would have edited may be long gone from view."""
    return json.dumps(
        [
            {
                "text": reply.text,
                "buttons": [[[b.text, b.data] for b in row] for row in reply.buttons],
                "contact_button": reply.contact_button,
                "location_button": reply.location_button,
                "keyboard_texts": list(reply.keyboard_texts),
                "remove_keyboard": reply.remove_keyboard,
                "summary": reply.summary,
                "venue": None if reply.venue is None else asdict(reply.venue),
            }
            for reply in replies
        ],
        ensure_ascii=False,
    )


def decode(payload: str) -> tuple[Reply, ...]:
    items: list[dict[str, Any]] = json.loads(payload)
    return tuple(
        Reply(
            str(item["text"]),
            buttons=tuple(
                tuple(Button(str(text), str(data)) for text, data in row) for row in item["buttons"]
            ),
            contact_button=item["contact_button"],
            location_button=item.get("location_button"),  # absent in replies kept before it
            keyboard_texts=tuple(item["keyboard_texts"]),
            remove_keyboard=bool(item["remove_keyboard"]),
            summary=bool(item["summary"]),
            venue=_venue(item.get("venue")),  # absent in replies kept before it
        )
        for item in items
    )


def _venue(item: dict[str, Any] | None) -> Venue | None:
    if item is None:
        return None
    return Venue(
        float(item["latitude"]), float(item["longitude"]), str(item["title"]), str(item["address"])
    )


def retry_delay(attempts: int) -> float:
    return float(min(MAX_DELAY, FIRST_DELAY * 2.0 ** min(attempts, 16)))


Send = Callable[[int, tuple[Reply, ...]], Awaitable[bool]]


class Resender:
    """The sweep over kept replies. ``send`` delivers replies to a chat (False: the prospect
    blocked the bot) and raises a transient ``TelegramError`` when Telegram is still away."""

    def __init__(
        self,
        replies: PendingReplies,
        send: Send,
        on_seen: Callable[[int], Awaitable[None]],
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._replies = replies
        self._send = send
        self._on_seen = on_seen
        self._clock = clock
        self._periodic = Periodic("resending replies", interval, self._tick)
        self._maybe_pending = True  # replies kept before a restart are looked for at once
        self._idle_ticks = 0

    def wake(self) -> None:
        """A reply was just kept: look for due ones at every tick again."""
        self._maybe_pending = True

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def _tick(self) -> None:
        if not self._maybe_pending:
            self._idle_ticks += 1
            if self._idle_ticks < IDLE_LOOKS:
                return
        self._idle_ticks = 0
        if await self.run_due() == 0 and not await self._replies.any_replies():
            self._maybe_pending = False

    async def run_due(self) -> int:
        """Send what is due; the number of replies claimed."""
        now = self._clock()
        claimed = await self._replies.claim_replies(now, now + HOLD_SECONDS, BATCH)
        waiting: set[int] = set()  # chats whose older reply is still not taken: keep the order
        blocked: set[int] = set()
        expired = 0
        for pending in claimed:
            if pending.chat_id in blocked:
                continue
            if pending.not_after is not None and now > pending.not_after:
                expired += 1  # "your session starts in 2 h", after the session: not sent
                await self._replies.reply_sent(pending.id)
                continue
            if pending.chat_id in waiting:
                await self._replies.retry_reply(pending.id, now + retry_delay(pending.attempts))
                continue
            if now - pending.created_at > GIVE_UP_SECONDS:
                log.warning(
                    "chat %s: a reply Telegram did not take for a day is dropped",
                    chat_ref(pending.chat_id),
                )
                await self._replies.reply_sent(pending.id)
                continue
            try:
                delivered = await self._send(pending.chat_id, decode(pending.payload))
            except TelegramError as error:
                if not is_transient(error):
                    log.warning(
                        "chat %s: a kept reply was refused (%s) and is dropped",
                        chat_ref(pending.chat_id),
                        type(error).__name__,
                    )
                    await self._replies.reply_sent(pending.id)
                    continue
                waiting.add(pending.chat_id)
                await self._replies.retry_reply(pending.id, now + retry_delay(pending.attempts))
                continue
            if not delivered:
                blocked.add(pending.chat_id)
                await self._replies.drop_replies(pending.chat_id)
                continue
            await self._replies.reply_sent(pending.id)
            log.info("chat %s: a kept reply was sent", chat_ref(pending.chat_id))
            if pending.kind is ReplyKind.ANSWER:
                await self._on_seen(pending.chat_id)
        if expired:
            log.info("%d kept replies dropped: their time had passed", expired)
        return len(claimed)
