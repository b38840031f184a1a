"""``python -m bot demo``: the real conversation in a terminal, with no credentials at all.

The same intake service, dialogue, storage code and PerfectGym client as production, talking
real HTTP to an embedded PerfectGym stand-in on 127.0.0.1 that serves a sample configuration with
every field active. Buttons are shown numbered; type the number to press one. At the end it
prints the lead the stand-in received, which is exactly what PerfectGym would get.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from bot.composition import Services, assemble
from bot.intake.commands import unknown_command_text
from bot.intake.service import Chat
from bot.perfectgym.client import PerfectGymClient
from bot.settings import AddressForm, SettingsError, StudioSettings, load_studio_settings
from bot.standin.leads import PerfectGymStandIn, sample_config
from bot.standin.sample_studio import sample_information, sample_offers
from bot.storage import LeadStatus
from bot.storage.sqlite import SqliteStorage
from bot.studio.information import StudioFallback
from bot.studio.texts import StudioTexts, StudioTextsError
from conversations import booking, callbacks
from conversations.events import ButtonPress, Command, CommandName, ContactShared, Event, TextInput
from conversations.front_desk import Topic
from conversations.i18n import LanguageTag, available_locales
from conversations.replies import Outcome, Reply

DEMO_API_KEY = "demo-key"
DEMO_CHAT_ID = 424242
DEMO_PHONE = "+4915123456789"
DEMO_FIRST_NAME, DEMO_LAST_NAME = "Alex", "Muster"  # the demo prospect's Telegram profile
DEMO_PRIVACY_URL = "https://your-studio.example/privacy (set PRIVACY_URL to your notice)"


_NAVIGATION = frozenset({callbacks.SKIP, callbacks.BACK, callbacks.KEEP})
DESK_COMMANDS = {f"/{topic.value}": topic for topic in Topic}


def _only_navigation(reply: Reply) -> bool:
    """A typed number must stay an answer where the only buttons are Skip, Back and Keep."""
    actions = [callbacks.decode(b.data) for row in reply.buttons for b in row]
    return bool(actions) and all(a is not None and a.name in _NAVIGATION for a in actions)


def _typed_navigation(reply: Reply) -> str:
    """What to type for Skip, Back and Keep in the terminal."""
    words = []
    for row in reply.buttons:
        for button in row:
            action = callbacks.decode(button.data)
            words.append("/back" if action and action.name == callbacks.BACK else button.text)
    return ", ".join(words)


class TerminalChat:
    """Prints replies and remembers the last buttons so a typed number can press one."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._choices: list[Event] = []

    async def send(self, chat_id: int, replies: Sequence[Reply]) -> None:
        self.show(replies)

    async def deliver(self, chat_id: int, outcome: Outcome) -> bool:
        self.settle(outcome)
        self.show(outcome.replies)
        return True

    def typing_soon(self, chat_id: int) -> None:
        self._out.write("bot> (typing…)\n")

    def settle(self, outcome: Outcome) -> None:
        if outcome.settle is not None and outcome.settle.shown:
            self._out.write(f"       {outcome.settle.shown}\n")

    def show(self, replies: Sequence[Reply]) -> None:
        if replies:
            self._choices = []
        for reply in replies:
            self._out.write(
                "\n" + "\n".join(f"bot> {line}" for line in reply.text.split("\n")) + "\n"
            )
            labels: list[str] = []
            if reply.buttons and not _only_navigation(reply):
                self._choices = []
                for row in reply.buttons:
                    for button in row:
                        self._choices.append(ButtonPress(button.data))
                        labels.append(button.text)
            elif reply.contact_button:
                self._choices = [ContactShared(DEMO_PHONE)]
                labels = [reply.contact_button]
                for text in reply.keyboard_texts:
                    self._choices.append(TextInput(text))
                    labels.append(text)
            for number, label in enumerate(labels, start=1):
                self._out.write(f"       [{number}] {label}\n")
            if reply.location_button:
                self._out.write(f"       ({reply.location_button}: type lat,lon)\n")
            if _only_navigation(reply):
                self._out.write(f"       (or type: {_typed_navigation(reply)})\n")
        self._out.flush()

    def event_for(self, line: str) -> Event:
        if line.strip().isdigit() and 1 <= int(line) <= len(self._choices):
            return self._choices[int(line) - 1]
        return TextInput(line)

    def notice(self, outcome: Outcome) -> None:
        if outcome.notice:
            self._out.write(f"bot> ({outcome.notice})\n")


def demo_studio(settings: StudioSettings) -> dict[str, Any]:
    """The stand-in's studio (``StudioInformation``): the owner's name and country if set, a
    Berlin address, opening hours and a closure coming up (for /where and /hours)."""
    return sample_information(
        datetime.date.today(),
        name=settings.studio_name or "Demo Studio",
        country=settings.studio_country,
    )


