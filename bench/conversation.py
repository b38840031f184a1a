"""What a simulated prospect says, step by step, to the real bot and to the echo floor.

The real script walks ``tests/configs/everything.json`` in English: 15 questions (the name from
the Telegram profile in one tap, the address in two lines), typed answers, a shared contact,
single choice buttons, a multiple choice typed as text, the summary and the confirmation that
makes the bot call PerfectGym's validate and create (answered at once, the thank-you after). The floor script has the same kinds of
update in the same order, so both bots receive the same number of messages per prospect.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

PHONE = "+436641234567"
FIRST_NAME, LAST_NAME = "Alex", "Tester"  # the prospect's Telegram profile
SUMMARY = "Please check your details"
THANKS = f"Thank you, {FIRST_NAME}"
PARKED_STEPS = 3  # /start, the name, the e-mail: the bot then waits for the phone number


class Kind(StrEnum):
    START = "/start"
    TEXT = "text"
    CONTACT = "contact"
    PRESS = "button"
    CLUB = "club button"  # a press on the club question: a city, then a club
    CONFIRM = "confirm"  # the press that makes the bot call PerfectGym before it answers


@dataclass(frozen=True)
class Step:
    """One update from the prospect, and what the bot's answer to it must look like."""

    kind: Kind
    value: str  # the text, the phone number, or the label of the button to press
    replies: int  # messages the bot sends in answer
    expect: str  # a fragment of the last of them, its text or a button's label

    @property
    def calls_api(self) -> bool:
        return self.kind is Kind.CONFIRM


def lead_conversation(
    prospect: int, today: datetime.date, *, iso_dates: bool = False
) -> tuple[Step, ...]:
    """The whole conversation to a created lead; the e-mail is unique per prospect.
    ``iso_dates``: dates typed as 1990-12-31, read alike in every studio's country (a chain's
    studios are not all in the US, whose month-first order the default script types)."""
    trial = today + datetime.timedelta(days=60)
    birth, start = "12/31/1990", f"{trial.month}/{trial.day}/{trial.year}"
    if iso_dates:
        birth, start = "1990-12-31", trial.isoformat()
    return (
        Step(Kind.START, "/start", 1, "1/15"),
        Step(Kind.PRESS, f"{FIRST_NAME} {LAST_NAME}", 1, "2/15"),
        Step(Kind.TEXT, f"prospect{prospect}@example.com", 1, "3/15"),
        Step(Kind.CONTACT, PHONE, 1, "4/15"),
        Step(Kind.PRESS, "Female", 1, "5/15"),
        Step(Kind.TEXT, birth, 1, "6/15"),
        Step(Kind.TEXT, "Austria", 1, "7/15"),
        Step(Kind.TEXT, "Mariahilfer Straße 12a", 1, "8/15"),
        Step(Kind.TEXT, "1060 Vienna", 1, "9/15"),
        Step(Kind.PRESS, "Friends", 1, "10/15"),
        Step(Kind.TEXT, "Lose weight, Stay healthy", 1, "11/15"),
        Step(Kind.TEXT, start, 1, "12/15"),
        Step(Kind.TEXT, "3", 1, "13/15"),
        Step(Kind.TEXT, "none", 1, "14/15"),
        Step(Kind.PRESS, "No", 1, "15/15"),
        Step(Kind.PRESS, "No", 1, SUMMARY),
        Step(Kind.CONFIRM, "Yes, send it", 1, THANKS),
    )


def parked_conversation(prospect: int, today: datetime.date) -> tuple[Step, ...]:
    """A prospect who starts, answers a few questions and then stays mid-conversation."""
    return lead_conversation(prospect, today)[:PARKED_STEPS]


def echo_conversation(real: tuple[Step, ...]) -> tuple[Step, ...]:
    """The same kinds of update in the same order, as the echo bot answers them (one reply each)."""
    steps: list[Step] = []
    for step in real:
        match step.kind:
            case Kind.START:
                steps.append(Step(Kind.START, "/start", 1, "start:"))
            case Kind.TEXT:
                steps.append(Step(Kind.TEXT, step.value, 1, f"echo: {step.value}"))
            case Kind.CONTACT:
                steps.append(Step(Kind.CONTACT, step.value, 1, f"contact {step.value}"))
            case Kind.PRESS | Kind.CLUB | Kind.CONFIRM:
                steps.append(Step(step.kind, "Echo again", 1, "pressed"))
    return tuple(steps)
