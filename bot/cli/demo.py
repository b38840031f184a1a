"""``python -m bot demo``: the real conversation in a terminal, with no credentials at all.

The same intake service, dialogue, storage code and PerfectGym client as production, talking
real HTTP to an embedded PerfectGym stand-in on 127.0.0.1 that serves a sample configuration with
every field active. Buttons are shown numbered; type the number to press one. At the end it
prints the lead the stand-in received, which is exactly what PerfectGym would get.

``--chain`` serves three stand-in clubs of one brand in three cities (``bot.standin.clubs``),
each its own tenant with its own key and leads configuration, as ``STUDIOS_FILE`` would: the
prospect first chooses a club, by its button, by a typed city or name, or by a location typed as
"lat,lon" where Telegram would offer to send one; ``/club`` changes the club later. The lead is
printed with the stand-in club that received it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any, TextIO

from pydantic import SecretStr

from bot.chain.build import build_chain
from bot.chain.roster import Roster, StudioSpec
from bot.composition import Services, assemble
from bot.intake.routing import Typed
from bot.intake.sender import Sent
from bot.intake.service import Chat
from bot.perfectgym.client import PerfectGymClient
from bot.settings import AddressForm, SettingsError, StudioSettings, load_studio_settings
from bot.standin.clubs import DEMO_BRAND, StandInClub, chain_clubs
from bot.standin.leads import PerfectGymStandIn, sample_config
from bot.standin.sample_studio import sample_information, sample_offers
from bot.storage import LeadStatus
from bot.storage.sqlite import SqliteStorage
from bot.studio.information import StudioFallback
from bot.studio.texts import StudioTexts, StudioTextsError
from conversations import booking, callbacks
from conversations.clubs import parse_coordinates
from conversations.events import (
    ButtonPress,
    ContactShared,
    Event,
    LocationShared,
    TextInput,
)
from conversations.i18n import LanguageTag, available_locales
from conversations.replies import Outcome, Reply

DEMO_API_KEY = "demo-key"
DEMO_CHAT_ID = 424242
DEMO_PHONE = "+4915123456789"
DEMO_FIRST_NAME, DEMO_LAST_NAME = "Alex", "Muster"  # the demo prospect's Telegram profile
DEMO_PRIVACY_URL = "https://your-studio.example/privacy (set PRIVACY_URL to your notice)"


_NAVIGATION = frozenset({callbacks.SKIP, callbacks.BACK, callbacks.KEEP})


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
        self._location_offered = False

    async def send(
        self, chat_id: int, replies: Sequence[Reply], *, about: int | None = None
    ) -> None:
        self.show(replies)

    async def deliver(
        self,
        chat_id: int,
        outcome: Outcome,
        *,
        not_after: float | None = None,
        about: int | None = None,
    ) -> Sent:
        self.settle(outcome)
        self.show(outcome.replies)
        return Sent.DELIVERED

    def typing_soon(self, chat_id: int) -> None:
        self._out.write("bot> (typing…)\n")

    def settle(self, outcome: Outcome) -> None:
        if outcome.settle is not None and outcome.settle.shown:
            self._out.write(f"       {outcome.settle.shown}\n")

    def show(self, replies: Sequence[Reply]) -> None:
        if replies:
            self._choices = []
            self._location_offered = False
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
                self._location_offered = True
                self._out.write(f"       ({reply.location_button}: type lat,lon)\n")
            if _only_navigation(reply):
                self._out.write(f"       (or type: {_typed_navigation(reply)})\n")
        self._out.flush()

    def event_for(self, line: str) -> Event:
        """A number presses a button; "lat,lon" where Telegram would offer to send a location
        is that location; anything else is typed text."""
        if line.strip().isdigit() and 1 <= int(line) <= len(self._choices):
            return self._choices[int(line) - 1]
        point = parse_coordinates(line) if self._location_offered else None
        if point is not None:
            return LocationShared(*point)
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


class StandIns:
    """The PerfectGym stand-ins a demo talks to, by studio id, and what each received."""

    def __init__(self, standins: dict[str, PerfectGymStandIn], clubs: Sequence[StandInClub]):
        self.by_id = standins
        self.clubs = {club.id: club for club in clubs}

    def created(self) -> bool:
        return any(standin.created for standin in self.by_id.values())

    def report(self, out: TextIO) -> None:
        """Each lead with the stand-in club that received it (a chain's) or as today (one)."""
        for studio_id, standin in self.by_id.items():
            club = self.clubs.get(studio_id)
            for lead in standin.created:
                if club is None:
                    out.write("\nThe lead the bot created (as PerfectGym received it):\n")
                else:
                    out.write(
                        f"\nThe lead the bot created at {club.label} (the stand-in "
                        f'club "{club.id}", as PerfectGym received it):\n'
                    )
                out.write(json.dumps(lead, indent=2, ensure_ascii=False) + "\n")


def chain_roster(clubs: Sequence[StandInClub], standins: dict[str, PerfectGymStandIn]) -> Roster:
    """The stand-in clubs as a ``STUDIOS_FILE`` would name them: each its tenant and key."""
    studios = tuple(
        StudioSpec(
            id=club.id,
            api_url=standins[club.id].url,
            api_key=SecretStr(club.api_key),
            name=club.name,
            country=club.studio.get("countryCode"),
            timezone=club.timezone,
            city=club.city,
            privacy_url=club.privacy_url,
        )
        for club in clubs
    )
    return Roster(brand=DEMO_BRAND, staff_chat_id=None, studios=studios, from_file=True)


async def run_demo(
    language: str,
    lines: TextIO,
    out: TextIO,
    settings: StudioSettings | None = None,
    *,
    chain: bool = False,
) -> int:
    settings = settings or StudioSettings()
    terminal = TerminalChat(out)
    async with AsyncExitStack() as stack:
        if chain:
            clubs = chain_clubs()
            standins = StandIns(
                {
                    club.id: await stack.enter_async_context(
                        PerfectGymStandIn(club.config, club.api_key, club.studio)
                    )
                    for club in clubs
                },
                clubs,
            )
            storage = SqliteStorage.open("sqlite://:memory:")
            built = build_chain(chain_roster(clubs, standins.by_id), storage)
            services = assemble(
                storage,
                None,
                terminal,
                chain=built,
                texts=built.club(None).texts,
                default_locale=settings.default_locale,
                min_age=settings.min_age,
                formal=settings.address_form is AddressForm.FORMAL,
                # Trial sessions are booked at one studio's tenant; not offered for a chain yet.
                trial_booking=False,
            )
        else:
            texts = StudioTexts.load(
                settings.studio_texts_file, privacy_url=settings.privacy_url or DEMO_PRIVACY_URL
            )
            standin = await stack.enter_async_context(
                PerfectGymStandIn(
                    sample_config(),
                    DEMO_API_KEY,
                    demo_studio(settings),
                    offers=sample_offers(datetime.date.today()),
                )
            )
            standins = StandIns({"main": standin}, ())
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
        if chain:
            # Every club's name, city and place before the question shows them (a real
            # chain loads in the background while prospects are answered).
            await services.chain.load()
        chat = Chat(DEMO_CHAT_ID, language, first_name=DEMO_FIRST_NAME, last_name=DEMO_LAST_NAME)
        out.write(
            f"Demo: chatting as a prospect with Telegram language '{language}'. Type your "
            "answers; a number presses a button; /cancel, /start, or Ctrl-D to quit.\n"
        )
        if chain:
            names = ", ".join(club.label for club in clubs)
            out.write(
                f"Three stand-in clubs of {DEMO_BRAND}: {names}. Type a location as lat,lon "
                "(e.g. 52.52,13.40 for Berlin); /club changes the club.\n"
            )
        await _converse(services, standins, terminal, chat, lines, out)
        await services.close()
        if not standins.created():
            out.write("\n(no lead was created)\n")
            return 1
        standins.report(out)
        return 0


async def _converse(
    services: Services,
    standins: StandIns,
    terminal: TerminalChat,
    chat: Chat,
    lines: TextIO,
    out: TextIO,
) -> None:
    """Typed lines to the intake, as Telegram's updates would arrive, until a lead is created
    (and a trial booking, if one is being chosen, is done) or the input ends."""
    intake = services.intake
    terminal.show((await intake.start(chat, "demo-campaign")).replies)
    loop = asyncio.get_running_loop()
    while not standins.created() or await _booking_open(services, chat):
        line = await loop.run_in_executor(None, lines.readline)
        if not line:
            break
        line = line.rstrip("\n")
        out.write(f"you> {line}\n")
        outcome = await answer_line(services, terminal, chat, line)
        terminal.notice(outcome)
        terminal.settle(outcome)
        terminal.show(outcome.replies)
        await services.trials.settled()
        await _delivered(services, chat)


async def answer_line(services: Services, terminal: TerminalChat, chat: Chat, line: str) -> Outcome:
    """One typed line, as Telegram's handlers would take it: a command through the bot's table
    of commands, a pressed button through its dispatcher of presses, anything else to the
    intake."""
    typed = line.strip()
    if typed.startswith("/"):
        name, _, args = typed[1:].partition(" ")
        return await services.commands.run(chat, name.lower(), Typed(args.strip()))
    event = terminal.event_for(line)
    if isinstance(event, ButtonPress):
        return await services.buttons.press(chat, event.data)
    return await services.intake.handle(chat, event)


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
        "--chain",
        action="store_true",
        help="chat with a chain: three stand-in clubs in London, Manchester and Berlin, "
        "chosen by button, by a typed city or by a location typed as lat,lon; /club changes "
        "it (the STUDIO_* variables and PRIVACY_URL are not used)",
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
        return asyncio.run(
            run_demo(args.language, sys.stdin, sys.stdout, settings, chain=args.chain)
        )
    except (SettingsError, StudioTextsError) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
