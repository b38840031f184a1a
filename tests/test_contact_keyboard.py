"""The share-contact keyboard goes away after the phone question, with as few messages as possible.

Telegram's 30 messages/s are what a campaign's crowd waits for (BENCHMARKS.md), so the keyboard
is removed by the next message that has no keyboard of its own; a separate "Thanks!" is sent only
when the prospect's app still shows the keyboard and the next question needs buttons.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.perfectgym.adapter import plan_from_config
from bot.perfectgym.models import LeadConfig
from conversations import callbacks, flow
from conversations.context import AskContext
from conversations.events import ButtonPress, ContactShared, Event, TextInput
from conversations.i18n import Translator
from conversations.replies import Outcome
from conversations.state import ConversationState, Phase
from tests.harness import load_config

PHONE = "+436641234567"


def _at_phone(**modes: str) -> tuple[ConversationState, AskContext]:
    """A conversation whose current question is the phone number."""
    config: dict[str, Any] = load_config("everything")
    config.update(modes)
    plan = plan_from_config(LeadConfig.model_validate(config))
    state = ConversationState(chat_id=1, locale="en", language="en", campaign=None, plan=plan)
    ctx = AskContext(Translator("en"), "en", "AT", date(2026, 11, 27))
    flow.begin(state, ctx, lambda required, optional: "hi")
    state.queue = state.queue[state.queue.index("telephone") :]
    return state, ctx


def _press(state: ConversationState, outcome: Outcome, label: str) -> Event:
    data = next(b.data for row in outcome.replies[-1].buttons for b in row if label in b.text)
    assert callbacks.decode(data) is not None
    return ButtonPress(data)


def test_a_shared_contact_costs_no_extra_message_and_the_removal_waits() -> None:
    """The app hides a used one-time keyboard; every later question carries inline buttons
    (at least Back), so the removal waits for the first message that can carry it."""
    state, ctx = _at_phone()
    gender = flow.handle(state, ContactShared(PHONE), ctx)
    assert [r.text.split(" · ")[-1] for r in gender.replies] == ["What is your gender? (optional)"]
    assert not gender.replies[0].remove_keyboard
    assert state.contact_keyboard

    birth = flow.handle(state, _press(state, gender, "Female"), ctx)
    assert len(birth.replies) == 1
    assert birth.replies[0].buttons
    assert not birth.replies[0].remove_keyboard
    assert state.contact_keyboard


def test_a_typed_number_before_buttons_gets_its_own_thanks() -> None:
    state, ctx = _at_phone()
    outcome = flow.handle(state, TextInput(PHONE), ctx)
    assert outcome.replies[0].text == "Thanks!"
    assert outcome.replies[0].remove_keyboard
    assert outcome.replies[1].buttons
    assert not state.contact_keyboard


def test_a_typed_number_always_gets_its_thanks_since_every_next_question_has_buttons() -> None:
    state, ctx = _at_phone(genderMode="INACTIVE")
    outcome = flow.handle(state, TextInput(PHONE), ctx)
    assert outcome.replies[0].text == "Thanks!"
    assert outcome.replies[0].remove_keyboard
    assert "date of birth" in outcome.replies[1].text
    assert not state.contact_keyboard


def test_skipping_the_phone_before_buttons_says_no_problem() -> None:
    state, ctx = _at_phone(telephoneMode="OPTIONAL")
    outcome = flow.handle(state, TextInput("Skip"), ctx)
    assert outcome.replies[0].text == "No problem."
    assert outcome.replies[0].remove_keyboard
    assert outcome.replies[1].buttons


def test_the_pending_removal_survives_a_restart_and_rides_on_a_plain_message() -> None:
    state, ctx = _at_phone()
    flow.handle(state, ContactShared(PHONE), ctx)
    state = ConversationState.from_json(state.to_json())
    assert state.contact_keyboard

    reask = flow.handle(state, TextInput("banana"), ctx)  # gender needs a button
    assert len(reask.replies) == 1  # what was wrong and the question: one message
    assert reask.replies[0].buttons
    assert not reask.replies[0].remove_keyboard
    assert state.contact_keyboard

    state.phase = Phase.SUBMITTED
    sent = flow.handle(state, TextInput("hello?"), ctx)
    assert sent.replies[0].remove_keyboard
    assert not state.contact_keyboard


def test_asking_the_phone_again_replaces_the_old_keyboard() -> None:
    state, ctx = _at_phone()
    state.contact_keyboard = True
    state.queue.insert(0, "telephone")
    outcome = flow.handle(state, TextInput("not a number"), ctx)
    assert outcome.replies[-1].contact_button
    assert not any(r.remove_keyboard for r in outcome.replies)
    assert not state.contact_keyboard
