"""What the prospect and staff are told before and after a booked trial session."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from bot.studio.information import StudioProfile
from conversations import booking, callbacks, front_desk
from conversations.booking import CANT, COMING, TALK, TrialSlot
from conversations.context import AskContext
from conversations.i18n import Translator
from conversations.replies import Button, Outcome, Reply, Settle
from conversations.studio import Studio


def when(starts_at: float, ctx: AskContext, zone: ZoneInfo | None) -> str:
    """The session's day and time at the studio, as the booking writes them."""
    start = datetime.datetime.fromtimestamp(starts_at, zone).astimezone(zone)
    return booking.when(TrialSlot("", start.isoformat()), ctx, zone)


def reminder(
    reminder_id: int,
    booking_id: int,
    session: str,
    starts_at: float,
    room: str | None,
    profile: StudioProfile,
    name: str,
    bring: str | None,
    ctx: AskContext,
    zone: ZoneInfo | None,
) -> Outcome:
    """Before the session: what, when, where and what to bring, and whether they come. Where
    the club has coordinates, the place comes first as a venue on the map, as /where shows it
    (a venue message carries no text), and the text names the room, if any; else the text
    names the room and the address."""
    tr = ctx.tr
    lines = [
        tr.gettext("⏰ A reminder of your trial session: {session} on {when}.").format(
            session=session, when=when(starts_at, ctx, zone)
        )
    ]
    venue = profile.venue(name)
    address = None if venue is not None else profile.address
    place = ", ".join(part for part in (room, address) if part)
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
    text = Reply("\n".join(lines), buttons=buttons)
    if venue is None:
        return Outcome(replies=(text,), settle=Settle())
    where = Reply(front_desk.address_text(name, venue.address), venue=venue)
    return Outcome(replies=(where, text), settle=Settle())


def coming(tr: Translator) -> Outcome:
    return Outcome(
        replies=(Reply(tr.gettext("Great, see you then! 👋")),),
        settle=Settle(shown=tr.gettext("👍 I'll be there")),
    )


def cant_note(ctx: AskContext) -> str:
    """Staff are asked to cancel; the prospect reads the studio's name (or its word)."""
    tr = ctx.tr
    return ctx.studio.fill(
        tr.gettext(
            "No problem: {studio} has been asked to cancel that booking. Would you like another "
            "time?"
        ),
        tr,
    )


def cancelled_note(session: str, starts_at: float, ctx: AskContext, zone: ZoneInfo | None) -> str:
    tr = ctx.tr
    return ctx.studio.fill(
        tr.gettext(
            "We're sorry: {studio} had to cancel your trial session ({session} on {when}). "
            "Would you like to choose another time?"
        ),
        tr,
        session=session,
        when=when(starts_at, ctx, zone),
    )


def missed_note(session: str, ctx: AskContext) -> str:
    return ctx.tr.gettext(
        "We missed you at your trial session ({session}). No problem, that happens: would you "
        "like to choose another time?"
    ).format(session=session)


def how_was_it(
    reminder_id: int,
    session: str,
    offer_url: str | None,
    ctx: AskContext,
    *,
    contact: bool,
    desk: bool,
) -> Outcome:
    """The day after the visit: one message from the studio. Its "Talk to the studio" opens
    the front desk's thread (``desk``: a staff group to talk in; the button is the desk's own
    "Ask the studio", pressed through the front desk), else gives the studio's phone and e-mail
    (``contact``: any known), else is not there."""
    tr = ctx.tr
    text = tr.gettext(
        "Thank you for coming to your trial session ({session}) yesterday! How was it? 😊"
    ).format(session=session)
    if offer_url:
        text += "\n\n" + tr.gettext("Our offer for you to keep training with us: {url}").format(
            url=offer_url
        )
    talk = tr.gettext("💬 Talk to the studio")
    buttons: tuple[tuple[Button, ...], ...] = ()
    if desk:
        buttons = ((Button(talk, front_desk.ASK),),)
    elif contact:
        buttons = ((Button(talk, callbacks.encode(reminder_id, TALK)),),)
    return Outcome(replies=(Reply(text, buttons=buttons),), settle=Settle())


def contact(profile: StudioProfile, studio: Studio, tr: Translator) -> Outcome:
    """The studio's phone and e-mail, for "Talk to the studio" where there is no front desk;
    ``studio`` names it (its name, else its word) in the prospect's language."""
    ways = [way for way in (profile.phone, profile.email) if way]
    text = studio.fill(
        tr.gettext("{studio} can be reached here: {contact}"), tr, contact=", ".join(ways)
    )
    return Outcome(replies=(Reply(text),), settle=Settle(shown=tr.gettext("💬 Talk to the studio")))


def staff_cant(
    customer_id: int, session: str, when_text: str, booking_id: int, tr: Translator
) -> str:
    return tr.gettext(
        "Trial session: PerfectGym customer {customer} can't make it to {session} on {when}. "
        "Please cancel the booking ({booking})."
    ).format(customer=customer_id, session=session, when=when_text, booking=booking_id)
