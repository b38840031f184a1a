"""The finished conversation as the vendor's lead: the one place answers meet the API's shape."""

from __future__ import annotations

from datetime import date

from bot.perfectgym import (
    LeadAdditionalInformation,
    LeadAddress,
    LeadChannelChoice,
    LeadCommunicationPreference,
    LeadCreationRequest,
    LeadCustomer,
    LeadLanguage,
)
from conversations.answers import Answer
from conversations.field_plan import AnswerKind, FieldPlan, Slot
from conversations.i18n import LanguageTag
from conversations.state import ConversationState

NOTES = "Submitted via the studio's Telegram bot."


def _text(value: Answer) -> str | None:
    return None if value is None else str(value)


def _by_slot(state: ConversationState, slot: Slot) -> Answer:
    for question in state.plan.questions:
        if question.slot is slot:
            return state.answers.get(question.key)
    return None


def _additional(state: ConversationState) -> list[LeadAdditionalInformation]:
    result: list[LeadAdditionalInformation] = []
    for question in state.plan.questions:
        value = state.answers.get(question.key)
        if question.slot is not Slot.ADDITIONAL or value is None or question.field_id is None:
            continue
        if question.kind is AnswerKind.MULTI_CHOICE and isinstance(value, list):
            result.append(
                LeadAdditionalInformation(additional_field_id=question.field_id, values=value)
            )
        elif isinstance(value, bool):
            result.append(
                LeadAdditionalInformation(
                    additional_field_id=question.field_id, value="true" if value else "false"
                )
            )
        else:
            result.append(
                LeadAdditionalInformation(additional_field_id=question.field_id, value=str(value))
            )
    return result


def _preferences(plan: FieldPlan, state: ConversationState) -> list[LeadCommunicationPreference]:
    """Every configured category goes back; channels the prospect may not change keep the
    studio's setting, the others carry the prospect's yes or no."""
    chosen: dict[int, bool] = {
        q.consent_index: bool(state.answers.get(q.key))
        for q in plan.questions
        if q.kind is AnswerKind.CONSENT and q.consent_index is not None
    }
    return [
        LeadCommunicationPreference(
            message_category=consent.category,
            channels=[
                LeadChannelChoice(
                    communication_channel=channel.channel,
                    active=chosen.get(index, False)
                    if channel.overridable
                    else channel.default_active,
                    customer_overridable=channel.overridable,
                )
                for channel in consent.channels
            ],
        )
        for index, consent in enumerate(plan.consents)
    ]


def _address(state: ConversationState) -> LeadAddress | None:
    parts = [
        _text(_by_slot(state, slot))
        for slot in (Slot.STREET, Slot.HOUSE_NUMBER, Slot.ZIP_CODE, Slot.CITY, Slot.COUNTRY)
    ]
    street, number, zip_code, city, country = parts
    if street is None or number is None or zip_code is None or city is None or country is None:
        return None
    return LeadAddress(
        street=street, house_number=number, zip_code=zip_code, city=city, country_code=country
    )


def build_lead(state: ConversationState) -> LeadCreationRequest:
    tag = LanguageTag.parse(state.language) or LanguageTag(state.locale.split("_")[0])
    birth = _by_slot(state, Slot.DATE_OF_BIRTH)
    customer = LeadCustomer(
        third_party_id=str(state.chat_id),
        firstname=str(_by_slot(state, Slot.FIRSTNAME)),
        lastname=str(_by_slot(state, Slot.LASTNAME)),
        email=str(_by_slot(state, Slot.EMAIL)),
        gender=_text(_by_slot(state, Slot.GENDER)),
        date_of_birth=date.fromisoformat(birth) if isinstance(birth, str) else None,
        telephone=_text(_by_slot(state, Slot.TELEPHONE)),
        language=LeadLanguage(language_code=tag.language, country_code=tag.country),
    )
    return LeadCreationRequest(
        lead_customer=customer,
        address=_address(state),
        communication_preferences=_preferences(state.plan, state),
        additional_information=_additional(state),
        notes=NOTES,
        external_identifier=state.campaign,
    )
