"""A first or last name."""

from __future__ import annotations

from conversations.context import AskContext
from conversations.field_plan import Answer, FieldPlan, Question, Slot
from conversations.i18n import Translator
from conversations.kinds.base import Kind, Prompt
from conversations.text import InvalidAnswer, Problem, clean_text

MAX_NAME_LENGTH = 100


def parse_name(text: str) -> str:
    """A name must look like a name, not like contact details pasted into the wrong step."""
    name = clean_text(text, max_length=MAX_NAME_LENGTH)
    lowered = name.casefold()
    if (
        not any(c.isalpha() for c in name)
        or "@" in name
        or "://" in name
        or lowered.startswith("www.")
    ):
        raise InvalidAnswer(Problem.BAD_NAME)
    return name


class NameKind(Kind):
    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext) -> Prompt:
        if question.slot is Slot.FIRSTNAME:
            return Prompt(ctx.tr.gettext("What is your first name?"))
        return Prompt(ctx.tr.gettext("And your last name?"))

    def read_text(self, question: Question, text: str, ctx: AskContext) -> Answer:
        return parse_name(text)

    def explain(self, problem: Problem, ctx: AskContext) -> str:
        if problem is Problem.BAD_NAME:
            return ctx.tr.gettext("That doesn't look like a name.")
        return super().explain(problem, ctx)

    def label(self, question: Question, plan: FieldPlan, tr: Translator) -> str:
        if question.slot is Slot.FIRSTNAME:
            return tr.gettext("First name")
        return tr.gettext("Last name")
