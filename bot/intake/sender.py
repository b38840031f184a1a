"""How services other than the update handlers reach a chat (Telegram, or the demo's terminal)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from conversations.replies import Outcome, Reply


class Sender(Protocol):
    async def send(self, chat_id: int, replies: Sequence[Reply]) -> None:
        """Replies outside an update's own answer: delivery results, staff notices."""
        ...

    async def deliver(self, chat_id: int, outcome: Outcome) -> bool:
        """An outcome of the bot's own (a reminder), old buttons settled; False when the
        prospect blocked the bot."""
        ...

    def typing_soon(self, chat_id: int) -> None:
        """Show "typing…" while the bot really waits (config fetch, lead delivery); never waits."""
        ...
