"""Whose a pressed button is, decided once for Telegram and the demo: no bot, no database."""

from __future__ import annotations

from typing import cast

import pytest

from bot.intake.routing import ButtonPresses
from bot.intake.service import Chat, Intake
from bot.trials.booking import TrialBooking
from conversations import booking, callbacks
from conversations.callbacks import Action
from conversations.events import ButtonPress, Event
from conversations.replies import Outcome

CHAT = Chat(42, "en")


class Recorder:
    """Stands in for both the intake and the trial booking, noting which one was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, object]] = []

    async def press(self, chat_id: int, action: Action) -> Outcome:
        self.asked.append(("trials", action))
        return Outcome(notice="trials")

    async def handle(self, chat: Chat, event: Event) -> Outcome:
        self.asked.append(("intake", event))
        return Outcome(notice="intake")


def _buttons(recorder: Recorder) -> ButtonPresses:
    """The dispatcher with the trial booking's entry, as the composition registers it."""
    return ButtonPresses(
        cast(Intake, recorder), [TrialBooking.buttons(cast(TrialBooking, recorder))]
    )


@pytest.mark.parametrize("name", sorted(booking.NAMES))
async def test_the_bookings_buttons_go_to_the_trial_booking(name: str) -> None:
    recorder = Recorder()
    outcome = await _buttons(recorder).press(CHAT, callbacks.encode(7, name, 2))
    assert outcome.notice == "trials"
    assert recorder.asked == [("trials", Action(7, name, "2"))]


@pytest.mark.parametrize(
    "data", [callbacks.encode(7, callbacks.OPTION, 1), callbacks.encode(3, callbacks.RESUME), "x"]
)
async def test_every_other_press_goes_to_the_lead_dialogue(data: str) -> None:
    recorder = Recorder()
    outcome = await _buttons(recorder).press(CHAT, data)
    assert outcome.notice == "intake"
    assert recorder.asked == [("intake", ButtonPress(data))]
