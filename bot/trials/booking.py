"""A free trial session booked in the chat, right after the lead was created (``TRIAL_BOOKING``).

The dialogue decides (``conversations/booking_flow.py``: what a press or a result leads to) and
words (``conversations/booking.py``); this service carries out what it asks for: it stores the
state per chat, asks the ``TrialCatalog`` for offers and times, makes the booking calls, and
hands their answers back. PerfectGym has no idempotency key and no way to read a booking back,
so the chosen time is stored before any call, a book request is marked as possibly sent before
it goes, and any later attempt validates first: "already booked" then means the lost answer did
book. A booking owed while PerfectGym is down is retried by a sweep, held by one instance at a
time. Nothing here ever delays the lead: the invitation comes only with the thank-you for a
created lead.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Awaitable, Callable
from typing import assert_never
from zoneinfo import ZoneInfo

from bot.funnel.counts import Funnel, Stage
from bot.intake.erasure_requests import ErasureRequests
from bot.intake.sender import Sender
from bot.intake.store import ConversationStore
from bot.logging_setup import chat_ref
from bot.perfectgym.errors import PerfectGymAuthError, PerfectGymError
from bot.periodic import Periodic
from bot.storage.trial_bookings import TrialBookingRecords
from bot.trials.catalog import SlotWindow, TrialCatalog
from conversations import booking, booking_flow
from conversations.booking import Attempt, BookingPhase, BookingState, Offer, Result
from conversations.booking_flow import (
    Answer,
    Book,
    CancelEarlier,
    Confirm,
    Effect,
    ShowDays,
    ShowOffers,
    ShowTimes,
    StaffNote,
    Stale,
)
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.i18n import Translator
from conversations.replies import Outcome, Reply

log = logging.getLogger(__name__)

HOLD_SECONDS = 120.0  # how long one instance holds a booking while it calls PerfectGym
GIVE_UP_AFTER = 24 * 3600.0  # then the studio arranges it by hand
MAX_DELAY = 900.0

# What a booking's or a confirmation's result counts as in the studio's funnel.
COUNTED = {
    Result.BOOKED: Stage.BOOKED,
    Result.CONFIRM: Stage.BOOKED,
    Result.REFUSED: Stage.BOOKING_REFUSED,
    Result.CONFIRMED: Stage.BOOKING_CONFIRMED,
}


class BookingGone(Exception):
    """The chat's booking was deleted (/cancel, /forget) while it was being worked on."""


def _held(state: BookingState) -> tuple[object, ...]:
    """What PerfectGym holds for the chat: a new booking, or the same one at another time."""
    return (state.phase, state.booking_id, state.booked)


def booking_id_of(stored: str) -> int | None:
    """The PerfectGym booking a stored booking state holds (for staff, after /forget)."""
    return BookingState.from_json(stored).booking_id


