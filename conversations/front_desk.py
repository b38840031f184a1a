"""The studio's front desk without staff: the three first questions a prospect asks ("where are
you?", "when are you open?", "what does it cost?"), their buttons, and what is said when the
studio's data cannot answer them.

Pure: the answers' texts are in ``conversations.opening_hours`` and ``conversations.prices``;
reading the studio's data and handing a question to staff is ``bot.frontdesk``'s business.
The buttons carry ``desk:<topic>``, which no other button's data looks like, and no question
token: they mean the same on every message they are under, and pressing one changes nothing in
the conversation.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from conversations.i18n import Translator
from conversations.replies import Button, Reply

_PREFIX = "desk:"


class Topic(StrEnum):
    """What was asked; also the command's name (``/where``) and the button's data."""

    WHERE = "where"
    HOURS = "hours"
    PRICES = "prices"


def topic_data(topic: Topic) -> str:
    return f"{_PREFIX}{topic.value}"


def parse_topic_data(data: str) -> Topic | None:
    """The topic a desk button asks about; None for any other button."""
    if not data.startswith(_PREFIX):
        return None
    try:
        return Topic(data[len(_PREFIX) :])
    except ValueError:
        return None


def desk_row(tr: Translator) -> tuple[Button, ...]:
    return (
        Button(tr.gettext("📍 Where"), topic_data(Topic.WHERE)),
        Button(tr.gettext("🕒 Hours"), topic_data(Topic.HOURS)),
        Button(tr.gettext("💶 Prices"), topic_data(Topic.PRICES)),
    )


def with_row(reply: Reply, row: tuple[Button, ...]) -> Reply:
    """``reply`` with ``row`` as its last row of buttons, where the message can carry inline
    buttons (a share-contact keyboard or typed options cannot sit beside them)."""
    if not row or reply.contact_button or reply.keyboard_texts or reply.venue:
        return reply
    return replace(reply, buttons=(*reply.buttons, row))


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
