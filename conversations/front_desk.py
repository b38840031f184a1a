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
