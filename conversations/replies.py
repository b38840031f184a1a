"""What the bot says, independent of how it is delivered (Telegram or the terminal demo)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    text: str
    data: str


@dataclass(frozen=True)
class Venue:
    """A place on the map with its name and one line of address (Telegram's venue message)."""

    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class Reply:
    """One message. ``replace`` edits the message whose button was pressed instead; ``summary``
    marks the summary, and ``in_place`` asks to update the last summary message with it instead
    of sending a new one (after a correction), where the chat allows. ``location_button`` is a
    one-time keyboard button asking for the prospect's location; beside inline ``buttons`` it
    comes in a message of its own (Telegram gives a message one keyboard). With a ``venue`` the
    message is that place on the map (its inline ``buttons`` under it); ``text`` says the same in
    words, for wherever a map cannot be shown (the terminal demo)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    contact_button: str | None = None
    location_button: str | None = None
    keyboard_texts: tuple[str, ...] = ()
    remove_keyboard: bool = False
    replace: bool = False
    summary: bool = False
    in_place: bool = False
    venue: Venue | None = None

    @property
    def can_remove_keyboard(self) -> bool:
        """A new message with no keyboard of its own can also take the share-contact (or
        share-location) one away."""
        return not (
            self.buttons
            or self.contact_button
            or self.location_button
            or self.replace
            or self.in_place
            or self.venue
        )


@dataclass(frozen=True)
class Settle:
    """The question just dealt with loses its buttons, so old buttons never linger; a pressed
    answer is also written under the question (``shown``), so the chat reads as a record."""

    shown: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The result of one event: replies to send, and whether the lead is now ready to submit.

    ``notice`` is a short toast for a pressed button (Telegram's callback answer); ``settle``
    applies to the newest earlier message with buttons; ``restart`` asks the caller for a fresh
    conversation (the prospect chose "Start over"); ``club`` is the club the prospect just chose
    (the caller plans that club's questions). ``seen_before`` is what the prospect had on
    screen before these replies (``ConversationState.on_screen``): should the replies never
    reach them, what they send next answers that. ``repeats``: the replies put where the
    conversation is again without changing it (a front-desk answer, "Back to my details"): once
    they reach the prospect, that is what they see, whatever was kept for them before.
    """

    replies: tuple[Reply, ...] = ()
    submit: bool = False
    notice: str | None = None
    changed: bool = True
    settle: Settle | None = None
    restart: bool = False
    seen_before: str | None = None
    club: str | None = None  # the prospect chose this club: the caller plans its questions
    repeats: bool = False
