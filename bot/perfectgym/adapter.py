"""Where PerfectGym's leads models meet the dialogue's own types, both ways.

``plan_from_config`` turns ``GET /v1/leads/config`` into the questions of one conversation;
``lead_request`` turns a finished conversation's draft into ``POST /v1/leads/create``'s body.
Nothing else in the bot translates between the two, and ``conversations/`` never sees either.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from bot.perfectgym.models import (
    AdditionalFieldConfig,
    AdditionalFieldType,
    LeadAdditionalInformation,
    LeadAddress,
    LeadChannelChoice,
    LeadCommunicationPreference,
    LeadConfig,
    LeadCreationRequest,
    LeadCustomer,
)
from bot.perfectgym.wire import FieldMode, LeadLanguage
from conversations.draft import LeadDraft
from conversations.field_plan import (
    ADDRESS,
    GENDERS,
    AnswerKind,
    ConsentCategory,
    ConsentChannel,
    FieldPlan,
    Question,
    Slot,
)
from conversations.i18n import LanguageTag

log = logging.getLogger(__name__)

NOTES = "Submitted via the studio's Telegram bot."

_ADDITIONAL_KINDS = {
    AdditionalFieldType.BOOLEAN: AnswerKind.BOOLEAN,
    AdditionalFieldType.DATE: AnswerKind.DATE,
    AdditionalFieldType.NUMERIC: AnswerKind.NUMBER,
    AdditionalFieldType.TEXT: AnswerKind.TEXT,
}

# The country first: it decides how the other two answers are read.
_ADDRESS_PARTS = (
    ("address.countryCode", Slot.COUNTRY, AnswerKind.COUNTRY),
    ("address.street", Slot.STREET, AnswerKind.STREET_LINE),
    ("address.zipCode", Slot.ZIP_CODE, AnswerKind.POSTCODE_LINE),
)


# --- leads config -> field plan ----------------------------------------------------------------


def _asked(mode: FieldMode) -> bool:
    return mode is not FieldMode.INACTIVE


def _required(mode: FieldMode) -> bool:
    """An UNKNOWN mode (a value the vendor added later) is asked but may be skipped."""
    return mode is FieldMode.MANDATORY


def plan_from_config(config: LeadConfig) -> FieldPlan:
    """The studio's config as the ordered questions of one conversation."""
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
        questions.extend(
            Question(key, slot, kind, required, group=ADDRESS) for key, slot, kind in _ADDRESS_PARTS
        )
    questions.extend(
        question
        for extra in _distinct(config.additional_information)
        if (question := _additional_question(extra)) is not None
    )
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
    questions.extend(
        Question(
            f"consent.{index}", Slot.CONSENT, AnswerKind.CONSENT, required=True, consent_index=index
        )
        for index, consent in enumerate(consents)
        if consent.asked_channels
    )
    return FieldPlan(tuple(questions), consents)


def unsatisfiable_fields(config: LeadConfig) -> tuple[int, ...]:
    """Ids of the MANDATORY additional fields the bot cannot ask (an unknown type, a LIST
    without values): PerfectGym would refuse every lead, so no prospect should be asked."""
    return tuple(
        extra.additional_field_id
        for extra in _distinct(config.additional_information)
        if extra.mode is FieldMode.MANDATORY and _kind_of(extra) is None
    )


def additional_fields(config: LeadConfig) -> dict[int, tuple[str, tuple[str, ...]]]:
    """Every configured additional field, active or not: id -> (its label, its options), what
    the studio's texts may translate."""
    return {
        extra.additional_field_id: (extra.name, tuple(extra.selection_values))
        for extra in reversed(config.additional_information)
    }


def date_field_ids(config: LeadConfig) -> frozenset[int]:
    """The additional fields of type DATE, which the studio texts may mark ``future``."""
    return frozenset(
        extra.additional_field_id
        for extra in config.additional_information
        if extra.type is AdditionalFieldType.DATE
    )


def _distinct(fields: list[AdditionalFieldConfig]) -> list[AdditionalFieldConfig]:
    """Active additional fields, each id once (the first one configured wins)."""
    seen: set[int] = set()
    kept: list[AdditionalFieldConfig] = []
    for extra in fields:
        if _asked(extra.mode) and extra.additional_field_id not in seen:
            seen.add(extra.additional_field_id)
            kept.append(extra)
    return kept


