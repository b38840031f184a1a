"""Whose a pressed button is: the trial booking's, or the lead dialogue's.

Telegram's handlers and the terminal demo both route presses through :class:`ButtonPresses`,
so the two cannot disagree. It sits with the trials because it knows both sides: the trial
booking may use the intake, never the other way round.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.intake.service import Chat, Intake
from bot.trials.booking import TrialBooking
from conversations import booking, callbacks
from conversations.callbacks import Action
from conversations.events import ButtonPress
from conversations.replies import Outcome


class ButtonPresses:
    def __init__(
        self,
        intake: Intake,
        trials: TrialBooking,
        others: tuple[frozenset[str], Callable[[int, Action], Awaitable[Outcome]]] | None = None,
    ) -> None:
        """``others``: buttons of another part (the trial reminders') by their names, and
        what handles a press of one."""
        self._intake = intake
        self._trials = trials
        self._others = others

    async def press(self, chat: Chat, data: str) -> Outcome:
        """The booking's buttons carry names of their own (``booking.NAMES``); any other
        button, or data that does not decode, is the lead dialogue's to judge."""
        action = callbacks.decode(data)
        if action is not None and action.name in booking.NAMES:
            return await self._trials.press(chat.id, action)
        if action is not None and self._others is not None and action.name in self._others[0]:
            return await self._others[1](chat.id, action)
        return await self._intake.handle(chat, ButtonPress(data))