async def run_demo(
    language: str, lines: TextIO, out: TextIO, settings: StudioSettings | None = None
) -> int:
    settings = settings or StudioSettings()
    texts = StudioTexts.load(
        settings.studio_texts_file, privacy_url=settings.privacy_url or DEMO_PRIVACY_URL
    )
    standin = PerfectGymStandIn(
        sample_config(),
        DEMO_API_KEY,
        demo_studio(settings),
        offers=sample_offers(datetime.date.today()),
    )
    async with standin:
        terminal = TerminalChat(out)
        services = assemble(
            SqliteStorage.open("sqlite://:memory:"),
            PerfectGymClient(standin.url, DEMO_API_KEY),
            terminal,
            texts=texts,
            default_locale=settings.default_locale,
            min_age=settings.min_age,
            studio=StudioFallback.from_settings(settings),
            formal=settings.address_form is AddressForm.FORMAL,
            trial_booking=True,
        )
        await services.prepare()
        intake = services.intake
        chat = Chat(DEMO_CHAT_ID, language, first_name=DEMO_FIRST_NAME, last_name=DEMO_LAST_NAME)
        out.write(
            f"Demo: chatting as a prospect with Telegram language '{language}'. Type your "
            "answers; a number presses a button; /cancel, /start, or Ctrl-D to quit.\n"
        )
        terminal.show((await intake.start(chat, "demo-campaign")).replies)
        loop = asyncio.get_running_loop()
        while not standin.created or await _booking_open(services, chat):
            line = await loop.run_in_executor(None, lines.readline)
            if not line:
                break
            line = line.rstrip("\n")
            out.write(f"you> {line}\n")
            command = line.strip()
            if command.startswith("/start"):
                outcome = await intake.start(chat, command.removeprefix("/start").strip() or None)
            elif command == "/cancel":
                outcome = await intake.cancel(chat)
            elif command == "/forget":
                outcome = await intake.forget(chat)
            elif command == "/help":
                outcome = Outcome(replies=(Reply(intake.help_text(intake.translator_for(chat))),))
            elif command in DESK_COMMANDS:
                outcome = await services.desk.answer(chat, DESK_COMMANDS[command])
            elif command in ("/back", "/skip"):
                outcome = await intake.handle(chat, Command(CommandName(command[1:])))
            elif command.startswith("/"):
                text = unknown_command_text(intake.translator_for(chat))
                outcome = Outcome(replies=(Reply(text),))
            else:
                event = terminal.event_for(line)
                if isinstance(event, ButtonPress):
                    outcome = await services.buttons.press(chat, event.data)
                else:
                    outcome = await intake.handle(chat, event)
            terminal.notice(outcome)
            terminal.settle(outcome)
            terminal.show(outcome.replies)
            await services.trials.settled()
            await _delivered(services, chat)
        await services.close()
        if not standin.created:
            out.write("\n(no lead was created)\n")
            return 1
        out.write("\nThe lead the bot created (as PerfectGym received it):\n")
        out.write(json.dumps(standin.created[-1], indent=2, ensure_ascii=False) + "\n")
        return 0


async def _delivered(services: Services, chat: Chat) -> None:
    """A confirmed lead's thank-you (and the trial invitation) before the next prompt."""
    for _ in range(200):
        lead = await services.storage.latest_lead(chat.id)
        if lead is None or lead.status is not LeadStatus.PENDING:
            return
        await asyncio.sleep(0.05)


async def _booking_open(services: Services, chat: Chat) -> bool:
    """After the lead: whether a trial booking is still being chosen (the demo goes on)."""
    stored = await services.storage.load_booking(chat.id)
    if stored is None:
        return False
    phase = booking.BookingState.from_json(stored).phase
    return phase not in (
        booking.BookingPhase.BOOKED,
        booking.BookingPhase.WAITING,
        booking.BookingPhase.CLOSED,
    )


def main(argv: Sequence[str]) -> int:
    languages = ", ".join(available_locales())
    parser = argparse.ArgumentParser(
        prog="python -m bot demo",
        description="Chat with the bot in this terminal, against an embedded PerfectGym stand-in.",
        epilog="Preview your own bot: the demo honours STUDIO_NAME, STUDIO_COUNTRY, "
        "STUDIO_TIMEZONE, STUDIO_TEXTS_FILE, PRIVACY_URL, ADDRESS_FORM, DEFAULT_LOCALE and "
        "MIN_AGE from the environment.",
    )
    parser.add_argument(
        "--language",
        default=os.environ.get("DEMO_LANGUAGE", "en"),
        help=f"the prospect's Telegram language_code, e.g. de-AT (default: en); "
        f"languages: {languages}",
    )
    args = parser.parse_args(argv)
    tag = LanguageTag.parse(args.language)
    if tag is None or tag.language not in {locale.split("_")[0] for locale in available_locales()}:
        parser.error(f"unknown language {args.language!r}; available: {languages}")
    try:
        settings = load_studio_settings()
        return asyncio.run(run_demo(args.language, sys.stdin, sys.stdout, settings))
    except (SettingsError, StudioTextsError) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
