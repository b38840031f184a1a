"""The studio's front desk in the chat: the three first questions a prospect asks ("where are
you?", "when are you open?", "what does it cost?"), what is said when the studio's data cannot
answer them, and the buttons of the whole desk: the answers, "Ask the studio" (a thread with a
person) and, from a thread, the way back to the form.

One row builder (:func:`desk_rows`) for the welcome, the thank-you and any later message, so
they all show the same buttons: the answers in one row, asking a person in a second (at most
two rows; a feature of the desk adds its button here, not a row of its own).

Pure: the answers' texts are in ``conversations.opening_hours`` and ``conversations.prices``;
reading the studio's data, the threads and handing a question to staff are ``bot.frontdesk``'s
business. The buttons carry ``desk:<what>``, which no other button's data looks like, and no
question token: they mean the same on every message they are under.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from conversations.i18n import Translator
from conversations.replies import Button, Reply

PREFIX = "desk:"
ASK = PREFIX + "ask"  # open a thread with the studio's staff
BACK = PREFIX + "back"  # leave the thread, back to the pending question


class Topic(StrEnum):
    """What was asked; also the command's name (``/where``) and the button's data."""

    WHERE = "where"
    HOURS = "hours"
    PRICES = "prices"


def topic_data(topic: Topic) -> str:
    return f"{PREFIX}{topic.value}"


def parse_topic_data(data: str) -> Topic | None:
    """The topic a desk button asks about; None for any other button."""
    if not data.startswith(PREFIX):
        return None
    try:
        return Topic(data[len(PREFIX) :])
    except ValueError:
        return None


def desk_row(tr: Translator) -> tuple[Button, ...]:
    """The answers' buttons, in one row."""
    return (
        Button(tr.gettext("📍 Where"), topic_data(Topic.WHERE)),
        Button(tr.gettext("🕒 Hours"), topic_data(Topic.HOURS)),
        Button(tr.gettext("💶 Prices"), topic_data(Topic.PRICES)),
    )


def ask_row(tr: Translator) -> tuple[Button, ...]:
    """Asking a person: a thread with the studio's staff."""
    return (Button(tr.gettext("💬 Ask the studio"), ASK),)


def back_row(tr: Translator) -> tuple[Button, ...]:
    return (Button(tr.gettext("↩️ Back to my details"), BACK),)


def desk_rows(tr: Translator, *, answers: bool, ask: bool) -> tuple[tuple[Button, ...], ...]:
    """The front desk's buttons: the answers (when the studio's data gives any) and asking a
    person (when there is a staff group to ask), each its own row, at most two."""
    return ((desk_row(tr),) if answers else ()) + ((ask_row(tr),) if ask else ())


def with_rows(reply: Reply, rows: tuple[tuple[Button, ...], ...]) -> Reply:
    """``reply`` with ``rows`` under its buttons, where the message can carry inline buttons: a
    share-contact keyboard or typed options cannot sit beside them (a message has one keyboard),
    and an answer's venue carries none."""
    rows = tuple(row for row in rows if row)
    if not rows or reply.contact_button or reply.keyboard_texts or reply.venue:
        return reply
    return replace(reply, buttons=(*reply.buttons, *rows))


def with_row(reply: Reply, row: tuple[Button, ...]) -> Reply:
    """``reply`` with ``row`` as its last row of buttons (see :func:`with_rows`)."""
    return with_rows(reply, (row,))


def personally(tr: Translator) -> str:
    """Said when the studio's data has no answer: the question went to staff instead."""
    return tr.gettext("The studio will answer this personally.")


def choose_club_first(tr: Translator, *, started: bool) -> str:
    """A chain's prospect asked before choosing a club: the answers are each club's own. Once
    chosen, the welcome carries the buttons to ask again."""
    text = tr.gettext(
        "Each club has its own address, opening hours and prices: please choose your club "
        "first, and its welcome has the buttons to ask."
    )
    if not started:
        text += " " + tr.gettext("Send /start to choose.")
    return text


