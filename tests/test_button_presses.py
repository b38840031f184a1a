"""Whose a pressed button is, and what a typed command runs, decided once for Telegram and the
demo: no bot, no database."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import cast

import pytest
from telegram.ext import ApplicationBuilder, CommandHandler

from bot.cli.demo import TerminalChat, answer_line
from bot.composition import Services
from bot.followup.service import Followups
from bot.frontdesk.answers import Answers
from bot.frontdesk.desk import FrontDesk
from bot.frontdesk.threads import Threads
from bot.intake.commands import menu
from bot.intake.routing import ButtonPresses, Commands, RunCommand, Typed, intake_commands
from bot.intake.service import Chat, Intake
from bot.telegram.application import TelegramHandlers, TelegramSender, add_handlers
from bot.trials.booking import TrialBooking
from conversations import booking, callbacks, front_desk
from conversations.callbacks import Action
from conversations.events import ButtonPress, Event
from conversations.front_desk import Topic, topic_data
from conversations.i18n import Translator
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


# --- every feature's entry, and the commands -----------------------------------------------------


class Features:
    """Stands in for the front desk's answers and threads and the trial reminders."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, object]] = []

    async def answer(self, chat: Chat, topic: Topic) -> Outcome:
        self.asked.append(("answers", topic))
        return Outcome(notice="answers")

    async def ask(self, chat: Chat, message_id: int | None = None) -> Outcome:
        self.asked.append(("ask", message_id))
        return Outcome(notice="ask")

    async def press(self, chat: Chat, action: Action) -> Outcome:
        self.asked.append(("followups", action))
        return Outcome(notice="followups")


def _registry(recorder: Recorder, features: Features) -> ButtonPresses:
    """Every feature's buttons, in the order the composition registers them."""
    desk = FrontDesk(cast(Answers, features), cast(Threads, features))
    return ButtonPresses(
        cast(Intake, recorder),
        (
            desk.buttons(),
            TrialBooking.buttons(cast(TrialBooking, recorder)),
            Followups.buttons(cast(Followups, features)),
        ),
    )


@pytest.mark.parametrize(
    ("data", "owner", "asked"),
    [
        (topic_data(Topic.HOURS), "answers", Topic.HOURS),
        (front_desk.ASK, "ask", None),
        (callbacks.encode(31, booking.CANT, 400), "followups", Action(31, booking.CANT, "400")),
        (callbacks.encode(31, booking.TALK), "followups", Action(31, booking.TALK, "")),
        (callbacks.encode(7, booking.BOOK), "trials", Action(7, booking.BOOK, "")),
    ],
)
async def test_each_features_buttons_go_to_that_feature_alone(
    data: str, owner: str, asked: object
) -> None:
    recorder, features = Recorder(), Features()
    outcome = await _registry(recorder, features).press(CHAT, data)
    assert outcome.notice == owner
    assert [*recorder.asked, *features.asked] == [(owner, asked)]


async def test_what_no_feature_owns_is_the_lead_dialogues() -> None:
    recorder, features = Recorder(), Features()
    data = callbacks.encode(7, callbacks.OPTION, 1)
    assert (await _registry(recorder, features).press(CHAT, data)).notice == "intake"
    assert (recorder.asked, features.asked) == ([("intake", ButtonPress(data))], [])


def test_the_command_table_holds_every_command_of_the_menu() -> None:
    desk = FrontDesk(cast(Answers, Features()), cast(Threads, Features()))
    table = {**intake_commands(cast(Intake, Recorder())), **desk.commands()}
    listed = {name for name, _ in menu(Translator("en"), chain=True, answers=True, ask=True)}
    assert set(table) == listed | {"skip"}  # /skip is typed where a question offers it
    assert "ask" not in FrontDesk(cast(Answers, Features())).commands()  # no staff group


class Typing:
    """The intake's part in unknown commands, and a table that notes what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Typed]] = []

    def translator_for(self, chat: Chat) -> Translator:
        return Translator("en")

    def unknown_command_text(self, tr: Translator) -> str:
        return "unknown"

    def entry(self, name: str) -> RunCommand:
        async def run(chat: Chat, typed: Typed) -> Outcome:
            self.asked.append((name, typed))
            return Outcome(notice=name)

        return run


def _commands(typing: Typing, names: tuple[str, ...]) -> Commands:
    return Commands(cast(Intake, typing), {name: typing.entry(name) for name in names})


def test_telegram_routes_no_prospect_command_outside_the_table() -> None:
    typing = Typing()
    commands = _commands(typing, ("start", "where", "ask", "skip"))
    handlers = TelegramHandlers(
        cast(Intake, typing),
        cast(TelegramSender, None),
        "en",
        ButtonPresses(cast(Intake, typing)),
        commands,
    )
    app = ApplicationBuilder().token("1:test").updater(None).build()
    add_handlers(app, handlers, staff_chats=-100, desk_chats={-200})
    registered = {
        name: handler.callback
        for group in app.handlers.values()
        for handler in group
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }
    staff = {"report", "close"}  # typed in staff chats, which the demo has none of
    assert set(registered) - staff == set(commands.names)
    assert all(registered[name] == handlers.command for name in commands.names)


async def test_the_demo_types_every_command_into_the_same_table() -> None:
    typing = Typing()
    names = ("start", "where", "ask", "back")
    services = cast(Services, SimpleNamespace(commands=_commands(typing, names)))
    terminal = TerminalChat(io.StringIO())
    for line in ("/start  spring-2026 ", "/WHERE", "/ask what about parking?", "/back"):
        await answer_line(services, terminal, CHAT, line)
    assert typing.asked == [
        ("start", Typed("spring-2026")),
        ("where", Typed()),
        ("ask", Typed("what about parking?")),
        ("back", Typed()),
    ]
    unknown = await answer_line(services, terminal, CHAT, "/report 7")
    assert unknown.replies[0].text == "unknown"
    assert len(typing.asked) == 4
