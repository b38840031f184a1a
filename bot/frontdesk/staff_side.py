"""The staff chat's side of the front desk: a staff member's message in a prospect's topic (or, in
a group without topics, in reply to the prospect's messages there) goes to that prospect, and
``/close`` there ends the thread.

Only a message in a staff chat of the chain, in a thread the bot opened there, reaches a
prospect: the thread names the prospect's chat, so nothing anyone sends (a chat id, a group's
message, a private message shaped like a staff one) can make the bot write anywhere else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection

from bot.frontdesk.threads import DeskStore
from bot.funnel.counts import Funnel, Stage, Step, wait_minutes
from bot.logging_setup import chat_ref
from bot.storage.relays import Direction, NewRelay, RelayKind
from bot.storage.threads import Thread
from conversations.i18n import Translator

log = logging.getLogger(__name__)


class StaffSide:
    def __init__(
        self,
        storage: DeskStore,
        funnel: Funnel,
        *,
        staff_chats: Collection[int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self._funnel = funnel
        self.staff_chats = frozenset(staff_chats)
        self._clock = clock
        self.on_queued: Callable[[], None] = lambda: None

    async def _thread(
        self, staff_chat_id: int, topic_id: int | None, reply_to: int | None
    ) -> Thread | None:
        if staff_chat_id not in self.staff_chats:
            return None
        return await self._storage.staff_thread(staff_chat_id, topic_id=topic_id, reply_to=reply_to)

    async def message(
        self, staff_chat_id: int, message_id: int, *, topic_id: int | None, reply_to: int | None
    ) -> bool:
        """A staff member wrote: queued for the prospect if it is in one of their threads."""
        thread = await self._thread(staff_chat_id, topic_id, reply_to)
        if thread is None:
            return False
        now = self._clock()
        change = await self._storage.record_thread(
            thread.chat_id,
            now,
            relays=(NewRelay(Direction.TO_PROSPECT, RelayKind.COPY, staff_chat_id, message_id),),
        )
        if not change.relayed:
            return True  # a redelivered update: queued already
        self.on_queued()
        first = await self._storage.first_staff_reply(thread.chat_id, now)
        if first is not None:
            campaign, studio = first.campaign, first.studio
            self._funnel.reached(campaign, Stage.THREAD_ANSWERED, studio=studio)
            minutes = wait_minutes(now - first.opened_at)
            self._funnel.count(campaign, Step(Stage.REPLY_MINUTES, str(minutes)), studio=studio)
            log.info("chat %s: staff answered the thread", chat_ref(thread.chat_id))
        return True

    async def close(
        self, staff_chat_id: int, *, topic_id: int | None, reply_to: int | None
    ) -> bool:
        """/close in a thread: it ends, the prospect is told (in their language), the topic
        closes; the prospect's next message opens it again."""
        thread = await self._thread(staff_chat_id, topic_id, reply_to)
        if thread is None:
            return False
        now = self._clock()
        await self._storage.close_thread(thread.chat_id, now)
        tr = Translator(thread.locale)
        told = tr.gettext(
            "This conversation has been closed. Thank you for writing! If you have another "
            "question, just write it here."
        )
        await self._storage.record_thread(
            thread.chat_id,
            now,
            relays=(
                NewRelay(Direction.TO_PROSPECT, RelayKind.TEXT, text=told),
                NewRelay(Direction.TO_STAFF, RelayKind.CLOSE),
            ),
        )
        self.on_queued()
        log.info("chat %s: staff closed the thread", chat_ref(thread.chat_id))
        return True
