"""The trial booking's transitions, pure: a press or a result in, what to do and the next phase
out. No bot, no Telegram, no PerfectGym, no database."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from conversations import booking, booking_flow
from conversations.booking import Attempt, BookingPhase, BookingState, Offer, Result, TrialSlot
from conversations.booking_flow import (
    Answer,
    ArrangeByHand,
    Book,
    CancelEarlier,
    CantMakeIt,
    Close,
    Confirm,
    Effect,
    GiveContact,
    Happening,
    SeeYou,
    ShowDays,
    ShowOffers,
    ShowTimes,
    Stale,
    TalkAtDesk,
)
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.i18n import Translator
from conversations.studio import Studio

BERLIN = ZoneInfo("Europe/Berlin")
YOGA = Offer("c1:10", "Yoga Flow", 60)
COACH = Offer("a2:20", "Probetraining mit Coach", 45)
EVENING = TrialSlot("ref-1", "2026-12-03T18:30:00+01:00", instructor="Mia", place="Room 1")
LATE = TrialSlot("ref-2", "2026-12-03T23:30:00+00:00")  # 00:30 on the 4th in Berlin
MONDAY = TrialSlot("ref-3", "2026-12-07T09:00:00+01:00")


def _ctx() -> AskContext:
    return AskContext(
        Translator("en"),
        "en_GB",
        None,
        datetime.date(2026, 12, 1),
        studio=Studio("Studio Nord", phone="+49 30 123"),
    )


def _state(phase: BookingPhase, **fields: object) -> BookingState:
    """A booking in ``phase`` with Yoga chosen from two offers, two days and two times shown."""
    state = BookingState(1, "en_GB", "en", "spring", 77, phase=phase, token=5)
    state.offers = [YOGA, COACH]
    state.offer = YOGA
    state.window = 1
    state.days = ["2026-12-03", "2026-12-07"]
    state.times = [EVENING, LATE]
    for name, value in fields.items():
        setattr(state, name, value)
    return state


def _press(state: BookingState, name: str, arg: str | int = "") -> Effect:
    return booking_flow.press(state, Action(state.token, name, str(arg)), _ctx(), BERLIN)


# --- the table -----------------------------------------------------------------------------------


def test_every_phase_has_its_row_and_every_button_a_phase() -> None:
    assert set(booking_flow.TRANSITIONS) == set(BookingPhase)
    handled = {name for row in booking_flow.TRANSITIONS.values() for name in row}
    assert handled == booking.NAMES
    assert booking_flow.TRANSITIONS[BookingPhase.BOOKING] == {}
    assert booking_flow.TRANSITIONS[BookingPhase.CLOSED] == {}


# (phase, button, its index) -> what to do, and the phase the state is in afterwards.
PRESSES: list[tuple[BookingPhase, str, str, Effect, BookingPhase]] = [
    (BookingPhase.OFFERED, booking.BOOK, "", ShowOffers(), BookingPhase.OFFERED),
    (BookingPhase.OFFERS, booking.OFFER, "1", ShowDays(COACH, 0), BookingPhase.OFFERS),
    (BookingPhase.DAYS, booking.LATER, "", ShowDays(YOGA, 2), BookingPhase.DAYS),
    (
        BookingPhase.DAYS,
        booking.DAY,
        "1",
        ShowTimes(YOGA, 1, datetime.date(2026, 12, 7)),
        BookingPhase.DAYS,
    ),
    (BookingPhase.TIMES, booking.OTHER_DAY, "", ShowDays(YOGA, 1), BookingPhase.TIMES),
    (BookingPhase.WAITING, booking.CHANGE, "", ShowDays(YOGA, 1), BookingPhase.WAITING),
]


@pytest.mark.parametrize(("phase", "name", "arg", "effect", "after"), PRESSES)
def test_a_press_names_what_to_fetch(
    phase: BookingPhase, name: str, arg: str, effect: Effect, after: BookingPhase
) -> None:
    state = _state(phase)
    assert _press(state, name, arg) == effect
    assert state.phase is after  # the view shown once it is fetched moves the phase


@pytest.mark.parametrize(
    ("phase", "name", "after"),
    [
        (BookingPhase.OFFERED, booking.NO_THANKS, BookingPhase.CLOSED),
        (BookingPhase.DAYS, booking.OTHER_OFFER, BookingPhase.OFFERS),
    ],
)
def test_a_press_answered_at_once(phase: BookingPhase, name: str, after: BookingPhase) -> None:
    state = _state(phase)
    effect = _press(state, name)
    assert isinstance(effect, Answer)
    assert effect.outcome.replies
    assert effect.staff is None
    assert state.phase is after


def test_a_time_is_stored_before_it_is_booked() -> None:
    state = _state(BookingPhase.TIMES, sent=True)
    effect = _press(state, booking.TIME, 0)
    assert isinstance(effect, Book)
    assert effect.slot == EVENING
    assert "booking Yoga Flow" in effect.answer.replies[0].text
    assert state.phase is BookingPhase.BOOKING
    assert state.chosen == EVENING
    assert state.sent is False  # a new choice: no request of it has gone out yet


def test_change_keeps_the_booking_until_a_new_one_is_made() -> None:
    state = _state(BookingPhase.BOOKED, offer=None, booked_offer=COACH, booked=EVENING)
    effect = _press(state, booking.CHANGE)
    assert isinstance(effect, ShowDays)
    assert (effect.offer, effect.window) == (COACH, 1)
    assert "stays until a new one is made" in (effect.note or "")
    assert state.changing is True
    assert state.booked == EVENING


def test_confirm_asks_to_confirm_the_reservation() -> None:
    state = _state(BookingPhase.CONFIRMING, booking_id=901)
    assert _press(state, booking.CONFIRM) == Confirm(901)


@pytest.mark.parametrize(
    ("phase", "name", "arg"),
    [
        (BookingPhase.OFFERED, booking.CONFIRM, ""),  # a button of another phase
        (BookingPhase.DAYS, booking.TIME, "0"),
        (BookingPhase.BOOKING, booking.TIME, "0"),  # being booked: no button counts
        (BookingPhase.CLOSED, booking.BOOK, ""),
        (BookingPhase.OFFERS, booking.OFFER, "2"),  # only two offers
        (BookingPhase.DAYS, booking.DAY, "x"),
        (BookingPhase.TIMES, booking.TIME, "5"),
        (BookingPhase.DAYS, "ok", ""),  # the lead dialogue's
    ],
)
def test_a_press_that_does_not_fit_is_stale_and_changes_nothing(
    phase: BookingPhase, name: str, arg: str
) -> None:
    state = _state(phase, booking_id=901)
    before = state.to_json()
    assert _press(state, name, arg) == Stale()
    assert state.to_json() == before


def test_a_button_of_an_older_message_is_stale() -> None:
    state = _state(BookingPhase.OFFERED)
    before = state.to_json()
    effect = booking_flow.press(state, Action(4, booking.BOOK), _ctx(), BERLIN)
    assert effect == Stale()
    assert state.to_json() == before


# --- the answers fed back ------------------------------------------------------------------------


def test_a_single_offer_goes_straight_to_its_days() -> None:
    state = _state(BookingPhase.OFFERED, offers=[], offer=None, window=3)
    assert booking_flow.offers_listed(state, [COACH], _ctx()) == ShowDays(COACH, 0)
    assert (state.offers, state.offer, state.window) == ([COACH], COACH, 0)


def test_several_offers_are_shown_and_none_closes() -> None:
    several = _state(BookingPhase.OFFERED, offers=[])
    shown = booking_flow.offers_listed(several, [YOGA, COACH], _ctx())
    assert isinstance(shown, Answer)
    assert len(shown.outcome.replies[0].buttons) == 2
    assert several.phase is BookingPhase.OFFERS
    none = _state(BookingPhase.OFFERED, offers=[])
    closed = booking_flow.offers_listed(none, [], _ctx())
    assert isinstance(closed, Answer)
    assert none.phase is BookingPhase.CLOSED


def _booking(**fields: object) -> BookingState:
    """Being booked, after three failed tries (an answer resets them)."""
    owed: dict[str, object] = {"chosen": EVENING, "attempts": 3, "first_attempt_at": 1.0}
    return _state(BookingPhase.BOOKING, **(owed | fields))


def _attempted(state: BookingState, attempt: Attempt) -> Effect:
    effect = booking_flow.attempted(state, attempt, _ctx(), BERLIN)
    assert (state.attempts, state.first_attempt_at) == (0, None)
    return effect


def test_booked() -> None:
    state = _booking()
    effect = _attempted(state, Attempt(Result.BOOKED, 501))
    assert isinstance(effect, Answer)
    assert effect.staff is None
    assert "Booked: Yoga Flow" in effect.outcome.replies[0].text
    assert state.phase is BookingPhase.BOOKED
    assert (state.booked, state.booked_offer, state.booking_id) == (EVENING, YOGA, 501)
    assert state.chosen is None


def test_booked_instead_of_an_earlier_booking_asks_staff_to_cancel_that() -> None:
    state = _booking(changing=True, booked=MONDAY, booked_offer=YOGA, booking_id=400)
    effect = _attempted(state, Attempt(Result.BOOKED, 501))
    assert isinstance(effect, Answer)
    assert effect.staff == CancelEarlier(77, "Yoga Flow", 400, MONDAY)
    assert "earlier booking" in effect.outcome.replies[0].text
    assert (state.phase, state.booked, state.booking_id) == (BookingPhase.BOOKED, EVENING, 501)
    assert state.changing is False


def test_to_be_confirmed() -> None:
    state = _booking()
    effect = _attempted(state, Attempt(Result.CONFIRM, 502, confirm_by=1_800_000_000.0))
    assert isinstance(effect, Answer)
    assert "Please confirm it" in effect.outcome.replies[0].text
    assert state.phase is BookingPhase.CONFIRMING
    assert (state.booking_id, state.confirm_by) == (502, 1_800_000_000.0)


def test_on_the_waiting_list() -> None:
    state = _booking()
    effect = _attempted(state, Attempt(Result.WAITING, 503))
    assert isinstance(effect, Answer)
    assert "waiting list" in effect.outcome.replies[0].text
    assert (state.phase, state.booking_id) == (BookingPhase.WAITING, 503)


def test_taken_shows_that_days_times_again_asked_afresh() -> None:
    state = _booking(chosen=LATE)
    effect = _attempted(state, Attempt(Result.TAKEN))
    assert isinstance(effect, ShowTimes)
    assert (effect.offer, effect.window, effect.fresh) == (YOGA, 1, True)
    assert effect.day == datetime.date(2026, 12, 4)  # the studio's day, not UTC's
    assert "just been taken" in (effect.note or "")
    assert state.chosen is None


def test_refused_is_left_to_staff() -> None:
    state = _booking()
    effect = _attempted(state, Attempt(Result.REFUSED, reason="validation: refused"))
    assert isinstance(effect, Answer)
    assert effect.staff == ArrangeByHand(77, "Yoga Flow", EVENING, "validation: refused")
    assert "couldn't book this online" in effect.outcome.replies[0].text
    assert "+49 30 123" in effect.outcome.replies[0].text
    assert (state.phase, state.chosen) == (BookingPhase.CLOSED, None)


def test_a_refused_change_keeps_the_booking_and_tells_no_staff() -> None:
    state = _booking(changing=True, booked=MONDAY, booked_offer=YOGA, booking_id=400)
    effect = _attempted(state, Attempt(Result.REFUSED))
    assert isinstance(effect, Answer)
    assert effect.staff is None
    assert "while this one stands" in effect.outcome.replies[0].text
    assert (state.phase, state.booked, state.booking_id) == (BookingPhase.BOOKED, MONDAY, 400)
    assert (state.chosen, state.changing) == (None, False)


def test_confirmed_in_time() -> None:
    state = _state(BookingPhase.CONFIRMING, chosen=EVENING, booking_id=502)
    effect = booking_flow.confirmed(state, Result.CONFIRMED, _ctx(), BERLIN)
    assert isinstance(effect, Answer)
    assert "Booked: Yoga Flow" in effect.outcome.replies[0].text
    assert (state.phase, state.booked) == (BookingPhase.BOOKED, EVENING)


def test_confirmed_too_late_asks_for_a_time_again() -> None:
    state = _state(BookingPhase.CONFIRMING, chosen=EVENING, booking_id=502)
    effect = booking_flow.confirmed(state, Result.EXPIRED, _ctx(), BERLIN)
    assert isinstance(effect, ShowDays)
    assert (effect.offer, effect.window) == (YOGA, 1)
    assert "has passed" in (effect.note or "")
    assert state.chosen is None


# --- what befalls a booking from outside its buttons -------------------------------------------


def test_every_happening_has_its_row() -> None:
    assert set(booking_flow.HAPPENINGS) == set(Happening)


def _held(phase: BookingPhase = BookingPhase.BOOKED, **fields: object) -> BookingState:
    """Yoga booked on Monday (booking 400) while Coach is being looked at, with its window 3."""
    held: dict[str, object] = {
        "offer": COACH,
        "window": 3,
        "booked": MONDAY,
        "booked_offer": YOGA,
        "booking_id": 400,
        "chosen": EVENING,
        "changing": True,
    }
    return _state(phase, **(held | fields))


@pytest.mark.parametrize("what", [Happening.CANT_MAKE_IT, Happening.CANCELLED, Happening.MISSED])
@pytest.mark.parametrize("phase", [BookingPhase.BOOKED, BookingPhase.DAYS, BookingPhase.WAITING])
def test_a_booking_given_up_shows_its_sessions_days_under_the_note(
    what: Happening, phase: BookingPhase
) -> None:
    state = _held(phase)
    effect = booking_flow.happened(state, what, 400, "We missed you.")
    assert effect == ShowDays(YOGA, 0, "We missed you.")  # the booked session, from today
    assert (state.offer, state.window) == (YOGA, 0)
    assert (state.booked, state.booking_id, state.chosen, state.changing) == (
        None,
        None,
        None,
        False,
    )
    assert state.booked_offer == YOGA
    assert state.phase is phase  # the days shown once they are read move it to DAYS


@pytest.mark.parametrize("what", [Happening.CANT_MAKE_IT, Happening.CANCELLED, Happening.MISSED])
@pytest.mark.parametrize(
    ("booking_id", "fields"),
    [
        (399, {}),  # changed to another booking since
        (400, {"booked_offer": None}),  # never booked: nothing to choose again from
        (400, {"booking_id": None, "booked": None}),  # given up already
    ],
)
def test_a_happening_of_another_booking_is_stale_and_changes_nothing(
    what: Happening, booking_id: int, fields: dict[str, object]
) -> None:
    state = _held(BookingPhase.BOOKED, **fields)
    before = state.to_json()
    assert booking_flow.happened(state, what, booking_id, "note") == Stale()
    assert state.to_json() == before


@pytest.mark.parametrize("phase", [BookingPhase.BOOKING, BookingPhase.BOOKED, BookingPhase.DAYS])
def test_a_club_that_left_the_chain_closes_its_booking_without_a_word(
    phase: BookingPhase,
) -> None:
    state = _held(phase)
    assert booking_flow.happened(state, Happening.CLUB_LEFT) == Close()
    assert state.phase is BookingPhase.CLOSED
    assert (state.token, state.booking_id, state.chosen) == (5, 400, EVENING)


def test_days_not_readable_close_the_booking_under_the_note_with_the_studios_contact() -> None:
    state = _held(booked=None, booking_id=None, chosen=None)
    effect = booking_flow.days_unreadable(state, "We're sorry: cancelled.", _ctx())
    assert isinstance(effect, Answer)
    assert effect.staff is None
    text = effect.outcome.replies[0].text
    assert text.startswith("We're sorry: cancelled.\n\nThere is no trial session to book online")
    assert "+49 30 123" in text
    assert effect.outcome.replies[0].buttons == ()
    assert (state.phase, state.token) == (BookingPhase.CLOSED, 6)  # older buttons inactive


# --- a reminder's buttons ------------------------------------------------------------------------


def _reminder(name: str, arg: str = "400") -> Action:
    return Action(31, name, arg)  # the token is the reminder's row, not the booking's


@pytest.mark.parametrize(
    ("name", "arg", "desk", "effect"),
    [
        (booking.TALK, "", True, TalkAtDesk()),
        (booking.TALK, "", False, GiveContact()),
        (booking.COMING, "400", False, SeeYou()),
        (booking.COMING, "400", True, SeeYou()),
        (booking.CANT, "400", True, CantMakeIt(400)),
        (booking.COMING, "399", False, Stale()),  # a reminder of a booking changed since
        (booking.CANT, "399", False, Stale()),
        (booking.CANT, "x", False, Stale()),
        (booking.CANT, "", False, Stale()),
    ],
)
def test_a_reminders_button(name: str, arg: str, desk: bool, effect: object) -> None:
    state = _held()
    before = state.to_json()
    assert booking_flow.reminder_press(state, _reminder(name, arg), desk=desk) == effect
    assert state.to_json() == before  # "Can't make it" gives it up through happened()


@pytest.mark.parametrize(
    ("name", "desk", "effect"),
    [
        (booking.TALK, True, TalkAtDesk()),  # the desk's thread needs no booking
        (booking.TALK, False, Stale()),
        (booking.COMING, False, Stale()),
        (booking.CANT, True, Stale()),
    ],
)
def test_a_reminders_button_without_a_booking(name: str, desk: bool, effect: object) -> None:
    assert booking_flow.reminder_press(None, _reminder(name), desk=desk) == effect


def test_a_booking_given_up_by_its_reminder_is_stale_for_the_next_press() -> None:
    state = _held()
    assert booking_flow.reminder_press(state, _reminder(booking.CANT), desk=False) == CantMakeIt(
        400
    )
    booking_flow.happened(state, Happening.CANT_MAKE_IT, 400, "note")
    assert booking_flow.reminder_press(state, _reminder(booking.CANT), desk=False) == Stale()
    assert booking_flow.reminder_press(state, _reminder(booking.COMING), desk=False) == Stale()
