"""A free trial session booked in the chat, right after the lead was created (``TRIAL_BOOKING``).

The dialogue is ``conversations/booking.py``; this service stores its state per chat, asks the
``TrialCatalog`` for offers and times, and makes the booking calls. PerfectGym has no
idempotency key and no way to read a booking back, so the chosen time is stored before any
call, a book request is marked as possibly sent before it goes, and any later attempt validates
first: "already booked" then means the lost answer did book. A booking owed while PerfectGym is
down is retried by a sweep, held by one instance at a time. Nothing here ever delays the lead:
the invitation comes only with the thank-you for a created lead.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from bot.funnel.counts import Funnel, Stage
from bot.intake.sender import Sender
from bot.intake.store import ConversationStore
from bot.logging_setup import chat_ref
from bot.perfectgym.errors import PerfectGymAuthError, PerfectGymError
from bot.periodic import Periodic
from bot.storage import Storage
from bot.trials.catalog import SlotWindow, TrialCatalog
from conversations import booking
from conversations.booking import Attempt, BookingState, Phase, Result
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.i18n import Translator
from conversations.replies import Outcome, Reply

log = logging.getLogger(__name__)

HOLD_SECONDS = 120.0  # how long one instance holds a booking while it calls PerfectGym
GIVE_UP_AFTER = 24 * 3600.0  # then the studio arranges it by hand
MAX_DELAY = 900.0


class TrialBooking:
    def __init__(
        self,
        storage: Storage,
        catalog: TrialCatalog,
        conversations: ConversationStore,
        sender: Sender,
        funnel: Funnel,
        *,
        enabled: bool,
        staff_chat_id: int | None,
        staff_locale: str,
        interval: float = 60.0,
        retry_base: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
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
        await self._save(state)
        return reply

    async def press(self, chat_id: int, action: Action) -> Outcome:
        stored = await self._storage.load_booking(chat_id)
        if stored is None:
            return booking.stale(Translator(self._staff_locale))
        state = BookingState.from_json(stored)
        ctx = self._context(state)
        if action.token != state.token:
            return booking.stale(ctx.tr)
        try:
            outcome = await self._step(state, action, ctx)
        except PerfectGymError as exc:
            log.warning("chat %s: trial offers not readable (%s)", chat_ref(chat_id), exc)
            return Outcome(
                notice=ctx.tr.gettext(
                    "The studio's booking system is not answering right now. Please try again "
                    "in a minute."
                )
            )
        if state.phase is Phase.BOOKING:
            await self._save(state, due_at=self._clock(), held_until=self._clock() + HOLD_SECONDS)
            self._attempt_soon(chat_id, held=True)
        else:
            await self._save(state)
        return outcome

    async def _step(self, state: BookingState, action: Action, ctx: AskContext) -> Outcome:
        name, index = action.name, action.index
        if state.phase is Phase.OFFERED and name == booking.BOOK:
            offers = await self._catalog.offers()
            self._funnel.reached(state.campaign, Stage.OFFERS_SHOWN)
            if len(offers) == 1:
                state.offers, state.offer, state.window = offers, offers[0], 0
                return await self._days(state, ctx)
            return booking.offers_view(state, offers, ctx)
        if state.phase is Phase.OFFERED and name == booking.NO_THANKS:
            return booking.no_thanks(state, ctx.tr, ctx.studio)
        if state.phase is Phase.OFFERS and name == booking.OFFER and _valid(index, state.offers):
            assert index is not None
            state.offer, state.window = state.offers[index], 0
            return await self._days(state, ctx)
        if state.phase is Phase.DAYS and name == booking.LATER:
            state.window += 1
            return await self._days(state, ctx)
        if state.phase is Phase.DAYS and name == booking.OTHER_OFFER:
            return booking.offers_view(state, state.offers, ctx)
        if state.phase is Phase.DAYS and name == booking.DAY and _valid(index, state.days):
            assert index is not None
            day = datetime.date.fromisoformat(state.days[index])
            return booking.times_view(
                state, day, (await self._window(state)).slots, ctx, self._zone(), self._now()
            )
        if state.phase is Phase.TIMES and name == booking.OTHER_DAY:
            return await self._days(state, ctx)
        if state.phase is Phase.TIMES and name == booking.TIME and _valid(index, state.times):
            assert index is not None
            state.sent = False
            return booking.booking_view(state, state.times[index], ctx, self._zone())
        if state.phase in (Phase.BOOKED, Phase.WAITING) and name == booking.CHANGE:
            state.changing = state.phase is Phase.BOOKED
            state.offer = state.offer or state.booked_offer
            return await self._days(
                state, ctx, booking.change_note(ctx.tr) if state.changing else None
            )
        if state.phase is Phase.CONFIRMING and name == booking.CONFIRM:
            return await self._confirm(state, ctx)
        return booking.stale(ctx.tr)

    async def _days(self, state: BookingState, ctx: AskContext, note: str | None = None) -> Outcome:
        window = await self._window(state)
        self._funnel.reached(state.campaign, Stage.SLOTS_SHOWN)
        return booking.days_view(
            state, window.slots, window.more, ctx, self._zone(), self._now(), note
        )

    async def _window(self, state: BookingState, *, fresh: bool = False) -> SlotWindow:
        assert state.offer is not None
        today = self._now().date()
        if fresh:
            return await self._catalog.fresh_window(state.offer, state.window, today)
        return await self._catalog.window(state.offer, state.window, today)

    async def _confirm(self, state: BookingState, ctx: AskContext) -> Outcome:
        assert state.booking_id is not None
        try:
            result = await self._catalog.confirm(state.booking_id)
        except PerfectGymError:
            return Outcome(
                notice=ctx.tr.gettext(
                    "The studio's booking system is not answering right now. Please tap "
                    "Confirm again in a minute."
                )
            )
        if result is Result.CONFIRMED:
            self._funnel.reached(state.campaign, Stage.BOOKING_CONFIRMED)
            return booking.booked_view(state, ctx, self._zone())
        state.chosen = None
        return await self._days(state, ctx, booking.expired_note(ctx.tr))

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
        if state.phase is not Phase.BOOKING or state.chosen is None or state.offer is None:
            await self._save(state)
            return
        ctx = self._context(state)
        try:
            try:
                attempt = await self._book(state)
            except PerfectGymAuthError as exc:
                attempt = Attempt(Result.REFUSED, reason=f"the key may not book ({exc})")
            outcome = await self._result(state, attempt, ctx)
        except PerfectGymError as exc:
            await self._later(state, ctx, exc)
            return
        await self._save(state)
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
        zone = self._zone()
        state.attempts, state.first_attempt_at = 0, None
        if attempt.result in (Result.BOOKED, Result.CONFIRM):
            earlier = state.booked if state.changing else None
            earlier_id = state.booking_id
            state.booking_id = attempt.booking_id
            self._funnel.reached(state.campaign, Stage.BOOKED)
            if attempt.result is Result.CONFIRM:
                state.confirm_by = attempt.confirm_by
                return booking.confirm_view(state, ctx, zone)
            if earlier is not None:
                await self._tell_staff(state, "changed", earlier_id, earlier)
            return booking.booked_view(state, ctx, zone, earlier)
        if attempt.result is Result.WAITING:
            state.booking_id = attempt.booking_id
            return booking.waiting_view(state, ctx, zone)
        if attempt.result is Result.TAKEN:
            assert state.chosen is not None
            day = state.chosen.starts(zone).date()
            state.chosen = None
            window = await self._window(state, fresh=True)
            return booking.times_view(
                state, day, window.slots, ctx, zone, self._now(), booking.taken_note(ctx.tr)
            )
        self._funnel.reached(state.campaign, Stage.BOOKING_REFUSED)
        if state.changing:
            return booking.change_refused_view(state, ctx)
        await self._tell_staff(state, attempt.reason or "refused", None, state.chosen)
        return booking.refused_view(state, ctx)

    async def _tell_staff(
        self,
        state: BookingState,
        why: str,
        earlier_id: int | None,
        slot: booking.TrialSlot | None,
    ) -> None:
        """Staff arrange what the bot could not: a refused booking, or an earlier one to cancel
        (the API can book but not cancel). The customer id finds the prospect in PerfectGym."""
        if self._staff_chat_id is None:
            return
        tr = Translator(self._staff_locale)
        ctx = self._conversations.context(self._staff_locale, None)
        session = (state.offer or state.booked_offer or booking.Offer("", "")).title
        when = booking.when(slot, ctx, self._zone()) if slot is not None else "?"
        if why == "changed":
            text = tr.gettext(
                "Trial session: PerfectGym customer {customer} booked another time. Please "
                "cancel the earlier booking ({session} on {when}, booking {booking})."
            ).format(
                customer=state.customer_id, session=session, when=when, booking=earlier_id or "?"
            )
        else:
            text = tr.gettext(
                "Trial session: PerfectGym customer {customer} chose {session} on {when}, but it "
                "could not be booked online ({reason}). Please arrange it with them."
            ).format(customer=state.customer_id, session=session, when=when, reason=why)
        await self._sender.send(self._staff_chat_id, [Reply(text)])

    # --- helpers -------------------------------------------------------------------------------

    async def _save(
        self, state: BookingState, *, due_at: float | None = None, held_until: float | None = None
    ) -> None:
        await self._storage.save_booking(
            state.chat_id, state.to_json(), due_at=due_at, held_until=held_until
        )

    def _context(self, state: BookingState) -> AskContext:
        return self._conversations.context(state.locale, state.language)

    def _zone(self) -> ZoneInfo | None:
        zone = self._conversations.studio.time_zone
        return ZoneInfo(zone) if zone else None

    def _now(self) -> datetime.datetime:
        """Now in the studio's zone (the server's, with its offset, when none is known)."""
        return datetime.datetime.fromtimestamp(self._clock(), self._zone()).astimezone(self._zone())


def _valid(index: int | None, items: Sequence[object]) -> bool:
    return index is not None and 0 <= index < len(items)
