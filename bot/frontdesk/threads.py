"""The prospect's side of the front desk: when what they send goes to a person, and the thread
(open or closed, its topic in the staff chat) that carries it.

A prospect's message goes to staff while their thread is open, or when no question of the form
waits for it: after the lead was sent, or with no conversation under way once they have a lead
or a thread. ``/ask`` and the "Ask the studio" button open a thread at any point; while it is
open the form waits, and "Back to my details" shows the pending question again. A question the
studio's data cannot answer opens the thread too (:meth:`Threads.hand_over`, through
``bot/frontdesk/handover.py``), with a note for staff saying what was asked. Nothing here
waits on Telegram: the message is queued (``bot/storage/relays.py``) in the transaction that
opens the thread, and the relay worker sends it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from bot.chain.chain import Chain
from bot.funnel.counts import Funnel, Stage
from bot.intake.service import Chat
from bot.intake.store import ConversationStore
from bot.logging_setup import chat_ref
from bot.storage.outbox import LeadStatus, OutboxEntry, OutboxRecords
from bot.storage.relays import Direction, NewRelay, RelayKind, RelayRecords
from bot.storage.threads import Opening, Thread, ThreadChange, ThreadRecords, ThreadState
from conversations import flow, front_desk
from conversations.i18n import Translator, negotiate
from conversations.replies import Outcome, Reply, Settle
from conversations.state import ConversationState, Phase
from conversations.summary import summary_lines

log = logging.getLogger(__name__)


class DeskStore(ThreadRecords, RelayRecords, OutboxRecords, Protocol):
    """What the front desk reads and writes."""


def staff_chats(chain: Chain) -> frozenset[int]:
    """Every staff group of the chain: the only chats whose messages may reach a prospect. A
    staff chat that is a private chat (a positive id: the owner's own) has no members to
    answer from, and mixing its owner's staff replies with their own prospect's chat would
    be a trap: it gets the lead notices, not threads."""
    chats = {club.staff_chat_id for club in chain.clubs} | {chain.staff_chat_id}
    return frozenset(chat for chat in chats if chat is not None and chat < 0)


class Threads:
    """The prospects' threads with the staff group: opened, written to, left for the form."""

    def __init__(
        self,
        storage: DeskStore,
        conversations: ConversationStore,
        funnel: Funnel,
        *,
        default_locale: str,
        staff_locale: str,
        formal: bool = False,
        staff_contact_details: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``staff_contact_details``: ``STAFF_NOTICE_DETAILS=full``, a thread's first message
        in the staff chat names the prospect's details as the lead's notice then does."""
        self._storage = storage
        self._conversations = conversations
        self._funnel = funnel
        self._default_locale = default_locale
        self._staff_locale = staff_locale
        self._formal = formal
        self._details = staff_contact_details
        self._clock = clock
        self.staff_chats = staff_chats(conversations.chain)
        # Told when something was queued, so the relay worker sends it now (set by the runtime).
        self.on_queued: Callable[[], None] = lambda: None

    def staff_chat_for(self, studio: str | None) -> int:
        """The club's staff chat, else the chain's, else any (threads exist only with one)."""
        chain = self._conversations.chain
        for chosen in (chain.club(studio).staff_chat_id, chain.staff_chat_id):
            if chosen in self.staff_chats:
                return chosen
        return min(self.staff_chats)

    def _translator(self, chat: Chat, state: ConversationState | None) -> Translator:
        if state is not None:
            return Translator(state.locale)
        return Translator(negotiate(chat.language_code, self._default_locale, formal=self._formal))

    async def from_prospect(self, chat: Chat, message_id: int) -> Outcome | None:
        """A message of the prospect's, for staff if their thread is open or no question of
        the form waits for it; None: the form's to answer. Where it goes is
        ``front_desk.ROUTES``'s to say; this carries it out."""
        since = self._clock()
        thread = await self._storage.thread(chat.id)
        state = await self._conversations.load(chat.id)
        form = _form_of(state)
        lead: OutboxEntry | None = None
        chosen = front_desk.route_without_lead(_thread_of(thread), form)
        if chosen is None:
            lead = await self._storage.latest_lead(chat.id)
            chosen = front_desk.route(_thread_of(thread), form, lead is not None)
        match chosen:
            case front_desk.Route.THREAD:
                change = await self._storage.record_thread(
                    chat.id,
                    self._clock(),
                    relays=(NewRelay(Direction.TO_STAFF, RelayKind.COPY, chat.id, message_id),),
                )
                if change.relayed:
                    self.on_queued()
                return Outcome(changed=False)
            case front_desk.Route.FORM | front_desk.Route.BEGIN:
                return None  # a question waits for this, or the form begins
            case front_desk.Route.OPEN:
                if lead is None:
                    lead = await self._storage.latest_lead(chat.id)
                return await self._open(chat, state, lead, message_id, since)

    async def ask(self, chat: Chat, message_id: int | None = None) -> Outcome:
        """/ask, or the "Ask the studio" button: a thread opens; the prospect writes next
        (``message_id``: /ask with words after it, which go to staff too)."""
        since = self._clock()
        state = await self._conversations.load(chat.id)
        lead = await self._storage.latest_lead(chat.id)
        return await self._open(chat, state, lead, message_id, since)

    async def _open(
        self,
        chat: Chat,
        state: ConversationState | None,
        lead: OutboxEntry | None,
        message_id: int | None,
        since: float,
    ) -> Outcome:
        relays: tuple[NewRelay, ...] = ()
        if message_id is not None:
            relays = (NewRelay(Direction.TO_STAFF, RelayKind.COPY, chat.id, message_id),)
        studio = state.studio if state is not None else lead.studio if lead is not None else None
        change = await self._record(chat, state, lead, studio, relays, since)
        tr = self._translator(chat, state)
        called = self._conversations.club(studio).studio_for(tr.locale)
        waits = front_desk.form_waits(_form_of(state))
        buttons = (front_desk.back_row(tr),) if waits else ()
        if message_id is None:
            text = called.fill(
                tr.gettext(
                    "💬 Write your question here: {studio} will read it and answer you in this "
                    "chat."
                ),
                tr,
            )
        elif change.created or change.reopened:
            text = called.fill(
                tr.gettext("✉️ {studio} has your message and will answer you here in this chat."),
                tr,
            )
        else:
            return Outcome(changed=False)
        return Outcome(replies=(Reply(text, buttons=buttons),), changed=False, settle=Settle())

    async def hand_over(self, chat: Chat, studio: str | None, note: str) -> None:
        """A question the studio's data cannot answer (``note`` tells staff which): the thread
        opens, or opens again, with the note, and staff answer there. The answer the prospect
        reads is the caller's ("the studio will answer"). While a question of the form waits,
        the prospect's next words are its answer: the thread is then left closed on their side,
        as "Back to my details" leaves it, and staff's replies still reach them."""
        since = self._clock()
        state = await self._conversations.load(chat.id)
        lead = await self._storage.latest_lead(chat.id)
        told = NewRelay(Direction.TO_STAFF, RelayKind.TEXT, text=note[:4000])
        change = await self._record(chat, state, lead, studio, (told,), since)
        if (change.created or change.reopened) and front_desk.form_waits(_form_of(state)):
            await self._storage.close_thread(chat.id, self._clock())

    async def _record(
        self,
        chat: Chat,
        state: ConversationState | None,
        lead: OutboxEntry | None,
        studio: str | None,
        relays: tuple[NewRelay, ...],
        since: float,
    ) -> ThreadChange:
        """The thread opened (created, or opened again) with ``relays`` queued, and counted;
        nothing, if the chat was forgotten since the caller read it (``since``)."""
        campaign = state.campaign if state is not None else lead.campaign if lead else None
        opening = Opening(
            studio=studio,
            staff_chat_id=self.staff_chat_for(studio),
            campaign=campaign,
            name=(chat.first_name or "?")[:64],
            locale=self._translator(chat, state).locale,
            since=since,
            begun=state is not None or lead is not None,
        )
        change = await self._storage.record_thread(
            chat.id, self._clock(), opening=opening, intro=self._intro(state, lead), relays=relays
        )
        if change.relayed:
            self.on_queued()
        if change.created:
            self._funnel.reached(campaign, Stage.THREAD_OPENED, studio=studio)
            log.info("chat %s: a thread with staff opened", chat_ref(chat.id))
        return change

    def _intro(
        self, state: ConversationState | None, lead: OutboxEntry | None
    ) -> tuple[NewRelay, ...]:
        """What staff read first in a new thread. The staff chat keeps it for every present and
        future member, where /forget cannot reach, so it says no more than the lead's notice
        does: the customer number of a created lead (its topic's title or header names the
        campaign), that a confirmed lead is on its way, or that the prospect is at the summary,
        not yet confirmed. The details as confirmed only for a lead that failed (staff enter it
        by hand) or, with ``STAFF_NOTICE_DETAILS=full``, one still on its way (a created one's
        notice had them, and the bot keeps none of them); nothing for a prospect mid-form."""
        tr = Translator(self._staff_locale)
        status = None if lead is None else lead.status
        lines: list[str] = []
        if status is LeadStatus.CREATED and lead is not None and lead.lead_ref is not None:
            lines.append(
                tr.gettext("New lead from Telegram: PerfectGym customer number {ref}.").format(
                    ref=lead.lead_ref
                )
            )
        elif status is LeadStatus.PENDING:
            lines.append(tr.gettext("New lead from Telegram: on its way to PerfectGym."))
        elif status is not LeadStatus.FAILED and state is not None and state.phase is Phase.REVIEW:
            lines.append(
                tr.gettext("The prospect is at the summary of the form and has not sent it yet.")
            )
        confirmed = state is not None and state.phase is Phase.SUBMITTED
        wanted = status is LeadStatus.FAILED or (self._details and status is LeadStatus.PENDING)
        if state is not None and confirmed and wanted:
            ctx = self._conversations.context(self._staff_locale, None, state.studio)
            lines += [tr.gettext("📋 Their details:"), *summary_lines(state, ctx)]
        if not lines:
            return ()
        return (NewRelay(Direction.TO_STAFF, RelayKind.TEXT, text="\n".join(lines)[:4000]),)

    async def back(self, chat: Chat) -> Outcome:
        """ "Back to my details": the thread closes on the prospect's side (staff may still
        answer), and the pending question is shown again."""
        await self._storage.close_thread(chat.id, self._clock())
        state = await self._conversations.load(chat.id)
        if state is not None:
            repeated = flow.repeat(state, self._conversations.context_of(state))
            if repeated.replies:
                return replace(repeated, settle=Settle())
        tr = self._translator(chat, state)
        text = tr.gettext("Okay. Whenever you have another question, just send /ask.")
        return Outcome(replies=(Reply(text),), changed=False, settle=Settle())


def _form_of(state: ConversationState | None) -> front_desk.FormIs:
    """The conversation as the front desk's routing reads it."""
    if state is None:
        return front_desk.FormIs.NONE
    return front_desk.FormIs.SENT if state.phase is Phase.SUBMITTED else front_desk.FormIs.WAITING


def _thread_of(thread: Thread | None) -> front_desk.ThreadIs:
    """The stored thread as the front desk's routing reads it."""
    if thread is None:
        return front_desk.ThreadIs.NONE
    return (
        front_desk.ThreadIs.OPEN if thread.state is ThreadState.OPEN else front_desk.ThreadIs.CLOSED
    )
