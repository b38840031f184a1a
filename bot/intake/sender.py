"""How services other than the update handlers reach a chat (Telegram, or the demo's terminal)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum, auto
from typing import Protocol

from conversations.replies import Outcome, Reply


class Sent(Enum):
    """What became of a message: the one delivery policy every feature reads, so none of them
    needs to know Telegram's errors (``bot.telegram.application.TelegramSender`` maps them)."""

    DELIVERED = auto()
    # Not taken now for a passing reason (a 5xx, a timeout, a 429): kept and sent again by the
    # resender until its ``not_after``. It may also have arrived: it counts as sent, never repeated.
    KEPT = auto()
    BLOCKED = auto()  # the prospect blocked the bot: nothing more can be sent
    REFUSED = auto()  # refused for good (400 "chat not found", a group that moved): not sent


class Sender(Protocol):
    async def send(
        self, chat_id: int, replies: Sequence[Reply], *, about: int | None = None
    ) -> None:
        """Replies outside an update's own answer: delivery results, staff notices (``about``:
        the prospect a staff notice names, so /forget reaches it while it is kept). A refusal
        is logged, not raised."""
        ...

    async def deliver(
        self,
        chat_id: int,
        outcome: Outcome,
        *,
        not_after: float | None = None,
        about: int | None = None,
    ) -> Sent:
        """An outcome of the bot's own (a thank-you, a reminder), old buttons settled. Never
        raises for what Telegram answers; a kept one is not sent after ``not_after`` (a
        reminder is worthless once its session began)."""
        ...

    def typing_soon(self, chat_id: int) -> None:
        """Show "typing…" while the bot really waits (config fetch, lead delivery); never waits."""
        ...
