"""One part of the postal address: street, house number, postcode or city.

The country has a kind of its own (``country.py``); the parts are asked as one group, so skipping
one part of an optional address skips the address.
"""

from __future__ import annotations

from conversations.context import AskContext
from conversations.field_plan import Answer, FieldPlan, Question, Slot
from conversations.kinds.base import Kind, Prompt, View
from conversations.text import InvalidAnswer, Problem, clean_text

MAX_SHORT_LENGTH = 100


def parse_short_text(text: str) -> str:
    """Street, house number, zip code or city: must contain at least a letter or digit."""
    value = clean_text(text, max_length=MAX_SHORT_LENGTH)
    if not any(c.isalnum() for c in value):
        raise InvalidAnswer(Problem.EMPTY)
    return value


class AddressPartKind(Kind):
    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        tr = ctx.tr
        prompts = {
            Slot.STREET: tr.gettext("Your address: which street do you live on?"),
            Slot.HOUSE_NUMBER: tr.gettext("Your house number?"),
            Slot.ZIP_CODE: tr.gettext("Your postcode?"),
            Slot.CITY: tr.gettext("Your city?"),
        }
        return Prompt(prompts.get(question.slot, question.key))

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        return parse_short_text(text)

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        labels = {
            Slot.STREET: ctx.tr.gettext("Street"),
            Slot.HOUSE_NUMBER: ctx.tr.gettext("House number"),
            Slot.ZIP_CODE: ctx.tr.gettext("Postcode"),
            Slot.CITY: ctx.tr.gettext("City"),
        }
        return labels.get(question.slot, question.key)
