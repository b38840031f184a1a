"""The dialogue's own question and answer types: which questions to ask, and what an answer is.

A plan is derived once from the studio's configuration (``bot/perfectgym/adapter.py`` builds it
from PerfectGym's) and is a snapshot: it is stored with the conversation, so a prospect who
started under one configuration finishes under it even if the studio edits the config (or the
bot restarts) meanwhile.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any

Answer = str | int | bool | list[str] | None
"""A stored answer: JSON primitives, so a conversation survives a restart unchanged. Dates are ISO
strings, numbers ints, choices the option text, consents and yes/no booleans, skipped ``None``."""

WireValue = str | bool | list[str]
"""An answer as the lead carries it: text (ISO dates, digits), a yes/no, or several choices."""

GENDERS = ("FEMALE", "MALE", "UNISEX")
ADDRESS = "address"


class AnswerKind(StrEnum):
    """How a question is asked and its answer read: ``conversations/kinds/`` has one module each.

    The values are stored with every conversation: renaming or removing one takes a step in
    ``migrations.py``.
    """

    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    GENDER = "gender"
    BIRTH_DATE = "birth_date"
    STREET_LINE = "street_line"
    POSTCODE_LINE = "postcode_line"
    COUNTRY = "country"
    BOOLEAN = "boolean"
    DATE = "date"
    NUMBER = "number"
    TEXT = "text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    CONSENT = "consent"


class Slot(StrEnum):
    """Where an answer lands on the lead (stored like :class:`AnswerKind`)."""

    FIRSTNAME = "firstname"
    LASTNAME = "lastname"
    EMAIL = "email"
    TELEPHONE = "telephone"
    GENDER = "gender"
    DATE_OF_BIRTH = "dateOfBirth"
    STREET = "street"
    ZIP_CODE = "zipCode"
    COUNTRY = "countryCode"
    ADDITIONAL = "additionalInformation"
    CONSENT = "communicationPreferences"


@dataclass(frozen=True)
class Question:
    """One thing to ask. ``key`` is stable and unique within a plan."""

    key: str
    slot: Slot
    kind: AnswerKind
    required: bool
    group: str | None = None
    label: str | None = None
    options: tuple[str, ...] = ()
    field_id: int | None = None
    consent_index: int | None = None


@dataclass(frozen=True)
class ConsentChannel:
    channel: str
    overridable: bool | None  # as configured; only True is asked (None: the config left it out)
    default_active: bool


@dataclass(frozen=True)
class ConsentCategory:
    """A configured message category; every one is echoed back on the lead."""

    category: str | None
    channels: tuple[ConsentChannel, ...]

    @property
    def asked_channels(self) -> tuple[str, ...]:
        return tuple(c.channel for c in self.channels if c.overridable is True)


@dataclass(frozen=True)
class FieldPlan:
    questions: tuple[Question, ...]
    consents: tuple[ConsentCategory, ...] = field(default=())

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions)

    def group_keys(self, group: str) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions if q.group == group)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @cached_property
    def text(self) -> str:
        """The plan as JSON text, computed once: it is stored with every answer."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    @lru_cache(maxsize=64)
    def from_text(text: str) -> FieldPlan:
        """Parsed once per distinct plan; thousands of conversations share a handful."""
        return FieldPlan.from_json(json.loads(text))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldPlan:
        questions = tuple(
            Question(
                **{
                    **q,
                    "slot": Slot(q["slot"]),
                    "kind": AnswerKind(q["kind"]),
                    "options": tuple(q["options"]),
                }
            )
            for q in data["questions"]
        )
        consents = tuple(
            ConsentCategory(c["category"], tuple(ConsentChannel(**ch) for ch in c["channels"]))
            for c in data["consents"]
        )
        return cls(questions, consents)


NO_QUESTIONS = FieldPlan(())
"""The plan of a conversation whose club is not chosen yet."""
