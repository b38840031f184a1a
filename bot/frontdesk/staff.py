"""Handing a question the studio's data cannot answer to the studio's staff.

:class:`StaffQuestion` is the seam: the threads with staff (issue 25's other half) implement it
by opening the prospect's thread. Until then :class:`StaffNotice` posts a short notice in the
club's staff chats: no prospect text, no name, nothing staff could not read in PerfectGym
themselves, and once per prospect, club and topic an hour, so a prospect tapping twice does not
post twice.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from bot.chain.chain import Chain
from bot.intake.sender import Sender
from conversations.front_desk import Topic
from conversations.i18n import Translator
from conversations.replies import Reply

log = logging.getLogger(__name__)

QUIET_SECONDS = 3600.0
REMEMBERED = 4096


class StaffQuestion(Protocol):
    async def ask(self, chat_id: int, studio: str | None, topic: str) -> None:
        """The prospect in ``chat_id`` asked about ``topic`` (a :class:`Topic` value) of the
        club ``studio``, and was told the studio will answer personally."""
        ...


def notice_text(tr: Translator, topic: str) -> str:
    match topic:
        case Topic.WHERE:
            return tr.gettext(
                "A prospect asked where the studio is; PerfectGym has no address for it "
                "(check the API key's STUDIO_READ scope and the studio's address in PerfectGym)."
            )
        case Topic.HOURS:
            return tr.gettext(
                "A prospect asked about opening hours; PerfectGym has none for the studio "
                "(check the API key's STUDIO_READ scope and the public opening hours in "
                "PerfectGym)."
            )
        case _:
            return tr.gettext(
                "A prospect asked about prices; PerfectGym gave no membership offers for the "
                "studio (check the API key's scope for membership offers and the offers in "
                "PerfectGym)."
            )


class StaffNotice:
    """The default :class:`StaffQuestion`: a notice in the club's staff chats and the chain's."""

    def __init__(
        self,
        chain: Chain,
        sender: Sender,
        *,
        staff_locale: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._chain = chain
        self._sender = sender
        self._staff_locale = staff_locale
        self._clock = clock
        self._told: OrderedDict[tuple[int, str | None, str], float] = OrderedDict()

    async def ask(self, chat_id: int, studio: str | None, topic: str) -> None:
        key = (chat_id, studio, topic)
        now = self._clock()
        told = self._told.get(key)
        if told is not None and now - told < QUIET_SECONDS:
            return
        self._told[key] = now
        self._told.move_to_end(key)
        while len(self._told) > REMEMBERED:
            self._told.popitem(last=False)
        text = notice_text(Translator(self._staff_locale), topic)
        if self._chain.is_chain:
            text = f"🏠 {self._chain.club(studio).name} · {text}"
        for chat in self._chain.staff_chats(studio):
            try:
                await self._sender.send(chat, [Reply(text)])
            except Exception:
                log.warning(
                    "telling staff of an unanswered %s question failed", topic, exc_info=True
                )
