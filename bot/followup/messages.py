"""What the prospect and staff are told before and after a booked trial session."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from bot.studio.information import StudioProfile
from conversations import booking, callbacks
from conversations.booking import TrialSlot
from conversations.context import AskContext
from conversations.i18n import Translator
from conversations.replies import Button, Outcome, Reply, Settle

# Button names (callbacks.encode), distinct from the booking's and the lead dialogue's; the
# token is the reminder's row, the argument the booking's id.
COMING = "rc"
CANT = "rx"
TALK = "rt"
NAMES = frozenset({COMING, CANT, TALK})


def when(starts_at: float, ctx: AskContext, zone: ZoneInfo | None) -> str:
    """The session's day and time at the studio, as the booking writes them."""
    start = datetime.datetime.fromtimestamp(starts_at, zone).astimezone(zone)
    return booking.when(TrialSlot("", start.isoformat()), ctx, zone)


def address(profile: StudioProfile) -> str | None:
    """The studio's street, postcode and city, as one line; None when none is known."""
    town = " ".join(part for part in (profile.postcode, profile.city) if part)
    parts = [part for part in (profile.street, town) if part]
    return ", ".join(parts) or None


def reminder(
    reminder_id: int,
    booking_id: int,
    session: str,
    starts_at: float,
    room: str | None,
    profile: StudioProfile,
    bring: str | None,
    ctx: AskContext,
    zone: ZoneInfo | None,
) -> Outcome:
    """Before the session: what, when, where and what to bring, and whether they come."""
    tr = ctx.tr
    lines = [
        tr.gettext("⏰ A reminder of your trial session: {session} on {when}.").format(
            session=session, when=when(starts_at, ctx, zone)
        )
    ]
    place = ", ".join(part for part in (room, address(profile)) if part)
    if place:
        lines.append(tr.gettext("Where: {place}").format(place=place))
    if bring:
        lines.append(tr.gettext("Please bring: {things}").format(things=bring))
    buttons = (
        (
            Button(
                tr.gettext("👍 I'll be there"), callbacks.encode(reminder_id, COMING, booking_id)
            ),
        ),
        (Button(tr.gettext("Can't make it"), callbacks.encode(reminder_id, CANT, booking_id)),),
    )
    return Outcome(replies=(Reply("\n".join(lines), buttons=buttons),), settle=Settle())


def coming(tr: Translator) -> Outcome:
    return Outcome(
        replies=(Reply(tr.gettext("Great, see you then! 👋")),),
        settle=Settle(shown=tr.gettext("👍 I'll be there")),
    )


def cant_note(tr: Translator) -> str:
    return tr.gettext(
        "No problem: the studio has been asked to cancel that booking. Would you like another time?"
    )


def cancelled_note(session: str, starts_at: float, ctx: AskContext, zone: ZoneInfo | None) -> str:
    return ctx.tr.gettext(
        "We're sorry: the studio had to cancel your trial session ({session} on {when}). "
        "Would you like to choose another time?"
    ).format(session=session, when=when(starts_at, ctx, zone))


def missed_note(session: str, ctx: AskContext) -> str:
    return ctx.tr.gettext(
        "We missed you at your trial session ({session}). No problem, that happens: would you "
        "like to choose another time?"
    ).format(session=session)


def how_was_it(
    reminder_id: int, session: str, offer_url: str | None, contact: bool, ctx: AskContext
) -> Outcome:
    """The day after the visit: one message from the studio."""
    tr = ctx.tr
    text = tr.gettext(
        "Thank you for coming to your trial session ({session}) yesterday! How was it? 😊"
    ).format(session=session)
    if offer_url:
        text += "\n\n" + tr.gettext("Our offer for you to keep training with us: {url}").format(
            url=offer_url
        )
    buttons = (
        ((Button(tr.gettext("💬 Talk to the studio"), callbacks.encode(reminder_id, TALK)),),)
        if contact
        else ()
    )
    return Outcome(replies=(Reply(text, buttons=buttons),), settle=Settle())


def contact(profile: StudioProfile, tr: Translator) -> Outcome:
    """The studio's phone and e-mail, for "Talk to the studio"."""
    ways = [way for way in (profile.phone, profile.email) if way]
    text = tr.gettext("You can reach the studio here: {contact}").format(contact=", ".join(ways))
    return Outcome(replies=(Reply(text),), settle=Settle(shown=tr.gettext("💬 Talk to the studio")))


def staff_cant(
    customer_id: int, session: str, when_text: str, booking_id: int, tr: Translator
) -> str:
    return tr.gettext(
        "Trial session: PerfectGym customer {customer} can't make it to {session} on {when}. "
        "Please cancel the booking ({booking})."
    ).format(customer=customer_id, session=session, when=when_text, booking=booking_id)