class TrialBooking:
    def __init__(
        self,
        storage: TrialBookingRecords,
        catalog: TrialCatalog,
        conversations: ConversationStore,
        sender: Sender,
        funnel: Funnel,
        *,
        erasure: ErasureRequests,
        enabled: bool,
        staff_chat_id: int | None,
        staff_locale: str,
        interval: float = 60.0,
        retry_base: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self._erasure = erasure
        self._catalog = catalog
        self._retry_base = retry_base
        self._conversations = conversations
        self._sender = sender
        self._funnel = funnel
        self.enabled = enabled
        self._staff_chat_id = staff_chat_id
        self._staff_locale = staff_locale
        self._clock = clock
        self._sweeping = Periodic("trial bookings", interval, self.sweep)
        self._attempts: set[asyncio.Task[None]] = set()
        self._on_booked: Callable[[BookingState], Awaitable[None]] | None = None

    def listen(self, on_booked: Callable[[BookingState], Awaitable[None]]) -> None:
        """``on_booked`` hears of each booking PerfectGym holds once it is stored (the trial
        reminders plan theirs); a change to another time is a new booking."""
        self._on_booked = on_booked

    async def prepare(self) -> None:
        """Off on its own, with one log line, when the key may not read trial offers."""
        if not self.enabled:
            return
        try:
            available = await self._catalog.available()
        except PerfectGymError as exc:
            log.warning("trial offers not reachable at start (%s); asked again when needed", exc)
            return
        if not available:
            self.enabled = False
            log.warning(
                "TRIAL_BOOKING is on, but the PerfectGym key lacks the TRIAL_OFFER_READ / "
                "TRIAL_OFFER_WRITE scopes: trial booking stays off"
            )

    def start(self) -> None:
        if self.enabled:
            self._sweeping.start()

    async def stop(self) -> None:
        await self._sweeping.stop()
        for task in list(self._attempts):
            task.cancel()
        await asyncio.gather(*self._attempts, return_exceptions=True)

    # --- the dialogue --------------------------------------------------------------------------

    async def invite(
        self,
        chat_id: int,
        studio: str | None,
        locale: str,
        language: str | None,
        campaign: str | None,
        customer_id: int | None,
    ) -> Reply | None:
        """The offer under a created lead's thank-you; None when booking is off or impossible."""
        if not self.enabled or customer_id is None:
            return None
        state = BookingState(chat_id, locale, language, campaign, customer_id)
        reply = booking.invitation(state, Translator(locale))
        if not await self._storage.open_booking(chat_id, state.to_json(), self._clock()):
            return None  # forgotten while its lead was being created
        return reply

    async def press(self, chat_id: int, action: Action) -> Outcome:
        stored = await self._storage.load_booking(chat_id)
        if stored is None:
            return booking.stale(Translator(self._staff_locale))
        state = BookingState.from_json(stored)
        before = _held(state)
        ctx = self._context(state)
        effect = booking_flow.press(state, action, ctx, self._zone())
        try:
            outcome = await self._carry_out(state, effect, ctx)
        except PerfectGymError as exc:
            log.warning("chat %s: trial offers not readable (%s)", chat_ref(chat_id), exc)
            return Outcome(
                notice=ctx.tr.gettext(
                    "The studio's booking system is not answering right now. Please try again "
                    "in a minute."
                )
            )
        try:
            if isinstance(effect, Book):
                await self._save(
                    state, due_at=self._clock(), held_until=self._clock() + HOLD_SECONDS
                )
                self._attempt_soon(chat_id, held=True)
            else:
                await self._save(state)
        except BookingGone:  # /forget on another instance meanwhile
            return booking.stale(ctx.tr)
        await self._announce(state, before)
        return outcome

    async def offer_other_times(self, chat_id: int, booking_id: int, note: str) -> Outcome | None:
        """The days to choose another time from, under ``note``, instead of the booking
        ``booking_id`` (the prospect can't make it, the studio cancelled it, or it was missed):
        the booking's own Change, with the booking given up. None when the chat's booking is no
        longer that one (changed meanwhile, /cancel, /forget)."""
        stored = await self._storage.load_booking(chat_id)
        if stored is None:
            return None
        state = BookingState.from_json(stored)
        if state.booking_id != booking_id or state.booked_offer is None:
            return None
        ctx = self._context(state)
        state.offer, state.window = state.booked_offer, 0
        state.booked, state.booking_id, state.chosen, state.changing = None, None, None, False
        try:
            outcome = await self._carry_out(state, ShowDays(state.offer, 0, note), ctx)
        except PerfectGymError as exc:
            log.warning("chat %s: trial offers not readable (%s)", chat_ref(chat_id), exc)
            state.token += 1  # the booking's buttons shown before are no longer active
            state.phase = BookingPhase.CLOSED
            outcome = booking.no_times_now(note, ctx)
        try:
            await self._save(state)
        except BookingGone:
            return None
        return outcome

    async def _announce(self, state: BookingState, before: tuple[object, ...]) -> None:
        """Tell ``on_booked`` of a booking PerfectGym now holds that it did not before."""
        if (
            self._on_booked is None
            or state.phase is not BookingPhase.BOOKED
            or state.booking_id is None
            or _held(state) == before
        ):
            return
        try:
            await self._on_booked(state)
        except Exception:
            log.exception("chat %s: trial reminders not planned", chat_ref(state.chat_id))

    async def _carry_out(self, state: BookingState, effect: Effect, ctx: AskContext) -> Outcome:
        """Do what the dialogue asks for, handing it the catalog's answers, until it answers."""
        while True:
            match effect:
                case Answer(outcome=outcome, staff=staff):
                    if staff is not None:
                        await self._tell_staff(staff)
                    return outcome
                case Stale():
                    return booking.stale(ctx.tr)
                case Book(answer=answer):
                    return answer  # the attempt follows once the choice is stored (press)
                case ShowOffers():
                    offers = await self._catalog.offers()
                    self._funnel.reached(state.campaign, Stage.OFFERS_SHOWN)
                    effect = booking_flow.offers_listed(state, offers, ctx)
                case ShowDays(offer=offer, window=index, note=note):
                    window = await self._window(offer, index)
                    self._funnel.reached(state.campaign, Stage.SLOTS_SHOWN)
                    return booking.days_view(
                        state, window.slots, window.more, ctx, self._zone(), self._now(), note
                    )
                case ShowTimes(offer=offer, window=index, day=day, note=note, fresh=fresh):
                    window = await self._window(offer, index, fresh=fresh)
                    return booking.times_view(
                        state, day, window.slots, ctx, self._zone(), self._now(), note
                    )
                case Confirm(booking_id=booking_id):
                    try:
                        result = await self._catalog.confirm(booking_id)
                    except PerfectGymError:
                        return Outcome(
                            notice=ctx.tr.gettext(
                                "The studio's booking system is not answering right now. Please "
                                "tap Confirm again in a minute."
                            )
                        )
                    self._count(state, result)
                    effect = booking_flow.confirmed(state, result, ctx, self._zone())
                case _:
                    assert_never(effect)

    async def _window(self, offer: Offer, index: int, *, fresh: bool = False) -> SlotWindow:
        today = self._now().date()
        if fresh:
            return await self._catalog.fresh_window(offer, index, today)
        return await self._catalog.window(offer, index, today)

    # --- booking -------------------------------------------------------------------------------

    async def settled(self) -> None:
        """Wait for the booking attempts under way (the demo shows their result before the
        next prompt)."""
        await asyncio.gather(*self._attempts, return_exceptions=True)

    def _attempt_soon(self, chat_id: int, *, held: bool) -> None:
        task = asyncio.create_task(
            self._attempt(chat_id, held=held), name=f"trial booking {chat_ref(chat_id)}"
        )
        self._attempts.add(task)
        task.add_done_callback(self._attempts.discard)

    async def sweep(self) -> None:
        for chat_id in await self._storage.due_bookings(self._clock(), 20):
            await self._attempt(chat_id, held=False)

    async def _attempt(self, chat_id: int, *, held: bool) -> None:
        """One try at the stored choice; an unexpected error leaves it to the sweep."""
        try:
            await self._try(chat_id, held=held)
        except BookingGone:
            log.info("chat %s: booking deleted while attempted; nothing more", chat_ref(chat_id))
        except Exception:
            log.exception("chat %s: trial booking attempt failed", chat_ref(chat_id))

    async def _try(self, chat_id: int, *, held: bool) -> None:
        """Re-read first: after /cancel or /forget there is nothing to book."""
        now = self._clock()
        stored = (
            await self._storage.load_booking(chat_id)
            if held
            else await self._storage.hold_booking(chat_id, now, now + HOLD_SECONDS)
        )
        if stored is None:
            return
        state = BookingState.from_json(stored)
        before = _held(state)
        if state.phase is not BookingPhase.BOOKING or state.chosen is None or state.offer is None:
            await self._save(state)
            return
        ctx = self._context(state)
        try:
            try:
                attempt = await self._book(state)
            except PerfectGymAuthError as exc:
                attempt = Attempt(Result.REFUSED, reason=f"the key may not book ({exc})")
            if await self._storage.load_booking(chat_id) is None:
                # Forgotten (or cancelled) while PerfectGym was booking: only staff hear of it.
                await self._erasure.answered(chat_id, booking_id=attempt.booking_id)
                return
            outcome = await self._result(state, attempt, ctx)
        except PerfectGymError as exc:
            await self._later(state, ctx, exc)
            return
        try:
            await self._save(state)
        except BookingGone:
            await self._erasure.answered(chat_id, booking_id=state.booking_id)
            raise
        await self._announce(state, before)  # its reminders are stored before it is shown
        await self._sender.deliver(chat_id, outcome)

    async def _book(self, state: BookingState) -> Attempt:
        assert state.chosen is not None
        assert state.offer is not None
        verdict = await self._catalog.validate(
            state.chosen, state.customer_id, after_sent=state.sent
        )
        if verdict is Result.BOOKED:
            log.info("chat %s: the trial time was booked already", chat_ref(state.chat_id))
            return Attempt(Result.BOOKED, state.booking_id if state.sent else None)
        if verdict is not None:
            return Attempt(verdict, reason=f"validation: {verdict.value}")
        state.sent = True  # stored before the request: a lost answer is checked, not repeated
        await self._save(state, due_at=self._clock(), held_until=self._clock() + HOLD_SECONDS)
        return await self._catalog.book(state.chosen, state.customer_id, state.offer)

    async def _later(self, state: BookingState, ctx: AskContext, exc: PerfectGymError) -> None:
        now = self._clock()
        first = state.attempts == 0
        state.attempts += 1
        state.first_attempt_at = state.first_attempt_at or now
        if now - state.first_attempt_at >= GIVE_UP_AFTER:
            outcome = await self._result(
                state, Attempt(Result.REFUSED, reason=f"gave up: {exc}"), ctx
            )
            await self._save(state)
            await self._sender.deliver(state.chat_id, outcome)
            return
        delay = min(MAX_DELAY, self._retry_base * 2 ** (state.attempts - 1))
        log.warning(
            "chat %s: trial booking failed (%s); again in %.0f s",
            chat_ref(state.chat_id),
            exc,
            delay,
        )
        await self._save(state, due_at=now + delay, held_until=None)
        if first:
            await self._sender.deliver(state.chat_id, booking.still_trying(ctx))

    async def _result(self, state: BookingState, attempt: Attempt, ctx: AskContext) -> Outcome:
        """What the prospect is told of ``attempt``, once the funnel has counted it."""
        self._count(state, attempt.result)
        return await self._carry_out(
            state, booking_flow.attempted(state, attempt, ctx, self._zone()), ctx
        )

    def _count(self, state: BookingState, result: Result) -> None:
        stage = COUNTED.get(result)
        if stage is not None:
            self._funnel.reached(state.campaign, stage)

    async def _tell_staff(self, note: StaffNote) -> None:
        """Staff arrange what the bot could not: a refused booking, or an earlier one to cancel
        (the API can book but not cancel). The customer id finds the prospect in PerfectGym."""
        if self._staff_chat_id is None:
            return
        tr = Translator(self._staff_locale)
        ctx = self._conversations.context(self._staff_locale, None)
        when = booking.when(note.slot, ctx, self._zone()) if note.slot is not None else "?"
        if isinstance(note, CancelEarlier):
            text = tr.gettext(
                "Trial session: PerfectGym customer {customer} booked another time. Please "
                "cancel the earlier booking ({session} on {when}, booking {booking})."
            ).format(
                customer=note.customer_id,
                session=note.session,
                when=when,
                booking=note.booking_id or "?",
            )
        else:
            text = tr.gettext(
                "Trial session: PerfectGym customer {customer} chose {session} on {when}, but it "
                "could not be booked online ({reason}). Please arrange it with them."
            ).format(customer=note.customer_id, session=note.session, when=when, reason=note.reason)
        await self._sender.send(self._staff_chat_id, [Reply(text)])

    # --- helpers -------------------------------------------------------------------------------

    async def _save(
        self, state: BookingState, *, due_at: float | None = None, held_until: float | None = None
    ) -> None:
        """Store ``state`` over the chat's booking, or raise ``BookingGone``: nothing more is
        done for a booking /cancel or /forget deleted, and nothing brings it back."""
        if not await self._storage.save_booking(
            state.chat_id,
            state.to_json(),
            due_at=due_at,
            held_until=held_until,
            now=self._clock(),
        ):
            raise BookingGone

    def _context(self, state: BookingState) -> AskContext:
        return self._conversations.context(state.locale, state.language)

    def _zone(self) -> ZoneInfo | None:
        zone = self._conversations.studio.time_zone
        return ZoneInfo(zone) if zone else None

    def _now(self) -> datetime.datetime:
        """Now in the studio's zone (the server's, with its offset, when none is known)."""
        return datetime.datetime.fromtimestamp(self._clock(), self._zone()).astimezone(self._zone())
