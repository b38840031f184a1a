"""A contact permission: one yes-or-no per message category the prospect may decide on.

Each category is one whole sentence and each channel one adverbial phrase ("by e-mail", "in
person"), so every language can word the question naturally for any mix of channels instead of
forcing nouns after a fixed preposition.
"""

from __future__ import annotations

from babel.lists import format_list

from conversations.context import AskContext
from conversations.field_plan import ConsentCategory, FieldPlan, Question
from conversations.i18n import Translator
from conversations.kinds.base import Prompt, View
from conversations.kinds.yes_no import YesNoKind

CHANNELS = ("EMAIL", "TEXT_MESSAGE", "PHONE", "LETTER", "FAX", "CHAT", "CONVERSATION", "OTHER")
CATEGORIES = ("NEWSLETTER", "GENERAL", "APPOINTMENT", "CONTRACT", "LOYALTY_PROGRAM")


def channel_phrase(channel: str, tr: Translator) -> str:
    phrases = {
        "EMAIL": tr.gettext("by e-mail"),
        "TEXT_MESSAGE": tr.gettext("by text message"),
        "PHONE": tr.gettext("by phone"),
        "LETTER": tr.gettext("by post"),
        "FAX": tr.gettext("by fax"),
        "CHAT": tr.gettext("in a chat"),
        "CONVERSATION": tr.gettext("in person"),
    }
    # A channel PerfectGym adds later is still asked, in the words for "other channels".
    return phrases.get(channel) or tr.gettext("through other channels")


def _question(category: str | None, channels: str, tr: Translator) -> str:
    sentences = {
        "NEWSLETTER": tr.gettext("May the studio send you news and offers {channels}?"),
        "GENERAL": tr.gettext("May the studio send you general information {channels}?"),
        "APPOINTMENT": tr.gettext("May the studio contact you about your appointments {channels}?"),
        "CONTRACT": tr.gettext("May the studio contact you about your contract {channels}?"),
        "LOYALTY_PROGRAM": tr.gettext(
            "May the studio contact you about its loyalty programme {channels}?"
        ),
    }
    if category in sentences:
        return sentences[category].format(channels=channels)
    if category:  # a category PerfectGym adds later: asked in its own words, never unnamed
        return tr.gettext("May the studio contact you {channels} about “{topic}”?").format(
            channels=channels, topic=category.replace("_", " ").lower()
        )
    return tr.gettext("May the studio contact you {channels}?").format(channels=channels)


def _topic(category: str | None, tr: Translator) -> str:
    topics = {
        "NEWSLETTER": tr.gettext("news and offers"),
        "GENERAL": tr.gettext("general information"),
        "APPOINTMENT": tr.gettext("your appointments"),
        "CONTRACT": tr.gettext("your contract"),
        "LOYALTY_PROGRAM": tr.gettext("the studio's loyalty programme"),
    }
    if category in topics:
        return topics[category]
    return category.replace("_", " ").lower() if category else tr.gettext("general information")


def consent_prompt(consent: ConsentCategory, tr: Translator, withdrawal: str) -> str:
    """The question, then how to take the consent back (the law wants it said up front)."""
    phrases = list(dict.fromkeys(channel_phrase(c, tr) for c in consent.asked_channels))
    question = _question(consent.category, format_list(phrases, locale=tr.written_in), tr)
    return question + "\n" + withdrawal


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
        return Prompt(consent_prompt(consent, ctx.tr, ctx.studio.withdrawal(ctx.tr)))

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        consent = _category(question, plan)
        if consent is None:
            return ctx.tr.gettext("Contact permission")
        return ctx.tr.gettext("Contact about {topic}").format(
            topic=_topic(consent.category, ctx.tr)
        )
