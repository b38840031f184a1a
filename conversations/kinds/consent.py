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
from conversations.studio import Studio

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


def _question(category: str | None, channels: str, tr: Translator, studio: Studio) -> str:
    sentences = {
        "NEWSLETTER": tr.gettext("May {studio} send you news and offers {channels}?"),
        "GENERAL": tr.gettext("May {studio} send you general information {channels}?"),
        "APPOINTMENT": tr.gettext("May {studio} contact you about your appointments {channels}?"),
        "CONTRACT": tr.gettext("May {studio} contact you about your contract {channels}?"),
        "LOYALTY_PROGRAM": tr.gettext(
            "May {studio} contact you about the loyalty programme {channels}?"
        ),
    }
    if category in sentences:
        return studio.fill(sentences[category], tr, channels=channels)
    if category:  # a category PerfectGym adds later: asked in its own words, never unnamed
        return studio.fill(
            tr.gettext("May {studio} contact you {channels} about “{topic}”?"),
            tr,
            channels=channels,
            topic=category.replace("_", " ").lower(),
        )
    return studio.fill(tr.gettext("May {studio} contact you {channels}?"), tr, channels=channels)


def _label(category: str | None, tr: Translator) -> str:
    """The summary's name for a permission: short, and a whole noun phrase before its ": Yes"."""
    labels = {
        "NEWSLETTER": tr.gettext("News and offers"),
        "GENERAL": tr.gettext("General information"),
        "APPOINTMENT": tr.gettext("Messages about appointments"),
        "CONTRACT": tr.gettext("Messages about your contract"),
        "LOYALTY_PROGRAM": tr.gettext("Loyalty programme news"),
    }
    if category in labels:
        return labels[category]
    if category:
        return tr.gettext("Messages about “{topic}”").format(
            topic=category.replace("_", " ").lower()
        )
    return tr.gettext("Contact permission")


def consent_prompt(
    consent: ConsentCategory, tr: Translator, withdrawal: str, studio: Studio | None = None
) -> str:
    """The question, then how to take the consent back (the law wants it said up front)."""
    phrases = list(dict.fromkeys(channel_phrase(c, tr) for c in consent.asked_channels))
    channels = format_list(phrases, locale=tr.written_in)
    question = _question(consent.category, channels, tr, studio or Studio())
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
        studio = ctx.studio
        return Prompt(consent_prompt(consent, ctx.tr, studio.withdrawal(ctx.tr), studio))

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        consent = _category(question, plan)
        return _label(None if consent is None else consent.category, ctx.tr)
