"""Where staff hear of a club: its own staff chat and the chain's, one place for every notice.

Lead notices, trial bookings staff must arrange and erasure requests all go through here, so a
club's staff and the chain's hear of the same things, named alike. In a chain each notice starts
with the club's name: the chain's chat hears of every club.
"""

from __future__ import annotations

import logging

from bot.chain.chain import Chain
from bot.intake.sender import Sender
from conversations.replies import Button, Reply

log = logging.getLogger(__name__)


class StaffChats:
    def __init__(self, chain: Chain, sender: Sender) -> None:
        self._chain = chain
        self._sender = sender

    async def tell(
        self,
        studio: str | None,
        text: str,
        *,
        buttons: tuple[tuple[Button, ...], ...] = (),
        named: bool = True,
        about: int | None = None,
    ) -> None:
        """To the club's staff chat and the chain's; in a chain, named for the club (unless
        ``named`` is False: the text names it already). ``about``: the prospect whose details
        the text carries (/forget deletes it while it waits to be sent again)."""
        chain = self._chain
        if named and chain.is_chain:
            text = f"🏠 {chain.club(studio).name} · {text}"
        await self._send(chain.staff_chats(studio), Reply(text, buttons=buttons), about)

    async def tell_chain(self, text: str, *, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        """When no club is known: the chain's own chat (a single studio's is its staff chat;
        a chain without one of its own falls back to its first club's)."""
        chain = self._chain
        if chain.is_chain and chain.staff_chat_id is not None:
            chats: tuple[int, ...] = (chain.staff_chat_id,)
        else:
            chats = chain.staff_chats(None)
        await self._send(chats, Reply(text, buttons=buttons))

    async def _send(self, chats: tuple[int, ...], reply: Reply, about: int | None = None) -> None:
        """Each chat on its own: one that fails (a database fault keeping a notice Telegram did
        not take) stops neither the others nor what the caller does next."""
        for chat in chats:
            try:
                await self._sender.send(chat, [reply], about=about)
            except Exception:
                log.exception("staff chat %s: a notice could not be sent", chat)
