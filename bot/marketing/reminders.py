"""One gentle reminder to a prospect who stopped half way.

A conversation is due ``after`` seconds after its last update and gets one message, with a
button that resumes it where it stopped. The claim is a column of the conversation row
(``Storage.claim_reminders``), so with two instances each reminder is sent once, a restart
loses none, and erasing the conversation (/cancel, /forget, a finished lead, retention) ends it.
In a chain each conversation is reminded in its club's name, by its club's night and day; one
whose club is not chosen yet, in the chain's brand, by the first club's.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from bot.funnel.counts import Funnel, Stage
from bot.intake.sender import Sender, Sent
from bot.intake.store import ConversationChanged, ConversationStore
from bot.logging_setup import chat_ref
from bot.periodic import Periodic
from bot.storage.conversations import ConversationRecords, IdleConversation, Reminder
from conversations import flow
from conversations.context import AskContext
from conversations.state import ConversationState, Phase
from conversations.studio import Studio

log = logging.getLogger(__name__)

# No reminder is sent between 21:00 and 09:00 in the club's time zone: due ones wait.
QUIET_FROM = datetime.time(21)
QUIET_UNTIL = datetime.time(9)
# A conversation that became due longer ago than this (the bot was down, or reminders were
# just turned on) gets none: "continue?" days later reads as spam.
STALE_AFTER = 3 * 24 * 3600.0
# How long one instance holds a claimed reminder; an instance that died holding it is
# replaced once it runs out.
CLAIM_SECONDS = 300.0
BATCH = 50


class Reminders:
    def __init__(
        self,
        storage: ConversationRecords,
        conversations: ConversationStore,
        sender: Sender,
        funnel: Funnel,
        *,
        after: float,
        interval: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self._conversations = conversations
        self._sender = sender
        self._funnel = funnel
        self._after = after
        self._clock = clock
        self._sweeping = Periodic("reminders", interval, self.sweep)

    def start(self) -> None:
        if self._after > 0:
            self._sweeping.start()

    async def stop(self) -> None:
        await self._sweeping.stop()

    def quiet(self, now: float, studio: str | None = None) -> bool:
        """Whether it is night at the club (None: the single studio, or a chain's first)."""
        zone = self._conversations.club(studio).profile.time_zone
        local = datetime.datetime.fromtimestamp(now, ZoneInfo(zone) if zone else None).time()
        return local >= QUIET_FROM or local < QUIET_UNTIL

    def _all_quiet(self, now: float) -> bool:
        """Night at every club: nothing is even claimed."""
        return all(self.quiet(now, club.storage_key) for club in self._conversations.chain.clubs)

    async def sweep(self) -> int:
        """Send every reminder due now, batch by batch, where it is day; how many were sent.

        A conversation whose club is at night stays claimed until the sweep ends (so the next
        batches reach past it to other clubs' conversations), then is due again."""
        sent = 0
        night: list[int] = []
        try:
            while True:
                now = self._clock()
                if self._after <= 0 or self._all_quiet(now):
                    return sent
                due = await self._storage.claim_reminders(
                    now - self._after,
                    now - self._after - STALE_AFTER,
                    now,
                    now + CLAIM_SECONDS,
                    BATCH,
                )
                for idle in due:
                    sent += await self._remind(idle, now, night)
                if len(due) < BATCH:
                    return sent
        finally:
            for chat_id in night:
                await self._storage.finish_reminder(chat_id, None)

    def _from(self, state: ConversationState, ctx: AskContext) -> Studio:
        """Whom the reminder is from: the club (by its name, else its word for itself), or a
        chain's brand before one is chosen."""
        chain = self._conversations.chain
        if chain.is_chain and state.studio is None:
            return Studio(name=chain.brand)
        return ctx.studio

    async def _remind(self, idle: IdleConversation, now: float, night: list[int]) -> bool:
        state = self._conversations.adopt(idle.chat_id, idle.state)
        if state is None or state.phase is Phase.SUBMITTED:
            await self._storage.finish_reminder(idle.chat_id, Reminder.SKIPPED)
            return False
        if self.quiet(now, state.studio):
            night.append(idle.chat_id)
            return False
        ctx = self._conversations.context_of(state)
        outcome = flow.remind(state, ctx, self._from(state, ctx))
        try:
            await self._conversations.save(state)
        except ConversationChanged:
            # The prospect wrote just now: no reminder, and none due until they stop again.
            await self._storage.finish_reminder(idle.chat_id, None)
            return False
        match await self._sender.deliver(idle.chat_id, outcome):
            case Sent.REFUSED:
                await self._storage.finish_reminder(idle.chat_id, Reminder.SKIPPED)
                return False
            case Sent.BLOCKED:
                log.info("chat %s: blocked the bot; no reminder", chat_ref(idle.chat_id))
                await self._storage.finish_reminder(idle.chat_id, Reminder.BLOCKED)
                return False
            case Sent.DELIVERED | Sent.KEPT:
                pass  # kept: the resender sends it; at most one reminder, so it counts as sent
        await self._storage.finish_reminder(idle.chat_id, Reminder.SENT)
        self._funnel.reached(state.campaign, Stage.REMINDED, studio=state.studio)
        log.info("chat %s: reminder sent", chat_ref(idle.chat_id))
        return True
