"""Which club: the first question of a bot that serves a chain, and ``/club`` later.

The prospect taps a club (grouped by city when there are many), sends their location (the
nearest three are offered), or types a city, postcode or club name. Choosing ends here with
``Outcome.club``: the caller reads that club's leads configuration and plans its questions.
"""

from __future__ import annotations

from conversations.club_choice import (
    city_clubs,
    club_chosen,
    club_question,
    nearest_clubs,
    parse_club_data,
    typed_matches,
)
from conversations.clubs import ClubCard, find, nearest
from conversations.context import AskContext
from conversations.events import ButtonPress, Event, LocationShared, TextInput
from conversations.i18n import Translator
from conversations.replies import Outcome, Settle
from conversations.state import ConversationState, Phase


def ask_club(state: ConversationState, ctx: AskContext, *, settle: bool = False) -> Outcome:
    """Put the question (again), remembering where to go back to when the club changes."""
    if state.phase is not Phase.CHOOSING:
        state.resume = state.phase
        state.phase = Phase.CHOOSING
        state.token += 1
    reply = club_question(ctx.tr, ctx.clubs, brand=ctx.brand)
    return Outcome(replies=(reply,), settle=Settle() if settle else None)


def typed(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, TextInput)
    found = find(ctx.clubs, event.text)
    if len(found) == 1:
        return Outcome(club=found[0].id)
    return Outcome(replies=(typed_matches(ctx.tr, found, typed=event.text, cards=ctx.clubs),))


def located(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, LocationShared)
    found = nearest(ctx.clubs, event.latitude, event.longitude)
    if not found:  # no club has coordinates: the buttons it is
        return ask_club(state, ctx)
    return Outcome(replies=(nearest_clubs(ctx.tr, found, ctx.locale),))


def pressed(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, ButtonPress)
    choice = parse_club_data(event.data)
    known = {card.id for card in ctx.clubs}
    if choice is not None and choice.club_id is not None and choice.club_id in known:
        return Outcome(club=choice.club_id, settle=Settle())
    if choice is not None and choice.city_index is not None:
        return Outcome(replies=(city_clubs(ctx.tr, ctx.clubs, choice.city_index),), settle=Settle())
    return ask_club(state, ctx, settle=True)


def other(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    """A command, a contact, a sticker: the question again."""
    return ask_club(state, ctx)


def chosen_line(tr: Translator, card: ClubCard) -> str:
    """The record of the choice, above the club's first question."""
    return club_chosen(tr, card)
