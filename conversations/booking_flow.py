"""The trial booking as a state machine: a press in, what to do next out, the state updated in place.

Pure, like ``flow.py``: no I/O, no clock, no vendor. A handler either answers at once
(:class:`Answer`) or names what has to be fetched or booked first (:class:`ShowOffers`,
:class:`ShowDays`, :class:`ShowTimes`, :class:`Book`, :class:`Confirm`). ``bot/trials/booking.py``
carries that out and hands PerfectGym's answer back (:func:`offers_listed`, :func:`attempted`,
:func:`confirmed`), which decides the next phase and reply in turn.

The phases and what moves between them::

    OFFERED     "Book a trial session"   -> OFFERS      ShowOffers (just one offer: its DAYS)
                "No, thanks"             -> CLOSED
    OFFERS      an offer                 -> DAYS        ShowDays
    DAYS        a day                    -> TIMES       ShowTimes
                "Later dates"            -> DAYS        ShowDays, the next window
                "Another session"        -> OFFERS
    TIMES       a time                   -> BOOKING     Book: stored first, then booked
                "Another day"            -> DAYS        ShowDays
    BOOKING     booked                   -> BOOKED      (attempted; a change: staff cancel
                                                        the earlier booking)
                to be confirmed          -> CONFIRMING
                on the waiting list      -> WAITING
                taken meanwhile          -> TIMES       ShowTimes, asked afresh
                refused                  -> CLOSED      staff arrange it (a change: BOOKED,
                                                        the booking stays)
    CONFIRMING  "Confirm"                -> BOOKED      Confirm (too late: DAYS)
    BOOKED      "Change the time"        -> DAYS        ShowDays (the booking stays)
    WAITING     "Choose another time"    -> DAYS        ShowDays
    CLOSED      nothing more to do
    any phase   a button of an older message, or one the phase has no use for: Stale

What befalls a booking from outside its own buttons (:func:`happened`), in any phase::

    the prospect can't make it   -> DAYS    ShowDays under the note, the booking given up
    the studio cancelled it      -> DAYS    (idem; days not readable: CLOSED, days_unreadable)
    the session was missed       -> DAYS    (idem)
    its club left the chain      -> CLOSED  Close: nothing more is said or booked
    (the first three: Stale when the chat's booking is no longer the one they are about)

A reminder's buttons (:func:`reminder_press`) change nothing but through "Can't make it"::

    "Talk to the studio"   TalkAtDesk (the front desk's thread), else GiveContact
    "I'll be there"        SeeYou
    "Can't make it"        CantMakeIt: the first row above, staff asked to cancel
    (a button of a booking changed or given up since, or no booking: Stale)

:data:`TRANSITIONS` and :data:`HAPPENINGS` below are the same tables in code (the BOOKING rows
are :func:`attempted`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from conversations import booking
from conversations.booking import Attempt, BookingPhase, BookingState, Offer, Result, TrialSlot
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.replies import Outcome

# --- what to do --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CancelEarlier:
    """For staff: the prospect booked another time, and the API cannot cancel the earlier one."""

    customer_id: int
    session: str
    booking_id: int | None
    slot: TrialSlot


@dataclass(frozen=True)
class ArrangeByHand:
    """For staff: the chosen time could not be booked online (``reason`` says why)."""

    customer_id: int
    session: str
    slot: TrialSlot | None
    reason: str


StaffNote = CancelEarlier | ArrangeByHand


@dataclass(frozen=True)
class Answer:
    """Send ``outcome`` to the prospect; ``staff``, if any, goes to the staff chat first."""

    outcome: Outcome
    staff: StaffNote | None = None


@dataclass(frozen=True)
class ShowOffers:
    """Ask for the bookable offers and hand them to :func:`offers_listed`."""


@dataclass(frozen=True)
class ShowDays:
    """Show the days with free times in the ``window``-th window of ``offer`` (``days_view``)."""

    offer: Offer
    window: int
    note: str | None = None


@dataclass(frozen=True)
class ShowTimes:
    """Show the free times of ``day`` (``times_view``); ``fresh``: ask again, past the cache."""

    offer: Offer
    window: int
    day: datetime.date
    note: str | None = None
    fresh: bool = False


@dataclass(frozen=True)
class Book:
    """Store ``slot`` as owed, then book it (now, or later while PerfectGym is down) and hand
    the result to :func:`attempted`; ``answer`` tells the prospect it is under way."""

    slot: TrialSlot
    answer: Outcome


@dataclass(frozen=True)
class Confirm:
    """Confirm the reservation ``booking_id`` and hand the result to :func:`confirmed`."""

    booking_id: int


@dataclass(frozen=True)
class Stale:
    """Nothing to do: the button belongs to an older message, or not to this phase."""


@dataclass(frozen=True)
class Close:
    """The booking is over without a word: stored closed, nothing more is booked for it."""


Effect = Answer | ShowOffers | ShowDays | ShowTimes | Book | Confirm | Stale | Close
Handler = Callable[[BookingState, Action, AskContext, ZoneInfo | None], Effect]


class Happening(StrEnum):
    """What befalls a booking from outside its own buttons (:data:`HAPPENINGS`)."""

    CANT_MAKE_IT = "cant_make_it"  # "Can't make it" under a reminder
    CANCELLED = "cancelled"  # PerfectGym: the studio cancelled it
    MISSED = "missed"  # no check-in came for the session
    CLUB_LEFT = "club_left"  # its club is no longer in the chain


HappeningHandler = Callable[[BookingState, int | None, str], Effect]


# What a reminder's button asks for (:func:`reminder_press`).


@dataclass(frozen=True)
class TalkAtDesk:
    """ "Talk to the studio" where the club has a front desk: its thread with staff opens."""


@dataclass(frozen=True)
class GiveContact:
    """ "Talk to the studio" without a front desk: the studio's phone and e-mail."""


