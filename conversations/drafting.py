"""A finished conversation written into a :class:`LeadDraft`, each answer by its own kind."""

from __future__ import annotations

from conversations.draft import ChannelChoice, LeadDraft, PermissionChoice
from conversations.field_plan import FieldPlan
from conversations.i18n import LanguageTag
from conversations.kinds import kind_of
from conversations.state import ConversationState


def _permissions(plan: FieldPlan, chosen: dict[int, bool]) -> list[PermissionChoice]:
    """Every configured category goes back; channels the prospect may not change keep the
    studio's setting, the others carry the prospect's yes or no."""
    return [
        PermissionChoice(
            consent.category,
            tuple(
                ChannelChoice(
                    channel.channel,
                    chosen.get(index, False)
                    if channel.overridable is True
                    else channel.default_active,
                    channel.overridable,
                )
                for channel in consent.channels
            ),
        )
        for index, consent in enumerate(plan.consents)
    ]


def draft_of(state: ConversationState) -> LeadDraft:
    tag = LanguageTag.parse(state.language) or LanguageTag(state.locale.split("_")[0])
    draft = LeadDraft(chat_id=state.chat_id, language=tag, campaign=state.campaign)
    for question in state.plan.questions:
        value = state.answers.get(question.key)
        if value is not None:
            kind_of(question).write(question, value, draft)
    draft.permissions = _permissions(state.plan, draft.consents)
    return draft
