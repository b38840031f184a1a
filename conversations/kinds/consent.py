"""A contact permission: one yes-or-no per message category the prospect may decide on."""

from __future__ import annotations

from babel.lists import format_list

from conversations.context import AskContext
from conversations.field_plan import ConsentCategory, FieldPlan, Question
from conversations.i18n import Translator
from conversations.kinds.base import Prompt, View
from conversations.kinds.yes_no import YesNoKind


def _channel_name(channel: str, tr: Translator) -> str:
    names = {
        "EMAIL": tr.gettext("e-mail"),
        "TEXT_MESSAGE": tr.gettext("text message"),
        "PHONE": tr.gettext("phone"),
        "LETTER": tr.gettext("letter"),
        "FAX": tr.gettext("fax"),
        "CHAT": tr.gettext("chat"),
        "CONVERSATION": tr.gettext("personal conversation"),
        "OTHER": tr.gettext("other channels"),
    }
    return names.get(channel, channel.replace("_", " ").lower())


def _category_topic(category: str | None, tr: Translator) -> str:
    topics = {
        "NEWSLETTER": tr.gettext("news and offers"),
        "GENERAL": tr.gettext("general information"),
        "APPOINTMENT": tr.gettext("your appointments"),
        "CONTRACT": tr.gettext("your contract"),
        "LOYALTY_PROGRAM": tr.gettext("the studio's loyalty programme"),
    }
    if category is None:
        return tr.gettext("general information")
    return topics.get(category, category.replace("_", " ").lower())


def consent_prompt(consent: ConsentCategory, tr: Translator) -> str:
    channels = [_channel_name(c, tr) for c in consent.asked_channels]
    return tr.gettext("May the studio contact you about {topic} by {channels}?").format(
        topic=_category_topic(consent.category, tr),
        channels=format_list(channels, locale=tr.locale),
    )


def _category(question: Question, plan: FieldPlan) -> ConsentCategory | None:
    if question.consent_index is None:
        return None
    return plan.consents[question.consent_index]


class ConsentKind(YesNoKind):
    """Asked in the studio's words for the category; written into the lead by the draft, which
    also sends back the channels the prospect may not change."""

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        consent = _category(question, plan)
        if consent is None:
            return super().prompt(question, plan, ctx, view)
        return Prompt(consent_prompt(consent, ctx.tr))

    def label(self, question: Question, plan: FieldPlan, tr: Translator) -> str:
        consent = _category(question, plan)
        if consent is None:
            return tr.gettext("Contact permission")
        return tr.gettext("Contact about {topic}").format(
            topic=_category_topic(consent.category, tr)
        )
