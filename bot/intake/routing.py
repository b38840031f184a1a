"""Where a pressed button or a typed command goes: one table each, for Telegram and the demo.

Each feature contributes its entries in ``bot/composition.py``: its :class:`Buttons` (which
presses are its, and what answers one) and its commands by name. Telegram's handlers and the
terminal demo both dispatch through :class:`ButtonPresses` and :class:`Commands`, so the two
cannot disagree, and a new feature adds entries, not parameters. It sits with the intake, below
the features, so that any of them can contribute without knowing the others; what no feature
owns is the lead dialogue's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.intake.service import Chat, Intake
from conversations import callbacks
from conversations.callbacks import Action
from conversations.events import ButtonPress, Command, CommandName
from conversations.replies import Outcome, Reply


@dataclass(frozen=True)
class Buttons:
    """One feature's buttons: whether a press's data is its, and what answers the press."""

    owns: Callable[[str], bool]
    press: Callable[[Chat, str], Awaitable[Outcome]]

    @classmethod
    def named(
        cls, names: frozenset[str], press: Callable[[Chat, Action], Awaitable[Outcome]]
    ) -> Buttons:
        """Buttons written by ``callbacks.encode`` under names of the feature's own."""

        def owns(data: str) -> bool:
            action = callbacks.decode(data)
            return action is not None and action.name in names

        async def pressed(chat: Chat, data: str) -> Outcome:
            action = callbacks.decode(data)
            assert action is not None
            return await press(chat, action)

        return cls(owns, pressed)


class ButtonPresses:
    def __init__(self, intake: Intake, features: Sequence[Buttons] = ()) -> None:
        """``features``: each feature's buttons, asked in this order."""
        self._intake = intake
        self._features = tuple(features)

    async def press(self, chat: Chat, data: str) -> Outcome:
        """The first feature that owns the press answers it; any other button, or data that
        does not decode, is the lead dialogue's to judge."""
        for buttons in self._features:
            if buttons.owns(data):
                return await buttons.press(chat, data)
        return await self._intake.handle(chat, ButtonPress(data))


@dataclass(frozen=True)
class Typed:
    """A command as the prospect typed it: the words after it, and its message's id (None
    where there is none, as in the demo)."""

    args: str = ""
    message_id: int | None = None


RunCommand = Callable[[Chat, Typed], Awaitable[Outcome]]


class Commands:
    """The prospects' commands by name (``start``, without the slash), each what answers it."""

    def __init__(self, intake: Intake, table: Mapping[str, RunCommand]) -> None:
        self._intake = intake
        self._table = dict(table)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._table)

    async def run(self, chat: Chat, name: str, typed: Typed) -> Outcome:
        """``name``'s answer; a name not in the table gets the list of those that are."""
        run = self._table.get(name)
        if run is None:
            text = self._intake.unknown_command_text(self._intake.translator_for(chat))
            return Outcome(replies=(Reply(text),))
        return await run(chat, typed)


def intake_commands(intake: Intake) -> dict[str, RunCommand]:
    """The lead dialogue's own commands."""

    async def start(chat: Chat, typed: Typed) -> Outcome:
        return await intake.start(chat, typed.args or None)

    async def cancel(chat: Chat, typed: Typed) -> Outcome:
        return await intake.cancel(chat)

    async def forget(chat: Chat, typed: Typed) -> Outcome:
        return await intake.forget(chat)

    async def help(chat: Chat, typed: Typed) -> Outcome:
        return Outcome(replies=(Reply(await intake.help_for(chat)),))

    async def club(chat: Chat, typed: Typed) -> Outcome:
        return await intake.change_club(chat)

    async def back(chat: Chat, typed: Typed) -> Outcome:
        return await intake.handle(chat, Command(CommandName.BACK))

    async def skip(chat: Chat, typed: Typed) -> Outcome:
        return await intake.handle(chat, Command(CommandName.SKIP))

    return {
        "start": start,
        "cancel": cancel,
        "forget": forget,
        "help": help,
        "back": back,
        "skip": skip,
        "club": club,
    }
