"""Booking a free trial session after the lead is created: the dialogue's state and views.

Offers, days and times come in as plain values (``Offer``, ``TrialSlot``); what a booking
attempt achieved comes back as an ``Attempt``. Which press leads where is
``conversations/booking_flow.py`` (its phases and transitions in one table at its top); who talks
to PerfectGym, stores the state and retries is ``bot/trials/booking.py``. Each ``*_view`` below
shows one phase and moves the state into it.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_skeleton, format_time

from conversations import callbacks, migrations
from conversations.context import AskContext
from conversations.i18n import Translator
from conversations.replies import Button, Outcome, Reply, Settle
from conversations.studio import Studio

# Button names (callbacks.encode): distinct from the lead dialogue's, so a press is routed here.
BOOK = "tb"
NO_THANKS = "tn"
OFFER = "to"
DAY = "td"
LATER = "tl"
TIME = "tt"
OTHER_OFFER = "tw"
OTHER_DAY = "tv"
CONFIRM = "tc"
CHANGE = "tx"
NAMES = frozenset(
    {BOOK, NO_THANKS, OFFER, DAY, LATER, TIME, OTHER_OFFER, OTHER_DAY, CONFIRM, CHANGE}
)

# A reminder's and the follow-up's buttons (``bot/followup/messages.py``; decided by
# ``booking_flow.reminder_press``): the token is the reminder's row, the argument the booking's id.
COMING = "rc"
CANT = "rx"
TALK = "rt"
REMINDER_NAMES = frozenset({COMING, CANT, TALK})

MAX_TIMES = 12  # buttons for one day's times; a busy class day has no more


class BookingPhase(StrEnum):
    """Where a trial booking stands (the lead dialogue's own is ``conversations.state.Phase``)."""

    OFFERED = "offered"
    OFFERS = "offers"
    DAYS = "days"
    TIMES = "times"
    BOOKING = "booking"
    CONFIRMING = "confirming"
    BOOKED = "booked"
    WAITING = "waiting"
    CLOSED = "closed"


@dataclass(frozen=True)
class Offer:
    """A bookable trial session: a class or an appointment. ``key`` is the catalog's own."""

    key: str
    title: str
    minutes: int | None = None


@dataclass(frozen=True)
class TrialSlot:
    """One free time of an offer. ``ref`` is the catalog's own (what it books with);
    ``start`` and ``end`` are ISO 8601 with their offset."""

    ref: str
    start: str
    end: str | None = None
    instructor: str | None = None
    place: str | None = None

    def starts(self, zone: ZoneInfo | None) -> datetime.datetime:
        moment = datetime.datetime.fromisoformat(self.start)
        return moment.astimezone(zone) if zone is not None else moment


class Result(StrEnum):
    """What one booking attempt (or a confirmation) achieved."""

    BOOKED = "booked"
    CONFIRM = "confirm"  # booked, to be confirmed by the prospect within the term
    WAITING = "waiting"  # on the waiting list
    TAKEN = "taken"  # the time is no longer free
    REFUSED = "refused"  # the studio's system will not book this prospect online
    EXPIRED = "expired"  # the confirmation came too late
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Attempt:
    result: Result
    booking_id: int | None = None
    confirm_by: float | None = None  # Unix time, for CONFIRM
    reason: str | None = None  # for staff, for REFUSED


@dataclass
class BookingState:
    """One prospect's trial booking, stored per chat. ``chosen`` is the time being booked (set
    before any call: a crash never loses it); ``booked`` the one PerfectGym holds. ``studio``
    is the club whose PerfectGym books it (absent from the JSON for the single studio)."""

    chat_id: int
    locale: str
    language: str | None
    campaign: str | None
    customer_id: int
    phase: BookingPhase = BookingPhase.OFFERED
    token: int = 0
    offers: list[Offer] = field(default_factory=list)
    offer: Offer | None = None
    window: int = 0  # which of the offer's windows of days is shown
    days: list[str] = field(default_factory=list)  # ISO dates shown
    times: list[TrialSlot] = field(default_factory=list)  # the chosen day's
    chosen: TrialSlot | None = None
    booked: TrialSlot | None = None
    booked_offer: Offer | None = None
    booking_id: int | None = None
    confirm_by: float | None = None
    sent: bool = False  # a book request may have reached PerfectGym: validate before another
    changing: bool = False  # a booking stands and the prospect is choosing another time
    attempts: int = 0  # failed tries of the current choice (PerfectGym down)
    first_attempt_at: float | None = None
    studio: str | None = None  # the chain's club its lead went to; None: the single studio

    def to_json(self) -> str:
        """Versioned, and readable by the release before (``migrations.stored_booking``)."""
        data = migrations.stored_booking(asdict(self))
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> BookingState:
        """``text`` as any release stored it: brought up to date first, a later release's
        refused (``migrations.NewerFormat``); a key a later release added is ignored."""
        upgraded = migrations.upgrade_booking(json.loads(text))
        data: dict[str, Any] = {k: v for k, v in upgraded.items() if k in _BOOKING_FIELDS}

        def offer(value: Any) -> Offer | None:
            return None if value is None else Offer(**value)

        def slot(value: Any) -> TrialSlot | None:
            return None if value is None else TrialSlot(**value)

        return cls(
            **{
                **data,
                "phase": BookingPhase(data["phase"]),
                "offers": [Offer(**o) for o in data["offers"]],
                "offer": offer(data["offer"]),
                "times": [TrialSlot(**s) for s in data["times"]],
                "chosen": slot(data["chosen"]),
                "booked": slot(data["booked"]),
                "booked_offer": offer(data["booked_offer"]),
            }
        )

    def button(self, label: str, name: str, arg: str | int = "") -> Button:
        return Button(label, callbacks.encode(self.token, name, arg))


_BOOKING_FIELDS = frozenset(f.name for f in fields(BookingState))


# --- what the prospect sees ----------------------------------------------------------------------


def invitation(state: BookingState, tr: Translator) -> Reply:
    """Under the thank-you: the offer to book at once."""
    state.phase = BookingPhase.OFFERED
    state.token += 1
    return Reply(
        tr.gettext("Would you like to book a free trial session right away?"),
        buttons=(
            (state.button(tr.gettext("📅 Book a trial session"), BOOK),),
            (state.button(tr.gettext("No, thanks"), NO_THANKS),),
        ),
    )


def no_thanks(state: BookingState, tr: Translator, studio: Studio) -> Outcome:
    state.phase = BookingPhase.CLOSED
    return _say(
        studio.fill(
            tr.gettext("All right. {studio} will get in touch with you about a trial session."),
            tr,
        ),
        studio,
        tr,
        contact=False,
    )


def offers_view(state: BookingState, offers: list[Offer], ctx: AskContext) -> Outcome:
    tr = ctx.tr
    state.token += 1
    state.offers = offers
    if not offers:
        state.phase = BookingPhase.CLOSED
        return _say(
            ctx.studio.fill(
                tr.gettext(
                    "There is no trial session to book online right now. {studio} will arrange "
                    "one with you."
                ),
                tr,
            ),
            ctx.studio,
            tr,
        )
    state.phase = BookingPhase.OFFERS
    rows = tuple(
        (state.button(_offer_label(offer, tr), OFFER, i),) for i, offer in enumerate(offers)
    )
    return Outcome(
        replies=(Reply(tr.gettext("Which trial session would you like?"), buttons=rows),),
        settle=Settle(),
    )


def days_view(
    state: BookingState,
    slots: list[TrialSlot],
    more: bool,
    ctx: AskContext,
    zone: ZoneInfo | None,
    now: datetime.datetime,
    note: str | None = None,
) -> Outcome:
    """The days of the current window that have a free time still ahead."""
    tr = ctx.tr
    state.token += 1
    state.phase = BookingPhase.DAYS
    days = sorted({s.starts(zone).date() for s in slots if s.starts(zone) > now})
    state.days = [day.isoformat() for day in days]
    rows: list[tuple[Button, ...]] = [
        (state.button(day_label(day, ctx.locale), DAY, i),) for i, day in enumerate(days)
    ]
    if more:
        rows.append((state.button(tr.gettext("Later dates ▸"), LATER),))
    if len(state.offers) > 1:
        rows.append((state.button(tr.gettext("◂ Another session"), OTHER_OFFER),))
    assert state.offer is not None
    if days:
        text = tr.gettext("{session}: which day suits you?").format(session=state.offer.title)
    elif more:
        text = tr.gettext(
            "{session}: no free times on these days. Shall we look further ahead?"
        ).format(session=state.offer.title)
    else:
        text = tr.gettext("{session}: there are no free times at the moment.").format(
            session=state.offer.title
        )
    if note:
        text = note + "\n\n" + text
    return Outcome(replies=(Reply(text, buttons=tuple(rows)),), settle=Settle())


def times_view(
    state: BookingState,
    day: datetime.date,
    slots: list[TrialSlot],
    ctx: AskContext,
    zone: ZoneInfo | None,
    now: datetime.datetime,
    note: str | None = None,
) -> Outcome:
    """The free times of ``day``, written the prospect's way (18:30, 6:30 PM)."""
    tr = ctx.tr
    state.token += 1
    state.phase = BookingPhase.TIMES
    state.times = sorted(
        (s for s in slots if s.starts(zone).date() == day and s.starts(zone) > now),
        key=lambda s: s.starts(zone),
    )[:MAX_TIMES]
    rows = [
        (state.button(_time_label(slot, ctx, zone), TIME, i),) for i, slot in enumerate(state.times)
    ]
    rows.append((state.button(tr.gettext("◂ Another day"), OTHER_DAY),))
    text = tr.gettext("Which time on {day}?").format(day=day_label(day, ctx.locale))
    if not state.times:
        text = tr.gettext("There are no free times left on {day}.").format(
            day=day_label(day, ctx.locale)
        )
    if note:
        text = note + "\n\n" + text
    return Outcome(replies=(Reply(text, buttons=tuple(rows)),), settle=Settle())


def booking_view(
    state: BookingState, slot: TrialSlot, ctx: AskContext, zone: ZoneInfo | None
) -> Outcome:
    """The time is stored; the booking goes out (now, or later if PerfectGym is down)."""
    state.token += 1
    state.phase = BookingPhase.BOOKING
    state.chosen = slot
    return Outcome(
        replies=(
            Reply(
                ctx.tr.gettext("One moment, I'm booking {session} on {when} for you…").format(
                    session=session_title(state), when=when(slot, ctx, zone)
                )
            ),
        ),
        settle=Settle(shown=_time_label(slot, ctx, zone)),
    )


def still_trying(ctx: AskContext) -> Outcome:
    return Outcome(
        replies=(
            Reply(
                ctx.tr.gettext(
                    "The booking system is not answering right now. Your choice is saved: I'll "
                    "keep trying and tell you here."
                )
            ),
        )
    )


def booked_view(
    state: BookingState, ctx: AskContext, zone: ZoneInfo | None, earlier: TrialSlot | None = None
) -> Outcome:
    """Date, time, place and instructor; "Change" books another time (there is no cancelling
    online, so the studio's contact is named for that)."""
    tr = ctx.tr
    assert state.chosen is not None
    state.token += 1
    state.phase = BookingPhase.BOOKED
    state.booked, state.booked_offer, state.chosen = state.chosen, state.offer, None
    state.changing = False
    slot = state.booked
    lines = [
        tr.gettext("✅ Booked: {session} on {when}.").format(
            session=session_title(state), when=when(slot, ctx, zone)
        )
    ]
    if slot.place:
        lines.append(tr.gettext("Where: {place}").format(place=slot.place))
    if slot.instructor:
        lines.append(tr.gettext("With: {instructor}").format(instructor=slot.instructor))
    if earlier is not None:
        lines.append(
            ctx.studio.fill(
                tr.gettext(
                    "Your earlier booking on {when} still stands; {studio} has been asked to "
                    "cancel it."
                ),
                tr,
                when=when(earlier, ctx, zone),
            )
        )
    lines.append(_contact(ctx.studio, tr, tr.gettext("{studio} can cancel it for you")))
    return _with_button(state, "\n".join(lines), tr.gettext("Change the time"), CHANGE)


def confirm_view(state: BookingState, ctx: AskContext, zone: ZoneInfo | None) -> Outcome:
    tr = ctx.tr
    assert state.chosen is not None
    state.token += 1
    state.phase = BookingPhase.CONFIRMING
    text = tr.gettext(
        "Almost done: {session} on {when} is reserved for you. Please confirm it."
    ).format(session=session_title(state), when=when(state.chosen, ctx, zone))
    if state.confirm_by is not None:
        deadline = datetime.datetime.fromtimestamp(state.confirm_by, zone)
        text += " " + tr.gettext("The reservation holds until {deadline}.").format(
            deadline=format_datetime(deadline, "short", locale=ctx.locale)
        )
    return _with_button(state, text, tr.gettext("✅ Confirm"), CONFIRM)


def waiting_view(state: BookingState, ctx: AskContext, zone: ZoneInfo | None) -> Outcome:
    tr = ctx.tr
    assert state.chosen is not None
    state.token += 1
    state.phase = BookingPhase.WAITING
    text = ctx.studio.fill(
        tr.gettext(
            "{session} on {when} is full, so you are on its waiting list. {studio} will let you "
            "know if a place becomes free. You can also choose another time."
        ),
        tr,
        session=session_title(state),
        when=when(state.chosen, ctx, zone),
    )
    return _with_button(state, text, tr.gettext("Choose another time"), CHANGE)


def refused_view(state: BookingState, ctx: AskContext) -> Outcome:
    state.token += 1
    state.phase = BookingPhase.CLOSED
    state.chosen = None
    return _say(
        ctx.studio.fill(
            ctx.tr.gettext(
                "I couldn't book this online. {studio} has your choice and will arrange the "
                "trial session with you personally."
            ),
            ctx.tr,
        ),
        ctx.studio,
        ctx.tr,
    )


def change_refused_view(state: BookingState, ctx: AskContext) -> Outcome:
    """A booking stands and the studio's rules allow no second one: keep it."""
    state.token += 1
    state.phase = BookingPhase.BOOKED
    state.chosen, state.changing = None, False
    return _say(
        ctx.tr.gettext("Another trial session can't be booked online while this one stands."),
        ctx.studio,
        ctx.tr,
        lead=ctx.tr.gettext("{studio} can change it for you"),
    )


def no_times_now(note: str, ctx: AskContext) -> Outcome:
    """``note`` (a booking given up) while no other times can be read: the studio arranges one."""
    return _say(
        note
        + "\n\n"
        + ctx.studio.fill(
            ctx.tr.gettext(
                "There is no trial session to book online right now. {studio} will arrange "
                "one with you."
            ),
            ctx.tr,
        ),
        ctx.studio,
        ctx.tr,
    )


def taken_note(tr: Translator) -> str:
    return tr.gettext("Sorry, that time has just been taken.")


def expired_note(tr: Translator) -> str:
    return tr.gettext(
        "The time to confirm that reservation has passed. Please choose a time again."
    )


def change_note(tr: Translator) -> str:
    return tr.gettext("Your booking stays until a new one is made.")


def stale(tr: Translator) -> Outcome:
    return Outcome(notice=tr.gettext("That button is no longer active."))


# --- helpers -------------------------------------------------------------------------------------


def day_label(day: datetime.date, locale: str) -> str:
    """The weekday and date as the locale writes them ("Thursday 3 December", "Do., 3. Dezember",
    "Thu, December 3")."""
    return format_skeleton("MMMMEEEEd", day, locale=locale)


def session_title(state: BookingState) -> str:
    """The session chosen, or the one booked while another time is being chosen."""
    offer = state.offer or state.booked_offer
    return offer.title if offer is not None else ""


def _offer_label(offer: Offer, tr: Translator) -> str:
    if offer.minutes:
        return tr.gettext("{session} ({minutes} min)").format(
            session=offer.title, minutes=offer.minutes
        )
    return offer.title


def _time_label(slot: TrialSlot, ctx: AskContext, zone: ZoneInfo | None) -> str:
    label = format_time(slot.starts(zone), "short", locale=ctx.locale)
    return f"{label} · {slot.instructor}" if slot.instructor else label


def when(slot: TrialSlot, ctx: AskContext, zone: ZoneInfo | None) -> str:
    start = slot.starts(zone)
    return ctx.tr.gettext("{day} at {time}").format(
        day=day_label(start.date(), ctx.locale),
        time=format_time(start, "short", locale=ctx.locale),
    )


def _contact(studio: Studio, tr: Translator, lead: str) -> str:
    """``lead`` (which names ``{studio}``) and the studio's phone or e-mail, or just ``lead``
    when none is known."""
    lead = studio.fill(lead, tr)
    if studio.phone:
        return tr.gettext("{lead}: {contact}.").format(lead=lead, contact=studio.phone)
    if studio.email:
        return tr.gettext("{lead}: {contact}.").format(lead=lead, contact=studio.email)
    return lead + "."


def _with_button(state: BookingState, text: str, label: str, name: str) -> Outcome:
    """One message with one button; the previous question's buttons are taken away."""
    return Outcome(replies=(Reply(text, buttons=((state.button(label, name),),)),), settle=Settle())


def _say(
    text: str, studio: Studio, tr: Translator, *, contact: bool = True, lead: str | None = None
) -> Outcome:
    if contact:
        text += " " + _contact(
            studio, tr, lead or tr.gettext("Questions? {studio} is happy to help")
        )
    return Outcome(replies=(Reply(text),), settle=Settle())
