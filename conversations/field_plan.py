"""Which questions to ask, derived once from the studio's leads configuration.

The plan is a snapshot: it is stored with the conversation, so a prospect who started under one
configuration finishes under it even if the studio edits the config (or the bot restarts) meanwhile.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any

from bot.perfectgym import AdditionalFieldType, FieldMode, LeadConfig

log = logging.getLogger(__name__)

GENDERS = ("FEMALE", "MALE", "UNISEX")
ADDRESS = "address"


class AnswerKind(StrEnum):
    """How a question is asked and its answer parsed."""

    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    GENDER = "gender"
    BIRTH_DATE = "birth_date"
    SHORT_TEXT = "short_text"
    COUNTRY = "country"
    BOOLEAN = "boolean"
    DATE = "date"
    NUMBER = "number"
    TEXT = "text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    CONSENT = "consent"


class Slot(StrEnum):
    """Where an answer lands on the lead."""

    FIRSTNAME = "firstname"
    LASTNAME = "lastname"
    EMAIL = "email"
    TELEPHONE = "telephone"
    GENDER = "gender"
    DATE_OF_BIRTH = "dateOfBirth"
    STREET = "street"
    HOUSE_NUMBER = "houseNumber"
    ZIP_CODE = "zipCode"
    CITY = "city"
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
    overridable: bool
    default_active: bool


@dataclass(frozen=True)
class ConsentCategory:
    """A configured message category; every one is echoed back on the lead."""

    category: str | None
    channels: tuple[ConsentChannel, ...]

    @property
    def asked_channels(self) -> tuple[str, ...]:
        return tuple(c.channel for c in self.channels if c.overridable)


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


def _asked(mode: FieldMode) -> bool:
    return mode is not FieldMode.INACTIVE


def _required(mode: FieldMode) -> bool:
    """An UNKNOWN mode (a value the vendor added later) is asked but may be skipped."""
    return mode is FieldMode.MANDATORY


def build_plan(config: LeadConfig) -> FieldPlan:
    """Turn the studio's config into the ordered questions of one conversation."""
    questions = [
        Question("firstname", Slot.FIRSTNAME, AnswerKind.NAME, required=True),
        Question("lastname", Slot.LASTNAME, AnswerKind.NAME, required=True),
        Question("email", Slot.EMAIL, AnswerKind.EMAIL, required=True),
    ]
    if _asked(config.telephone_mode):
        questions.append(
            Question(
                "telephone", Slot.TELEPHONE, AnswerKind.PHONE, _required(config.telephone_mode)
            )
        )
    if _asked(config.gender_mode):
        questions.append(
            Question(
                "gender",
                Slot.GENDER,
                AnswerKind.GENDER,
                _required(config.gender_mode),
                options=GENDERS,
            )
        )
    if _asked(config.date_of_birth_mode):
        questions.append(
            Question(
                "dateOfBirth",
                Slot.DATE_OF_BIRTH,
                AnswerKind.BIRTH_DATE,
                _required(config.date_of_birth_mode),
            )
        )
    if _asked(config.address_mode):
        required = _required(config.address_mode)
        for key, slot, kind in (
            ("address.street", Slot.STREET, AnswerKind.SHORT_TEXT),
            ("address.houseNumber", Slot.HOUSE_NUMBER, AnswerKind.SHORT_TEXT),
            ("address.zipCode", Slot.ZIP_CODE, AnswerKind.SHORT_TEXT),
            ("address.city", Slot.CITY, AnswerKind.SHORT_TEXT),
            ("address.countryCode", Slot.COUNTRY, AnswerKind.COUNTRY),
        ):
            questions.append(Question(key, slot, kind, required, group=ADDRESS))
    questions.extend(_additional_questions(config))
    consents = tuple(
        ConsentCategory(
            pref.message_category,
            tuple(
                ConsentChannel(c.communication_channel, c.customer_overridable, c.active)
                for c in pref.channels
            ),
        )
        for pref in config.communication_preferences
    )
    for index, consent in enumerate(consents):
        if consent.asked_channels:
            questions.append(
                Question(
                    f"consent.{index}",
                    Slot.CONSENT,
                    AnswerKind.CONSENT,
                    required=True,
                    consent_index=index,
                )
            )
    return FieldPlan(tuple(questions), consents)


_ADDITIONAL_KINDS = {
    AdditionalFieldType.BOOLEAN: AnswerKind.BOOLEAN,
    AdditionalFieldType.DATE: AnswerKind.DATE,
    AdditionalFieldType.NUMERIC: AnswerKind.NUMBER,
    AdditionalFieldType.TEXT: AnswerKind.TEXT,
}


def _additional_questions(config: LeadConfig) -> list[Question]:
    questions: list[Question] = []
    seen: set[int] = set()
    for extra in config.additional_information:
        if not _asked(extra.mode) or extra.additional_field_id in seen:
            continue
        seen.add(extra.additional_field_id)
        options = tuple(dict.fromkeys(v for v in extra.selection_values if v.strip()))
        if extra.type is AdditionalFieldType.LIST:
            if not options:
                log.warning(
                    "additional field %s is a LIST without values; not asked",
                    extra.additional_field_id,
                )
                continue
            kind = AnswerKind.MULTI_CHOICE if extra.allow_multi_selection else AnswerKind.CHOICE
        elif extra.type in _ADDITIONAL_KINDS:
            kind = _ADDITIONAL_KINDS[extra.type]
            options = ()
        else:
            log.warning(
                "additional field %s has an unknown type; not asked", extra.additional_field_id
            )
            continue
        questions.append(
            Question(
                f"extra.{extra.additional_field_id}",
                Slot.ADDITIONAL,
                kind,
                _required(extra.mode),
                label=extra.name.strip() or None,
                options=options,
                field_id=extra.additional_field_id,
            )
        )
    return questions