@dataclass(frozen=True)
class SeeYou:
    """ "I'll be there": thanked; nothing changes."""


@dataclass(frozen=True)
class CantMakeIt:
    """ "Can't make it": :attr:`Happening.CANT_MAKE_IT` for ``booking_id``, its reminders
    stopped and staff asked to cancel it (the API cannot)."""

    booking_id: int


ReminderEffect = TalkAtDesk | GiveContact | SeeYou | CantMakeIt | Stale


# --- entry points ------------------------------------------------------------------------------


def press(state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None) -> Effect:
    """A press on one of the booking's buttons; ``zone`` is the studio's, for times shown."""
    if action.token != state.token:
        return Stale()
    handler = TRANSITIONS[state.phase].get(action.name)
    return Stale() if handler is None else handler(state, action, ctx, zone)


def offers_listed(state: BookingState, offers: list[Offer], ctx: AskContext) -> Effect:
    """The offers to choose from; with only one there is nothing to choose."""
    if len(offers) == 1:
        state.offers, state.offer, state.window = offers, offers[0], 0
        return _days(state)
    return Answer(booking.offers_view(state, offers, ctx))


def attempted(
    state: BookingState, attempt: Attempt, ctx: AskContext, zone: ZoneInfo | None
) -> Effect:
    """What the booking of the stored choice achieved (or a refusal when it was given up)."""
    state.attempts, state.first_attempt_at = 0, None
    if attempt.result in (Result.BOOKED, Result.CONFIRM):
        earlier = state.booked if state.changing else None
        earlier_id = state.booking_id
        state.booking_id = attempt.booking_id
        if attempt.result is Result.CONFIRM:
            state.confirm_by = attempt.confirm_by
            return Answer(booking.confirm_view(state, ctx, zone))
        staff = (
            None
            if earlier is None
            else CancelEarlier(state.customer_id, booking.session_title(state), earlier_id, earlier)
        )
        return Answer(booking.booked_view(state, ctx, zone, earlier), staff)
    if attempt.result is Result.WAITING:
        state.booking_id = attempt.booking_id
        return Answer(booking.waiting_view(state, ctx, zone))
    if attempt.result is Result.TAKEN:
        assert state.chosen is not None
        assert state.offer is not None
        day = state.chosen.starts(zone).date()
        state.chosen = None
        return ShowTimes(state.offer, state.window, day, booking.taken_note(ctx.tr), fresh=True)
    if state.changing:
        return Answer(booking.change_refused_view(state, ctx))
    staff_note = ArrangeByHand(
        state.customer_id, booking.session_title(state), state.chosen, attempt.reason or "refused"
    )
    return Answer(booking.refused_view(state, ctx), staff_note)


def confirmed(
    state: BookingState, result: Result, ctx: AskContext, zone: ZoneInfo | None
) -> Effect:
    """The answer to "Confirm": booked, or too late, and a time to be chosen again."""
    if result is Result.CONFIRMED:
        return Answer(booking.booked_view(state, ctx, zone))
    state.chosen = None
    return _days(state, booking.expired_note(ctx.tr))


def happened(
    state: BookingState, what: Happening, booking_id: int | None = None, note: str = ""
) -> Effect:
    """``what`` befell the booking ``booking_id`` (the one the chat holds, for CLUB_LEFT);
    ``note`` says so above the days to choose another time from."""
    return HAPPENINGS[what](state, booking_id, note)