def _options(extra: AdditionalFieldConfig) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in extra.selection_values if v.strip()))


def _kind_of(extra: AdditionalFieldConfig) -> AnswerKind | None:
    """How the field is asked; None when the bot cannot ask it."""
    if extra.type is AdditionalFieldType.LIST:
        if not _options(extra):
            return None
        return AnswerKind.MULTI_CHOICE if extra.allow_multi_selection else AnswerKind.CHOICE
    return _ADDITIONAL_KINDS.get(extra.type)


def _additional_question(extra: AdditionalFieldConfig) -> Question | None:
    kind = _kind_of(extra)
    if kind is None:
        why = (
            "is a LIST without values"
            if extra.type is AdditionalFieldType.LIST
            else ("has an unknown type")
        )
        log.warning("additional field %s %s; not asked", extra.additional_field_id, why)
        return None
    options = _options(extra) if extra.type is AdditionalFieldType.LIST else ()
    return Question(
        f"extra.{extra.additional_field_id}",
        Slot.ADDITIONAL,
        kind,
        _required(extra.mode),
        label=extra.name.strip() or None,
        options=options,
        field_id=extra.additional_field_id,
    )


# --- draft -> lead request ---------------------------------------------------------------------


def _address(draft: LeadDraft) -> LeadAddress | None:
    if (
        draft.street is None
        or draft.house_number is None
        or draft.zip_code is None
        or draft.city is None
        or draft.country_code is None
    ):
        return None
    return LeadAddress(
        street=draft.street,
        house_number=draft.house_number,
        zip_code=draft.zip_code,
        city=draft.city,
        country_code=draft.country_code,
    )


def _additional(draft: LeadDraft) -> list[LeadAdditionalInformation]:
    return [
        LeadAdditionalInformation(additional_field_id=answer.field_id, values=answer.value)
        if isinstance(answer.value, list)
        else LeadAdditionalInformation(additional_field_id=answer.field_id, value=answer.value)
        for answer in draft.additional
    ]


def _preferences(draft: LeadDraft) -> list[LeadCommunicationPreference]:
    return [
        LeadCommunicationPreference(
            message_category=permission.category,
            channels=[
                LeadChannelChoice(
                    communication_channel=choice.channel,
                    active=choice.active,
                    customer_overridable=choice.overridable,
                )
                for choice in permission.channels
            ],
        )
        for permission in draft.permissions
    ]


_ISO_639_1 = re.compile(r"[a-z]{2}")
_ISO_3166_ALPHA_2 = re.compile(r"[A-Z]{2}")


def lead_language(tag: LanguageTag) -> LeadLanguage | None:
    """The prospect's language as the vendor's ``Language``: an ISO 639-1 language and an
    ISO 3166-1 alpha-2 country. A region that is no country (``es-419``, ``en-001``) is left
    out; a language without a two-letter code (``fil``, ``und``) leaves the object out."""
    language = tag.language.strip().lower()
    if not _ISO_639_1.fullmatch(language):
        return None
    country = (tag.country or "").strip().upper()
    return LeadLanguage(
        language_code=language,
        country_code=country if _ISO_3166_ALPHA_2.fullmatch(country) else None,
    )


def lead_request(draft: LeadDraft) -> LeadCreationRequest:
    """The body of validate and create, ``thirdPartyId`` being the chat id."""
    customer = LeadCustomer(
        third_party_id=str(draft.chat_id),
        firstname=draft.firstname,
        lastname=draft.lastname,
        email=draft.email,
        gender=draft.gender,
        date_of_birth=date.fromisoformat(draft.date_of_birth) if draft.date_of_birth else None,
        telephone=draft.telephone,
        language=lead_language(draft.language),
    )
    return LeadCreationRequest(
        lead_customer=customer,
        address=_address(draft),
        communication_preferences=_preferences(draft),
        additional_information=_additional(draft),
        notes=NOTES,
        external_identifier=draft.campaign,
    )
