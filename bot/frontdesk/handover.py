"""Handing a question the studio's data cannot answer (/where, /hours, /prices without the scope
or the data) to the studio's staff.

:class:`StaffQuestion` is the seam the answers call. :class:`HandOver` is the front desk's: with
a staff group to talk in, the prospect's thread opens with a note saying what they asked
(``Threads.hand_over``), so staff answer them there; without one (no staff chat, or the owner's
private chat), :class:`StaffNotice` posts a short notice in the club's staff chats: no prospect
text, no name, nothing staff could not read in PerfectGym themselves. Either way once per
prospect, club and question an hour, so a prospect tapping twice does not post twice.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from bot.chain.chain import Chain
from bot.frontdesk.threads import Threads
from bot.intake.sender import Sender
from bot.intake.service import Chat
from conversations.front_desk import Topic
from conversations.i18n import Translator
from conversations.replies import Reply

log = logging.getLogger(__name__)

QUIET_SECONDS = 3600.0
REMEMBERED = 4096


class StaffQuestion(Protocol):
    async def ask(self, chat: Chat, studio: str | None, topic: str) -> None:
        """The prospect in ``chat`` asked about ``topic`` (a :class:`Topic` value) of the club
        ``studio``, and was told the studio will answer personally."""
        ...


def notice_text(tr: Translator, topic: str) -> str:
    """The staff chat's notice: which question, and what to check in PerfectGym."""
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


def thread_note(tr: Translator, topic: str) -> str:
    """The note in the prospect's thread: what they asked, for staff to answer there."""
    match topic:
        case Topic.WHERE:
            return tr.gettext(
                "❓ The prospect asked where the studio is; PerfectGym has no address for it. "
                "Please answer here."
            )
        case Topic.HOURS:
            return tr.gettext(
                "❓ The prospect asked about opening hours; PerfectGym has none for the studio. "
                "Please answer here."
            )
        case _:
            return tr.gettext(
                "❓ The prospect asked about prices; PerfectGym has no membership offers for the "
                "studio. Please answer here."
            )


class StaffNotice:
    """A notice in the club's staff chats and the chain's, for a bot without threads."""

    def __init__(self, chain: Chain, sender: Sender, *, staff_locale: str) -> None:
        self._chain = chain
        self._sender = sender
        self._staff_locale = staff_locale

    async def ask(self, chat: Chat, studio: str | None, topic: str) -> None:
        text = notice_text(Translator(self._staff_locale), topic)
        if self._chain.is_chain:
            text = f"🏠 {self._chain.club(studio).name} · {text}"
        for staff_chat in self._chain.staff_chats(studio):
            try:
                await self._sender.send(staff_chat, [Reply(text)])
            except Exception:
                log.warning(
                    "telling staff of an unanswered %s question failed", topic, exc_info=True
                )


class HandOver:
    """The front desk's :class:`StaffQuestion`: the prospect's thread when there are
    ``threads`` (a staff group), else ``notice``; at most once per prospect, club and question
    in :data:`QUIET_SECONDS`."""

    def __init__(
        self,
        notice: StaffQuestion,
        threads: Threads | None,
        *,
        staff_locale: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._notice = notice
        self._threads = threads
        self._staff_locale = staff_locale
        self._clock = clock
        self._told: OrderedDict[tuple[int, str | None, str], float] = OrderedDict()

    async def ask(self, chat: Chat, studio: str | None, topic: str) -> None:
        key = (chat.id, studio, topic)
        now = self._clock()
        told = self._told.get(key)
        if told is not None and now - told < QUIET_SECONDS:
            return
        if self._threads is None:
            await self._notice.ask(chat, studio, topic)
        else:
            note = thread_note(Translator(self._staff_locale), topic)
            await self._threads.hand_over(chat, studio, note)
        self._told[key] = now
        self._told.move_to_end(key)
        while len(self._told) > REMEMBERED:
            self._told.popitem(last=False)