def days_unreadable(state: BookingState, note: str, ctx: AskContext) -> Answer:
    """A booking given up while no other times can be read: closed, the studio arranges one;
    the buttons shown before are no longer active."""
    state.token += 1
    state.phase = BookingPhase.CLOSED
    return Answer(booking.no_times_now(note, ctx))


def reminder_press(state: BookingState | None, action: Action, *, desk: bool) -> ReminderEffect:
    """A press under a reminder or the follow-up (``booking.REMINDER_NAMES``); ``state``: the
    chat's booking, if any; ``desk``: the club has a front desk to talk at. "Talk to the
    studio" of a follow-up sent before the club had a desk opens its thread now."""
    if action.name == booking.TALK and desk:
        return TalkAtDesk()
    if state is None:
        return Stale()
    if action.name == booking.TALK:
        return GiveContact()
    if not action.arg.isdigit() or state.booking_id != int(action.arg):
        return Stale()  # a reminder of a booking changed or given up since
    if action.name == booking.COMING:
        return SeeYou()
    return CantMakeIt(state.booking_id)


# --- the transitions ---------------------------------------------------------------------------


def _show_offers(
    state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None
) -> Effect:
    return ShowOffers()


def _no_thanks(
    state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None
) -> Effect:
    return Answer(booking.no_thanks(state, ctx.tr, ctx.studio))


def _offer(state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None) -> Effect:
    index = action.pick(booking.OFFER, len(state.offers))
    if index is None:
        return Stale()
    state.offer, state.window = state.offers[index], 0
    return _days(state)


def _later(state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None) -> Effect:
    state.window += 1
    return _days(state)


def _other_offer(
    state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None
) -> Effect:
    return Answer(booking.offers_view(state, state.offers, ctx))


def _day(state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None) -> Effect:
    index = action.pick(booking.DAY, len(state.days))
    if index is None:
        return Stale()
    assert state.offer is not None
    return ShowTimes(state.offer, state.window, datetime.date.fromisoformat(state.days[index]))


def _other_day(
    state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None
) -> Effect:
    return _days(state)


def _time(state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None) -> Effect:
    index = action.pick(booking.TIME, len(state.times))
    if index is None:
        return Stale()
    slot = state.times[index]
    state.sent = False
    return Book(slot, booking.booking_view(state, slot, ctx, zone))


def _change(state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None) -> Effect:
    """Another time; a booking that stands is kept until the new one is made."""
    state.changing = state.phase is BookingPhase.BOOKED
    state.offer = state.offer or state.booked_offer
    return _days(state, booking.change_note(ctx.tr) if state.changing else None)


def _confirm(state: BookingState, action: Action, ctx: AskContext, zone: ZoneInfo | None) -> Effect:
    assert state.booking_id is not None
    return Confirm(state.booking_id)


def _other_time(state: BookingState, booking_id: int | None, note: str) -> Effect:
    """The held booking given up: its own Change, with nothing left to keep."""
    if booking_id is None or state.booking_id != booking_id or state.booked_offer is None:
        return Stale()
    state.offer, state.window = state.booked_offer, 0
    state.booked, state.booking_id, state.chosen, state.changing = None, None, None, False
    return _days(state, note)


def _close(state: BookingState, booking_id: int | None, note: str) -> Effect:
    state.phase = BookingPhase.CLOSED
    return Close()


TRANSITIONS: Mapping[BookingPhase, Mapping[str, Handler]] = {
    BookingPhase.OFFERED: {booking.BOOK: _show_offers, booking.NO_THANKS: _no_thanks},
    BookingPhase.OFFERS: {booking.OFFER: _offer},
    BookingPhase.DAYS: {
        booking.DAY: _day,
        booking.LATER: _later,
        booking.OTHER_OFFER: _other_offer,
    },
    BookingPhase.TIMES: {booking.TIME: _time, booking.OTHER_DAY: _other_day},
    BookingPhase.BOOKING: {},  # no buttons: the result comes through attempted()
    BookingPhase.CONFIRMING: {booking.CONFIRM: _confirm},
    BookingPhase.BOOKED: {booking.CHANGE: _change},
    BookingPhase.WAITING: {booking.CHANGE: _change},
    BookingPhase.CLOSED: {},
}

HAPPENINGS: Mapping[Happening, HappeningHandler] = {
    Happening.CANT_MAKE_IT: _other_time,
    Happening.CANCELLED: _other_time,
    Happening.MISSED: _other_time,
    Happening.CLUB_LEFT: _close,
}


# --- helpers -----------------------------------------------------------------------------------


def _days(state: BookingState, note: str | None = None) -> ShowDays:
    assert state.offer is not None
    return ShowDays(state.offer, state.window, note)
