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

In a chain a booking belongs to the club its lead went to (``BookingState.studio``): that club's
PerfectGym tenant books it, its time zone shows the times, its staff arrange what the bot could
not, and a club whose key lacks the trial scopes has booking off while the others keep it.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Awaitable, Callable
from typing import assert_never
from zoneinfo import ZoneInfo

from bot.chain.club import Club
from bot.funnel.counts import Funnel, Stage
from bot.intake.erasure_requests import ErasureRequests
from bot.intake.routing import Buttons
from bot.intake.sender import Sender
from bot.intake.service import Chat
from bot.intake.staff import StaffChats
from bot.intake.store import ConversationStore
from bot.logging_setup import chat_ref
from bot.perfectgym.errors import PerfectGymAuthError, PerfectGymError
from bot.periodic import Periodic
from bot.storage.trial_bookings import BookedTrial, TrialBookingRecords
from bot.trials.catalog import SlotWindow, TrialCatalog, TrialCatalogs, class_slot_of
from conversations import booking, booking_flow
from conversations.booking import Attempt, BookingPhase, BookingState, Offer, Result, TrialSlot
from conversations.booking_flow import (
    Answer,
    Book,
    CancelEarlier,
    Close,
    Confirm,
    Effect,
    Happening,
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

HOLD_SECONDS = 120.0  # how long one instance holds a booking while it calls PerfectGym, at least
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


def booking_studio_of(stored: str) -> str | None:
    """The club a stored booking state belongs to (whose staff hear of its /forget)."""
    return BookingState.from_json(stored).studio


class TrialBooking:
    def __init__(
        self,
        storage: TrialBookingRecords,
        catalogs: TrialCatalogs,
        conversations: ConversationStore,
        sender: Sender,
        funnel: Funnel,
        *,
        erasure: ErasureRequests,
        enabled: bool,
        staff_locale: str,
        interval: float = 60.0,
        retry_base: float = 10.0,
        hold: float = HOLD_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``hold``: how long an attempt (validate, book, store) keeps other instances off the
        booking; at least as long as an outbox attempt's lease, which the settings make hold
        three whole PerfectGym calls."""
        self._storage = storage
        self._hold = max(HOLD_SECONDS, hold)
        self._erasure = erasure
        self._catalogs = catalogs
        self._retry_base = retry_base
        self._conversations = conversations
        self._sender = sender
        self._staff = StaffChats(conversations.chain, sender)
        self._funnel = funnel
        self.enabled = enabled
        self._staff_locale = staff_locale
        self._clock = clock
        self._sweeping = Periodic("trial bookings", interval, self.sweep)
        self._attempts: set[asyncio.Task[None]] = set()
        # Per club id, once PerfectGym said so: whether its key may read trial offers.
        self._scoped: dict[str, bool] = {}
        self._asking: dict[str, asyncio.Lock] = {}
        self._preparing: asyncio.Task[None] | None = None
        self._on_booked: Callable[[BookingState], Awaitable[None]] | None = None

    def listen(self, on_booked: Callable[[BookingState], Awaitable[None]]) -> None:
        """``on_booked`` hears of each booking PerfectGym holds once it is stored (the trial
        reminders plan theirs); a change to another time is a new booking."""
        self._on_booked = on_booked

    async def prepare(self) -> None:
        """Ask each club whether its key may read trial offers, a few at a time: a club whose
        key may not has booking off, with one log line; the others keep it."""
        if not self.enabled:
            return
        await self._conversations.chain.each(self._bookable)

    def prepare_soon(self) -> None:
        """:meth:`prepare` in the background (a chain's clubs load so too): a club asked for
        before its answer came waits for it, and one PerfectGym did not answer is asked again
        when its next prospect is invited."""
        self._preparing = asyncio.get_running_loop().create_task(self._prepare_quietly())

    async def _prepare_quietly(self) -> None:
        try:
            await self.prepare()
        except Exception:
            log.exception("asking the studios for their trial offers failed; asked when needed")

    async def _bookable(self, club: Club) -> bool:
        """Whether the club's key may book trials; asked once per club (again after no answer,
        when it counts as yes: the prospect hears of it only if the listing then fails)."""
        lock = self._asking.setdefault(club.id, asyncio.Lock())
        async with lock:
            if club.id not in self._scoped:
                where = f"studio {club.id}: " if self._conversations.chain.is_chain else ""
                try:
                    available = await self._catalogs.of(club).available()
                except PerfectGymError as exc:
                    log.warning(
                        "%strial offers not reachable (%s); asked again when needed", where, exc
                    )
                    return True
                self._scoped[club.id] = available
                if not available:
                    log.warning(
                        "%sTRIAL_BOOKING is on, but the PerfectGym key lacks the "
                        "TRIAL_OFFER_READ / TRIAL_OFFER_WRITE scopes: trial booking stays off",
                        where,
                    )
        return self._scoped[club.id]

    def start(self) -> None:
        if self.enabled:
            self._sweeping.start()

    async def stop(self) -> None:
        if self._preparing is not None and not self._preparing.done():
            self._preparing.cancel()
            await asyncio.gather(self._preparing, return_exceptions=True)
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
        club = self._club(studio)
        if club is None or not await self._bookable(club):
            return None
        state = BookingState(chat_id, locale, language, campaign, customer_id, studio=studio)
        reply = booking.invitation(state, Translator(locale))
        if not await self._storage.open_booking(chat_id, state.to_json(), self._clock()):
            return None  # forgotten while its lead was being created
        return reply

    def buttons(self) -> Buttons:
        """The booking's buttons (``booking.NAMES``), for the dispatcher of presses."""

        async def press(chat: Chat, action: Action) -> Outcome:
            return await self.press(chat.id, action)

        return Buttons.named(booking.NAMES, press)

    async def press(self, chat_id: int, action: Action) -> Outcome:
        stored = await self._storage.load_booking(chat_id)
        if stored is None:
            return booking.stale(Translator(self._staff_locale))
        state = BookingState.from_json(stored)
        club = self._club(state.studio)
        if club is None:
            return booking.stale(Translator(state.locale))
        before = _held(state)
        ctx = self._context(state)
        effect = booking_flow.press(state, action, ctx, _zone(club))
        try:
            outcome = await self._carry_out(state, effect, ctx, club)
        except PerfectGymError as exc:
            log.warning("chat %s: trial offers not readable (%s)", chat_ref(chat_id), exc)
            return Outcome(
                notice=ctx.tr.gettext(
                    "The booking system is not answering right now. Please try again in a minute."
                )
            )
        try:
            if isinstance(effect, Book):
                await self._save(state, due_at=self._clock(), held_until=self._clock() + self._hold)
                self._attempt_soon(chat_id, held=True)
            else:
                await self._save(state)
        except BookingGone:  # /forget on another instance meanwhile
            return booking.stale(ctx.tr)
        await self._announce(state, before)
        return outcome

    async def give_up(
        self, chat_id: int, booking_id: int, what: Happening, note: str
    ) -> Outcome | None:
        """``what`` befell the booking ``booking_id`` (the prospect can't make it, the studio
        cancelled it, or it was missed): the days to choose another time from, under ``note``
        (``booking_flow.HAPPENINGS``). None when the chat's booking is no longer that one
        (changed meanwhile, /cancel, /forget) or its club left the chain."""
        stored = await self._storage.load_booking(chat_id)
        if stored is None:
            return None
        state = BookingState.from_json(stored)
        club = self._club(state.studio)
        effect = booking_flow.happened(state, what, booking_id, note)
        if club is None or isinstance(effect, Stale):
            return None
        ctx = self._context(state)
        try:
            outcome = await self._carry_out(state, effect, ctx, club)
        except PerfectGymError as exc:
            log.warning("chat %s: trial offers not readable (%s)", chat_ref(chat_id), exc)
            unreadable = booking_flow.days_unreadable(state, note, ctx)
            outcome = await self._carry_out(state, unreadable, ctx, club)
        try:
            await self._save(state)
        except BookingGone:
            return None
        return outcome

    async def current_slot(
        self, studio: str | None, offer: Offer, slot: TrialSlot
    ) -> TrialSlot | None:
        """``slot`` as its club's PerfectGym holds it now (a moved booking's new time); None:
        gone, or the club left the chain."""
        club = self._club(studio)
        if club is None:
            return None
        return await self._catalogs.of(club).current_slot(offer, slot)

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

    async def _carry_out(
        self, state: BookingState, effect: Effect, ctx: AskContext, club: Club
    ) -> Outcome:
        """Do what the dialogue asks for, handing it the club's catalog's answers, until it
        answers."""
        catalog, zone = self._catalogs.of(club), _zone(club)
        while True:
            match effect:
                case Answer(outcome=outcome, staff=staff):
                    if staff is not None:
                        await self._tell_staff(staff, state, club)
                    return outcome
                case Stale():
                    return booking.stale(ctx.tr)
                case Close():
                    return Outcome()
                case Book(answer=answer):
                    return answer  # the attempt follows once the choice is stored (press)
                case ShowOffers():
                    offers = await catalog.offers()
                    self._funnel.reached(state.campaign, Stage.OFFERS_SHOWN, studio=state.studio)
                    effect = booking_flow.offers_listed(state, offers, ctx)
                case ShowDays(offer=offer, window=index, note=note):
                    window = await self._window(catalog, zone, offer, index)
                    self._funnel.reached(state.campaign, Stage.SLOTS_SHOWN, studio=state.studio)
                    return booking.days_view(
                        state, window.slots, window.more, ctx, zone, self._now(zone), note
                    )
                case ShowTimes(offer=offer, window=index, day=day, note=note, fresh=fresh):
                    window = await self._window(catalog, zone, offer, index, fresh=fresh)
                    return booking.times_view(
                        state, day, window.slots, ctx, zone, self._now(zone), note
                    )
                case Confirm(booking_id=booking_id):
                    try:
                        result = await catalog.confirm(booking_id)
                    except PerfectGymError:
                        return Outcome(
                            notice=ctx.tr.gettext(
                                "The booking system is not answering right now. Please tap "
                                "Confirm again in a minute."
                            )
                        )
                    self._count(state, result)
                    effect = booking_flow.confirmed(state, result, ctx, zone)
                case _:
                    assert_never(effect)

    async def _window(
        self,
        catalog: TrialCatalog,
        zone: ZoneInfo | None,
        offer: Offer,
        index: int,
        *,
        fresh: bool = False,
    ) -> SlotWindow:
        today = self._now(zone).date()
        if fresh:
            return await catalog.fresh_window(offer, index, today)
        return await catalog.window(offer, index, today)

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
            else await self._storage.hold_booking(chat_id, now, now + self._hold)
        )
        if stored is None:
            return
        state = BookingState.from_json(stored)
        club = self._club(state.studio)
        if club is None:
            log.warning(
                "chat %s: its studio is no longer in the chain; its trial booking is dropped",
                chat_ref(chat_id),
            )
            booking_flow.happened(state, Happening.CLUB_LEFT)  # Close: stored closed, no word
        before = _held(state)
        if state.phase is not BookingPhase.BOOKING or state.chosen is None or state.offer is None:
            await self._save(state)
            return
        assert club is not None
        ctx = self._context(state)
        try:
            try:
                attempt = await self._book(state, self._catalogs.of(club))
            except PerfectGymAuthError as exc:
                attempt = Attempt(Result.REFUSED, reason=f"the key may not book ({exc})")
            if await self._storage.load_booking(chat_id) is None:
                # Forgotten (or cancelled) while PerfectGym was booking: only staff hear of it.
                await self._erasure.answered(
                    chat_id, studio=state.studio, booking_id=attempt.booking_id
                )
                return
            outcome = await self._result(state, attempt, ctx, club)
        except PerfectGymError as exc:
            await self._later(state, ctx, club, exc)
            return
        try:
            await self._save(state)
        except BookingGone:
            await self._erasure.answered(chat_id, studio=state.studio, booking_id=state.booking_id)
            raise
        await self._announce(state, before)  # its reminders are stored before it is shown
        await self._sender.deliver(chat_id, outcome)

    async def _book(self, state: BookingState, catalog: TrialCatalog) -> Attempt:
        assert state.chosen is not None
        assert state.offer is not None
        verdict = await catalog.validate(state.chosen, state.customer_id, after_sent=state.sent)
        if verdict is Result.BOOKED:
            log.info("chat %s: the trial time was booked already", chat_ref(state.chat_id))
            return Attempt(Result.BOOKED, state.booking_id if state.sent else None)
        if verdict is not None:
            return Attempt(verdict, reason=f"validation: {verdict.value}")
        state.sent = True  # stored before the request: a lost answer is checked, not repeated
        await self._save(state, due_at=self._clock(), held_until=self._clock() + self._hold)
        return await catalog.book(state.chosen, state.customer_id, state.offer)

    async def _later(
        self, state: BookingState, ctx: AskContext, club: Club, exc: PerfectGymError
    ) -> None:
        now = self._clock()
        first = state.attempts == 0
        state.attempts += 1
        state.first_attempt_at = state.first_attempt_at or now
        if now - state.first_attempt_at >= GIVE_UP_AFTER:
            outcome = await self._result(
                state, Attempt(Result.REFUSED, reason=f"gave up: {exc}"), ctx, club
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

    async def _result(
        self, state: BookingState, attempt: Attempt, ctx: AskContext, club: Club
    ) -> Outcome:
        """What the prospect is told of ``attempt``, once the funnel has counted it."""
        self._count(state, attempt.result)
        return await self._carry_out(
            state, booking_flow.attempted(state, attempt, ctx, _zone(club)), ctx, club
        )

    def _count(self, state: BookingState, result: Result) -> None:
        stage = COUNTED.get(result)
        if stage is not None:
            self._funnel.reached(state.campaign, stage, studio=state.studio)

    async def _tell_staff(self, note: StaffNote, state: BookingState, club: Club) -> None:
        """The club's staff arrange what the bot could not: a refused booking, or an earlier one
        to cancel (the API can book but not cancel). The customer id finds the prospect in the
        club's PerfectGym; the time is the club's."""
        tr = Translator(self._staff_locale)
        ctx = self._conversations.context(self._staff_locale, None, state.studio)
        when = booking.when(note.slot, ctx, _zone(club)) if note.slot is not None else "?"
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
        await self._staff.tell(state.studio, text)

    # --- helpers -------------------------------------------------------------------------------

    async def _save(
        self, state: BookingState, *, due_at: float | None = None, held_until: float | None = None
    ) -> None:
        """Store ``state`` over the chat's booking, or raise ``BookingGone``: nothing more is
        done for a booking /cancel or /forget deleted, and nothing brings it back."""
        booked = None
        slot = state.booked or state.chosen  # chosen: booked, waiting for the prospect's confirm
        if state.booking_id is not None:
            class_slot = class_slot_of(slot) if slot is not None else None
            booked = BookedTrial(state.customer_id, state.booking_id, class_slot)
        if not await self._storage.save_booking(
            state.chat_id,
            state.to_json(),
            due_at=due_at,
            held_until=held_until,
            now=self._clock(),
            booked=booked,
        ):
            raise BookingGone

    def _club(self, studio: str | None) -> Club | None:
        """The club a booking belongs to; None for one no longer in the chain: its customer id
        is its own tenant's, never to be booked at another."""
        chain = self._conversations.chain
        return chain.club(None) if studio is None else chain.find(studio)

    def _context(self, state: BookingState) -> AskContext:
        return self._conversations.context(state.locale, state.language, state.studio)

    def _now(self, zone: ZoneInfo | None) -> datetime.datetime:
        """Now in the club's zone (the server's, with its offset, when none is known)."""
        return datetime.datetime.fromtimestamp(self._clock(), zone).astimezone(zone)


def _zone(club: Club) -> ZoneInfo | None:
    zone = club.profile.time_zone
    return ZoneInfo(zone) if zone else None
