"""Button payloads. Telegram caps ``callback_data`` at 64 bytes, so buttons carry short action
codes and option indices, never option texts; the token ties a button to the question that
showed it, so a press on an old message cannot answer a newer question."""

from __future__ import annotations

from dataclasses import dataclass

CONFIRM = "ok"
SKIP = "skip"
DONE = "done"
YES = "y"
NO = "n"
OPTION = "o"
EDIT = "e"
COUNTRY = "c"
BACK = "b"
KEEP = "k"
SUGGESTED = "g"
RESUME = "r"
RESTART = "s"
CLUB = "club"
DAY = "d"


@dataclass(frozen=True)
class Action:
    token: int
    name: str
    arg: str = ""

    @property
    def index(self) -> int | None:
        return int(self.arg) if self.arg.isdigit() and len(self.arg) < 4 else None

    def pick(self, name: str, count: int) -> int | None:
        """Which of ``count`` items a ``name`` button chose; None for any other button."""
        index = self.index
        return index if self.name == name and index is not None and index < count else None


def encode(token: int, name: str, arg: str | int = "") -> str:
    data = f"{token}|{name}|{arg}"
    if len(data.encode()) > 64:
        raise ValueError("callback data over Telegram's 64-byte limit")
    return data


def decode(data: str) -> Action | None:
    parts = data.split("|")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 9:
        return None
    return Action(int(parts[0]), parts[1], parts[2])
