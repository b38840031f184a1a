"""What a prospect can do in the chat, independent of Telegram's update types."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class ButtonPress:
    data: str


@dataclass(frozen=True)
class ContactShared:
    phone_number: str


@dataclass(frozen=True)
class LocationShared:
    """Telegram's location (a pin the prospect sent), in decimal degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class UnsupportedInput:
    """A sticker, photo, voice note, location...: something we cannot read as an answer."""

    kind: str


class CommandName(StrEnum):
    """Commands that act on the conversation itself (the others are the caller's business)."""

    BACK = "back"
    SKIP = "skip"


@dataclass(frozen=True)
class Command:
    name: CommandName


Event = TextInput | ButtonPress | ContactShared | LocationShared | UnsupportedInput | Command
