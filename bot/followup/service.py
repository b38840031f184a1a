"""Reminders before a booked trial session and the one follow-up after it.

When PerfectGym holds a trial booking (``TrialBooking`` tells :meth:`Followups.booked`), its
reminders (``TRIAL_REMINDERS``) and, for a studio that sends its events to the bot, one
follow-up are stored as rows (``trial_reminders``); a sweep claims the due ones as the outbox
claims leads, so each is sent once across restarts and instances. At send time the booking is
read again: a reminder goes out only for the booking still held and a session not yet started.
The follow-up after the session asks "How was it?" when a check-in came
(:meth:`Followups.attended` moves it to the next morning), else offers another time. PerfectGym's
events reach the rows through :class:`bot.events.booking_events.BookingEvents`, which this
implements. What a reminder's button or an event does to the booking is decided by
``conversations/booking_flow.py`` (:func:`~conversations.booking_flow.reminder_press`,
``HAPPENINGS``); this carries it out.
/cancel and /forget delete the rows with the booking; a block (403) or a silenced customer
stops them.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, assert_never
from zoneinfo import ZoneInfo

from bot.followup import messages, schedule
from bot.intake.routing import Buttons
from bot.intake.sender import Sender, Sent
from bot.intake.service import Chat
from bot.intake.staff import StaffChats
from bot.intake.store import ConversationStore
from bot.logging_setup import chat_ref
from bot.perfectgym.errors import PerfectGymError
from bot.periodic import Periodic
from bot.storage.outbox import OutboxRecords
from bot.storage.trial_bookings import TrialBookingRecords
from bot.storage.trial_reminders import (
    ReminderStatus,
    TrialReminder,
    TrialReminderRecords,
)
from conversations import booking, booking_flow
from conversations.booking import BookingState, Offer, TrialSlot
from conversations.booking_flow import (
    CantMakeIt,
    GiveContact,
    Happening,
    SeeYou,
    Stale,
    TalkAtDesk,
)
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.i18n import Translator
from conversations.replies import Outcome

log = logging.getLogger(__name__)

CLAIM_SECONDS = 300.0  # how long one instance holds a claimed reminder
BATCH = 50
EARLY_CHECKIN = 3 * 3600.0  # a check-in this long before the session still counts for it
FOLLOWUP_KEPT_SECONDS = 12 * 3600.0  # a follow-up Telegram did not take goes out within this

GiveUp = Callable[[int, int, Happening, str], Awaitable[Outcome | None]]
AskStudio = Callable[[Chat], Awaitable[Outcome]]
CurrentSlot = Callable[[str | None, Offer, TrialSlot], Awaitable[TrialSlot | None]]


class FollowupRecords(TrialReminderRecords, TrialBookingRecords, OutboxRecords, Protocol):
    """The rows, the booking they are about, and the lead that says which studio it is for."""


def _moment(iso: str | None) -> float | None:
    return None if iso is None else datetime.datetime.fromisoformat(iso).timestamp()


class Followups:
    def __init__(
        self,
        storage: FollowupRecords,
        conversations: ConversationStore,
        sender: Sender,
        *,
        offsets: tuple[float, ...],
        give_up: GiveUp,
        current_slot: CurrentSlot,
        receives_events: Callable[[str | None], bool],
        staff_locale: str,
        ask_studio: AskStudio | None = None,
        interval: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``offsets``: seconds before the session (``TRIAL_REMINDERS``); ``give_up``: the
        trial booking's days to choose another time instead of a booking (chat, booking id,
        what befell it, note), ``TrialBooking.give_up``; ``current_slot``:
        a booked slot as the studio's PerfectGym lists it now; ``receives_events``: whether a
        studio sends its check-ins (only then is a session without one missed); ``ask_studio``:
        the front desk's "Ask the studio" press (a thread with staff), where it has one."""
        self._storage = storage
        self._conversations = conversations
        self._sender = sender
        self._staff = StaffChats(conversations.chain, sender)
        self._offsets = offsets
        self._give_up = give_up
        self._current_slot = current_slot
        self._receives_events = receives_events
        self._staff_locale = staff_locale
        self._ask_studio = ask_studio
        self._clock = clock
        self._sweeping = Periodic("trial reminders", interval, self.sweep)

    def start(self) -> None:
        self._sweeping.start()

    async def stop(self) -> None:
        await self._sweeping.stop()

    # --- planning ------------------------------------------------------------------------------

    async def booked(self, state: BookingState) -> None:
        """PerfectGym holds ``state``'s booking: plan its reminders and follow-up (replacing
        those of the chat's earlier booking, if it was changed)."""
        if state.booked is None or state.booking_id is None:
            return
        lead = await self._storage.latest_lead(state.chat_id)
        studio = lead.studio if lead is not None else None
        await self._plan(state, state.booked, studio)

    async def _plan(self, state: BookingState, slot: TrialSlot, studio: str | None) -> None:
        assert state.booking_id is not None
        starts_at = _moment(slot.start)
        assert starts_at is not None
        ends_at = _moment(slot.end)
        if ends_at is None and state.booked_offer is not None and state.booked_offer.minutes:
            ends_at = starts_at + state.booked_offer.minutes * 60
        zone = self._zone(studio)
        planned = schedule.reminders(starts_at, self._offsets, zone, self._clock())
        if self._receives_events(studio):
            planned.append(schedule.missed_check(starts_at, ends_at, zone))
        if await self._storage.plan_reminders(
            state.chat_id, studio, state.booking_id, state.customer_id, starts_at, planned
        ):
            log.info("chat %s: %d trial reminders planned", chat_ref(state.chat_id), len(planned))

    # --- sending -------------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Read moved bookings again, then send what is due, batch by batch; how many sent."""
        for moved in await self._storage.moved_bookings(BATCH):
            await self._reread(moved)
        sent = 0
        while True:
            now = self._clock()
            due = await self._storage.claim_trial_reminders(now, now + CLAIM_SECONDS, BATCH)
            for reminder in due:
                sent += await self._send(reminder)
            if len(due) < BATCH:
                return sent

    async def _send(self, reminder: TrialReminder) -> bool:
        stored = await self._storage.load_booking(reminder.chat_id)
        state = None if stored is None else BookingState.from_json(stored)
        if state is None or state.booking_id != reminder.booking_id:
            # Changed to another time, given up, or gone: that booking's messages are over.
            await self._storage.finish_trial_reminder(reminder.id, ReminderStatus.SKIPPED)
            return False
        if reminder.followup:
            outcome = await self._followup(reminder, state)
        elif self._clock() >= reminder.starts_at:
            outcome = None  # the session has started
        else:
            outcome = self._reminder(reminder, state)
        if outcome is None:
            await self._storage.finish_trial_reminder(reminder.id, ReminderStatus.SKIPPED)
            return False
        return await self._deliver(reminder, outcome)

    async def _deliver(self, reminder: TrialReminder, outcome: Outcome) -> bool:
        chat = chat_ref(reminder.chat_id)
        # A reminder kept while Telegram is away is worthless once its session began; a
        # follow-up, the day after it was due.
        not_after = (
            self._clock() + FOLLOWUP_KEPT_SECONDS if reminder.followup else reminder.starts_at
        )
        match await self._sender.deliver(reminder.chat_id, outcome, not_after=not_after):
            case Sent.REFUSED:
                await self._storage.finish_trial_reminder(reminder.id, ReminderStatus.SKIPPED)
                return False
            case Sent.BLOCKED:
                log.info("chat %s: blocked the bot; no more trial reminders", chat)
                await self._storage.finish_trial_reminder(reminder.id, ReminderStatus.BLOCKED)
                await self._storage.stop_chat_reminders(reminder.chat_id, ReminderStatus.BLOCKED)
                return False
            case Sent.DELIVERED | Sent.KEPT:
                pass  # kept: the resender sends it; at most once, so it counts as sent
        await self._storage.finish_trial_reminder(reminder.id, ReminderStatus.SENT)
        log.info("chat %s: trial %s sent", chat, reminder.kind)
        return True

    def _reminder(self, reminder: TrialReminder, state: BookingState) -> Outcome:
        ctx = self._context(state, reminder.studio)
        club = self._conversations.club(reminder.studio)
        return messages.reminder(
            reminder.id,
            reminder.booking_id,
            booking.session_title(state),
            reminder.starts_at,
            state.booked.place if state.booked is not None else None,
            club.profile,
            club.name,
            club.texts.what_to_bring_for(ctx.locale),
            ctx,
            self._zone(reminder.studio),
        )

    async def _followup(self, reminder: TrialReminder, state: BookingState) -> Outcome | None:
        ctx = self._context(state, reminder.studio)
        session = booking.session_title(state)
        if reminder.attended:
            club = self._conversations.club(reminder.studio)
            reachable = bool(club.profile.phone or club.profile.email)
            offer = club.texts.offer_url_for(ctx.locale)
            return messages.how_was_it(
                reminder.id,
                session,
                offer,
                ctx,
                contact=reachable,
                desk=self._ask_studio is not None,
            )
        if not self._receives_events(reminder.studio):
            return None  # without check-ins a visit cannot be told from a no-show
        note = messages.missed_note(session, ctx)
        return await self._give_up(reminder.chat_id, reminder.booking_id, Happening.MISSED, note)

    # --- the prospect's buttons ----------------------------------------------------------------

    def buttons(self) -> Buttons:
        """A reminder's and the follow-up's buttons, for the dispatcher of presses."""
        return Buttons.named(booking.REMINDER_NAMES, self.press)

    async def press(self, chat: Chat, action: Action) -> Outcome:
        """A button under a reminder or the follow-up: ``booking_flow.reminder_press`` decides,
        this carries it out."""
        stored = await self._storage.load_booking(chat.id)
        state = None if stored is None else BookingState.from_json(stored)
        effect = booking_flow.reminder_press(state, action, desk=self._ask_studio is not None)
        if isinstance(effect, TalkAtDesk):
            assert self._ask_studio is not None
            return await self._ask_studio(chat)
        if state is None:
            return booking.stale(Translator(self._staff_locale))
        tr = Translator(state.locale)
        match effect:
            case Stale():
                return booking.stale(tr)
            case SeeYou():
                return messages.coming(tr)
            case GiveContact():
                club = self._conversations.club(await self._studio_of(chat.id))
                return messages.contact(club.profile, club.studio_for(tr.locale), tr)
            case CantMakeIt(booking_id=booking_id):
                return await self._cant_make_it(state, booking_id, await self._studio_of(chat.id))
            case _:
                assert_never(effect)

    async def _studio_of(self, chat_id: int) -> str | None:
        """The club of the chat's latest lead (whose staff and contact are meant)."""
        lead = await self._storage.latest_lead(chat_id)
        return lead.studio if lead is not None else None

    async def _cant_make_it(
        self, state: BookingState, booking_id: int, studio: str | None
    ) -> Outcome:
        """The booking given up (``Happening.CANT_MAKE_IT``): its reminders stop and staff are
        asked to cancel it."""
        ctx = self._context(state, studio)
        session = booking.session_title(state)
        slot = state.booked
        note = messages.cant_note(ctx)
        outcome = await self._give_up(state.chat_id, booking_id, Happening.CANT_MAKE_IT, note)
        if outcome is None:
            return booking.stale(ctx.tr)
        await self._storage.stop_chat_reminders(state.chat_id, ReminderStatus.SKIPPED)
        staff = Translator(self._staff_locale)
        when = "?"
        if slot is not None:
            start = _moment(slot.start)
            assert start is not None
            when = messages.when(
                start, self._conversations.context(self._staff_locale, None), self._zone(studio)
            )
        await self._staff.tell(
            studio, messages.staff_cant(state.customer_id, session, when, booking_id, staff)
        )
        return outcome

    # --- PerfectGym's events (BookingEvents) ---------------------------------------------------

    async def cancelled(self, studio: str | None, booking_id: int) -> None:
        """Before the session the prospect is told and offered another time; then the reminders
        stop. In that order: a failure before the stop leaves them open, so PerfectGym's event,
        retried, still tells the prospect; once stopped, a repeated event finds nothing."""
        owed = await self._storage.booking_reminders(studio, booking_id)
        if owed and owed[0].starts_at > self._clock():
            await self._tell_cancelled(studio, booking_id, owed[0])
        await self._storage.stop_booking_reminders(studio, booking_id, ReminderStatus.CANCELLED)

    async def _tell_cancelled(
        self, studio: str | None, booking_id: int, first: TrialReminder
    ) -> None:
        stored = await self._storage.load_booking(first.chat_id)
        if stored is None:
            return
        state = BookingState.from_json(stored)
        ctx = self._context(state, studio)
        note = messages.cancelled_note(
            booking.session_title(state), first.starts_at, ctx, self._zone(studio)
        )
        outcome = await self._give_up(first.chat_id, booking_id, Happening.CANCELLED, note)
        if outcome is None:
            return
        try:
            sent = await self._sender.deliver(first.chat_id, outcome, not_after=first.starts_at)
        except Exception:
            # The booking is given up already: a retried event would find nothing to tell.
            log.exception("chat %s: the cancelled session's notice", chat_ref(first.chat_id))
            return
        if sent is Sent.BLOCKED:
            await self._storage.stop_chat_reminders(first.chat_id, ReminderStatus.BLOCKED)

    async def moved(self, studio: str | None, booking_id: int) -> None:
        """The booking changed: its time is read again now, or by the next sweep if PerfectGym
        does not answer (no reminder of it goes out before that)."""
        for reminder in (await self._storage.mark_moved(studio, booking_id))[:1]:
            await self._reread(reminder)

    async def _reread(self, reminder: TrialReminder) -> None:
        stored = await self._storage.load_booking(reminder.chat_id)
        state = None if stored is None else BookingState.from_json(stored)
        if (
            state is None
            or state.booking_id != reminder.booking_id
            or state.booked is None
            or state.booked_offer is None
        ):
            await self._storage.stop_booking_reminders(
                reminder.studio, reminder.booking_id, ReminderStatus.SKIPPED
            )
            return
        try:
            slot = await self._current_slot(reminder.studio, state.booked_offer, state.booked)
        except PerfectGymError as exc:
            log.warning("chat %s: moved trial booking not read (%s)", chat_ref(state.chat_id), exc)
            return
        if slot is None:
            # An appointment cannot be read back, and a slot no longer listed has no time: a
            # reminder naming the old time would mislead, so there is none.
            log.info(
                "chat %s: moved trial booking's time unknown; its reminders stop",
                chat_ref(state.chat_id),
            )
            await self._storage.stop_booking_reminders(
                reminder.studio, reminder.booking_id, ReminderStatus.SKIPPED
            )
            return
        await self._plan(state, slot, reminder.studio)

    async def attended(self, studio: str | None, customer_id: int) -> None:
        """A check-in: the follow-up of the session it was for asks "How was it?" the next
        morning instead of offering another time."""
        now = self._clock()
        for followup in await self._storage.customer_followups(studio, customer_id):
            if followup.starts_at - EARLY_CHECKIN <= now:
                due = schedule.day_after(followup.starts_at, self._zone(studio))
                await self._storage.attend_followup(followup.id, due)

    async def silenced(self, studio: str | None, customer_id: int) -> None:
        """Deleted in PerfectGym, or access disabled: nothing more is sent to them."""
        await self._storage.stop_customer_reminders(studio, customer_id)

    # --- helpers -------------------------------------------------------------------------------

    def _context(self, state: BookingState, studio: str | None) -> AskContext:
        return self._conversations.context(state.locale, state.language, studio)

    def _zone(self, studio: str | None) -> ZoneInfo | None:
        zone = self._conversations.club(studio).profile.time_zone
        return ZoneInfo(zone) if zone else None
