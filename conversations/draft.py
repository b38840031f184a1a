"""The finished conversation as a lead, in the dialogue's own terms.

Each answer's kind writes it into the draft (``Kind.write``, gathered by
``conversations.drafting``); ``bot/perfectgym/adapter.py`` turns the draft into PerfectGym's request. The dialogue never sees the vendor's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conversations.field_plan import Question, Slot, WireValue
from conversations.i18n import LanguageTag


@dataclass(frozen=True)
class AdditionalAnswer:
    field_id: int
    value: str | list[str]


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    active: bool
    overridable: bool | None


@dataclass(frozen=True)
class PermissionChoice:
    """One configured message category with the channels' final yes or no."""

    category: str | None
    channels: tuple[ChannelChoice, ...]


@dataclass
class LeadDraft:
    chat_id: int
    language: LanguageTag
    campaign: str | None
    firstname: str = ""
    lastname: str = ""
    email: str = ""
    telephone: str | None = None
    gender: str | None = None
    date_of_birth: str | None = None
    street: str | None = None
    house_number: str | None = None
    zip_code: str | None = None
    city: str | None = None
    country_code: str | None = None
    additional: list[AdditionalAnswer] = field(default_factory=list)
    consents: dict[int, bool] = field(default_factory=dict)
    permissions: list[PermissionChoice] = field(default_factory=list)

    def put(self, question: Question, value: WireValue) -> None:
        """Write one answer where its slot says it lands on the lead."""
        text = value if isinstance(value, str) else str(value)
        match question.slot:
            case Slot.FIRSTNAME:
                self.firstname = text
            case Slot.LASTNAME:
                self.lastname = text
            case Slot.EMAIL:
                self.email = text
            case Slot.TELEPHONE:
                self.telephone = text
            case Slot.GENDER:
                self.gender = text
            case Slot.DATE_OF_BIRTH:
                self.date_of_birth = text
            case Slot.COUNTRY:
                self.country_code = text
            case Slot.CONSENT if question.consent_index is not None:
                self.consents[question.consent_index] = bool(value)
            case Slot.ADDITIONAL if question.field_id is not None:
                if isinstance(value, bool):
                    value = "true" if value else "false"
                self.additional.append(AdditionalAnswer(question.field_id, value))
