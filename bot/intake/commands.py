"""The bot's commands: the menu Telegram shows (``setMyCommands``, per language) and /help."""

from __future__ import annotations

from collections.abc import Callable

from conversations.i18n import Translator
from conversations.studio import Studio

# (command, its description in the menu), in the menu's order.
COMMANDS: tuple[tuple[str, Callable[[Translator], str]], ...] = (
    ("start", lambda tr: tr.gettext("Begin, or continue where you left off")),
    ("back", lambda tr: tr.gettext("Go back one question")),
    ("cancel", lambda tr: tr.gettext("Stop and delete your answers")),
    ("forget", lambda tr: tr.gettext("Delete everything stored about you")),
    ("help", lambda tr: tr.gettext("What this bot does with your details")),
)
# The front desk's answers (``bot.frontdesk``): listed after /start, left out of the menu of a
# bot whose PerfectGym key reads none of what they answer with.
ANSWER_COMMANDS: tuple[tuple[str, Callable[[Translator], str]], ...] = (
    ("where", lambda tr: tr.gettext("Where the studio is")),
    ("hours", lambda tr: tr.gettext("Opening hours")),
    ("prices", lambda tr: tr.gettext("Memberships and prices")),
)
# A chain's bot also lets the prospect choose another club.
CHAIN_COMMANDS: tuple[tuple[str, Callable[[Translator], str]], ...] = (
    ("club", lambda tr: tr.gettext("Choose another club")),
)


# A bot with a group staff chat lets the prospect write to a person there (the front desk's
# threads): listed last.
ASK_COMMANDS: tuple[tuple[str, Callable[[Translator], str]], ...] = (
    ("ask", lambda tr: tr.gettext("Ask the studio a question")),
)


def menu(
    tr: Translator, *, chain: bool = False, answers: bool = True, ask: bool = False
) -> list[tuple[str, str]]:
    """The commands, in the menu's order. The front desk's two rules meet here: ``answers``,
    /where, /hours and /prices unless the PerfectGym key reads none of what they answer with
    (typed, they still work: the studio answers); ``ask``, /ask only with a group staff chat
    to talk to (a private staff chat gets lead notices, not threads)."""
    commands = COMMANDS[:1] + (ANSWER_COMMANDS if answers else ()) + COMMANDS[1:]
    commands += (CHAIN_COMMANDS if chain else ()) + (ASK_COMMANDS if ask else ())
    return [(command, describe(tr)) for command, describe in commands]


def command_list(tr: Translator, *, chain: bool = False, ask: bool = False) -> str:
    """Every command: typed, the front desk's answers work even where the menu leaves them
    out, so /help and the unknown-command list always name them."""
    return "\n".join(
        f"/{command} \u2013 {description}"
        for command, description in menu(tr, chain=chain, ask=ask)
    )


def help_text(
    tr: Translator,
    studio: Studio,
    privacy_url: str | None,
    *,
    chain: bool = False,
    ask: bool = False,
) -> str:
    text = (
        studio.recipient(tr)
        + " "
        + tr.gettext(
            "When you confirm them, they go into the customer system (PerfectGym) and this "
            "chat's copy is deleted; unfinished answers are deleted when you send /cancel or "
            "/forget."
        )
    )
    if privacy_url:
        handles = tr.gettext("How {studio} handles your data: {url}")
        text += "\n" + studio.fill(handles, tr, url=privacy_url)
    return text + "\n\n" + command_list(tr, chain=chain, ask=ask)


def unknown_command_text(tr: Translator, *, chain: bool = False, ask: bool = False) -> str:
    return (
        tr.gettext("I don't know that command. These are the ones I know:")
        + "\n"
        + command_list(tr, chain=chain, ask=ask)
    )