def address_text(name: str | None, address: str) -> str:
    """The studio's address in words, when there is no point to show on a map."""
    return f"📍 {name}\n{address}" if name else f"📍 {address}"


# --- where a prospect's message goes (the front desk's routing, as one table) --------------------


class ThreadIs(StrEnum):
    """The prospect's thread with staff, as far as routing cares."""

    NONE = "none"  # never opened (or erased)
    OPEN = "open"  # their messages go to staff
    CLOSED = "closed"  # staff closed it, or the prospect went back to the form


class FormIs(StrEnum):
    """The prospect's conversation with the form."""

    NONE = "none"  # no conversation under way
    WAITING = "waiting"  # a question of the form waits for their next words
    SENT = "sent"  # the lead was sent: no question waits


class Route(StrEnum):
    """What becomes of a prospect's message that is not a command or a button."""

    THREAD = "thread"  # copied into their open thread
    FORM = "form"  # the answer to the question the form asked
    BEGIN = "begin"  # a newcomer's first words: the form begins
    OPEN = "open"  # no question waits: the thread opens (or opens again) with it


# (thread, form, has a lead) -> route. Every combination is here, so a change of one is a change
# of one line; an open thread takes everything, a waiting question takes the rest, and a prospect
# with neither a conversation, a thread nor a lead is a newcomer.
ROUTES: dict[tuple[ThreadIs, FormIs, bool], Route] = {
    (ThreadIs.OPEN, FormIs.NONE, False): Route.THREAD,
    (ThreadIs.OPEN, FormIs.NONE, True): Route.THREAD,
    (ThreadIs.OPEN, FormIs.WAITING, False): Route.THREAD,
    (ThreadIs.OPEN, FormIs.WAITING, True): Route.THREAD,
    (ThreadIs.OPEN, FormIs.SENT, False): Route.THREAD,
    (ThreadIs.OPEN, FormIs.SENT, True): Route.THREAD,
    (ThreadIs.CLOSED, FormIs.NONE, False): Route.OPEN,
    (ThreadIs.CLOSED, FormIs.NONE, True): Route.OPEN,
    (ThreadIs.CLOSED, FormIs.WAITING, False): Route.FORM,
    (ThreadIs.CLOSED, FormIs.WAITING, True): Route.FORM,
    (ThreadIs.CLOSED, FormIs.SENT, False): Route.OPEN,
    (ThreadIs.CLOSED, FormIs.SENT, True): Route.OPEN,
    (ThreadIs.NONE, FormIs.NONE, False): Route.BEGIN,
    (ThreadIs.NONE, FormIs.NONE, True): Route.OPEN,
    (ThreadIs.NONE, FormIs.WAITING, False): Route.FORM,
    (ThreadIs.NONE, FormIs.WAITING, True): Route.FORM,
    (ThreadIs.NONE, FormIs.SENT, False): Route.OPEN,
    (ThreadIs.NONE, FormIs.SENT, True): Route.OPEN,
}


def route(thread: ThreadIs, form: FormIs, has_lead: bool) -> Route:
    """Where the prospect's message goes (see :data:`ROUTES`)."""
    return ROUTES[(thread, form, has_lead)]


def route_without_lead(thread: ThreadIs, form: FormIs) -> Route | None:
    """The route when the lead cannot change it, else None: the lead is then looked up, and
    only then (a message mid-form costs no extra read)."""
    routes = {ROUTES[(thread, form, has_lead)] for has_lead in (False, True)}
    return routes.pop() if len(routes) == 1 else None


def form_waits(form: FormIs) -> bool:
    """Whether a question of the form waits for the prospect's next words: a thread opened now
    offers the way back to it, and a question handed to staff leaves the thread closed on the
    prospect's side, so their next words answer the form."""
    return form is FormIs.WAITING
