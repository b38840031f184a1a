"""Whose a pressed button is: the trial booking's, or the lead dialogue's.

Telegram's handlers and the terminal demo both route presses through :class:`ButtonPresses`,
so the two cannot disagree. It sits with the trials because it knows both sides: the trial
booking may use the intake, never the other way round.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.intake.service import Chat, Intake
from bot.trials.booking import TrialBooking
from conversations import booking, callbacks
from conversations.callbacks import Action
from conversations.events import ButtonPress
from conversations.replies import Outcome


class OtherButtons(Protocol):
    """Buttons of a feature that answers beside the dialogue (the front desk's)."""

    def owns(self, data: str) -> bool: ...

    async def press(self, chat: Chat, data: str) -> Outcome: ...


class ButtonPresses:
    def __init__(
        self,
        intake: Intake,
        trials: TrialBooking,
        others: OtherButtons | None = None,
        followups: tuple[frozenset[str], Callable[[Chat, Action], Awaitable[Outcome]]]
        | None = None,
    ) -> None:
        """``others``: the front desk's buttons; ``followups``: the trial reminders' buttons
        by their names, and what handles a press of one."""
        self._intake = intake
        self._trials = trials
        self._others = others
        self._followups = followups

    async def press(self, chat: Chat, data: str) -> Outcome:
        """The booking's buttons carry names of their own (``booking.NAMES``), the front
        desk's a prefix of its own; any other button, or data that does not decode, is the lead
        dialogue's to judge."""
        if self._others is not None and self._others.owns(data):
            return await self._others.press(chat, data)
        action = callbacks.decode(data)
        if action is not None and action.name in booking.NAMES:
            return await self._trials.press(chat.id, action)
        if action is not None and self._followups is not None:
            names, handle = self._followups
            if action.name in names:
                return await handle(chat, action)
        return await self._intake.handle(chat, ButtonPress(data))
