"""An e-mail address."""

from __future__ import annotations

from email_validator import validate_email

from conversations.context import AskContext
from conversations.email_typos import suggest_fix
from conversations.field_plan import Answer, FieldPlan, Question
from conversations.kinds.base import Kind, Prompt, Unsure, View
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
    """A likely typo in the domain (``gmial.com``) is offered back as a one-tap fix, beside the
    address as typed; either can be tapped, or the address typed again."""

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        return Prompt(ctx.tr.gettext("What is your e-mail address?"))

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        address = parse_email(text)
        fixed = suggest_fix(address)
        if fixed is not None and address not in view.suggestions:
            raise Unsure(Problem.EMAIL_TYPO, (fixed, address))
        return address

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        if error.problem is Problem.BAD_EMAIL:
            return ctx.tr.gettext(
                "That doesn't look like a valid e-mail address. Please type it like "
                "name@example.com."
            )
        if error.problem is Problem.EMAIL_TYPO and view.suggestions:
            return ctx.tr.gettext(
                "Did you mean {address}? Tap the right address below, or type it again."
            ).format(address=view.suggestions[0])
        return super().explain(error, ctx, view)

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        return ctx.tr.gettext("E-mail")
