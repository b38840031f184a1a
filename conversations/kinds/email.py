"""An e-mail address."""

from __future__ import annotations

from email_validator import validate_email

from conversations.context import AskContext
from conversations.field_plan import Answer, FieldPlan, Question
from conversations.i18n import Translator
from conversations.kinds.base import Kind, Prompt
from conversations.text import InvalidAnswer, Problem, clean_structured

MAX_EMAIL_LENGTH = 320


def parse_email(text: str) -> str:
    """Syntax check only: a DNS lookup per chat message would be slow and flaky."""
    candidate = clean_structured(text, Problem.BAD_EMAIL, MAX_EMAIL_LENGTH)
    try:
        return str(validate_email(candidate, check_deliverability=False).normalized)
    except Exception as exc:  # the fuzz contract: only InvalidAnswer may escape
        raise InvalidAnswer(Problem.BAD_EMAIL) from exc


class EmailKind(Kind):
    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext) -> Prompt:
        return Prompt(ctx.tr.gettext("What is your e-mail address?"))

    def read_text(self, question: Question, text: str, ctx: AskContext) -> Answer:
        return parse_email(text)

    def explain(self, problem: Problem, ctx: AskContext) -> str:
        if problem is Problem.BAD_EMAIL:
            return ctx.tr.gettext(
                "That doesn't look like a valid e-mail address (like name@example.com)."
            )
        return super().explain(problem, ctx)

    def label(self, question: Question, plan: FieldPlan, tr: Translator) -> str:
        return tr.gettext("E-mail")
