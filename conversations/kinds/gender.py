"""The prospect's gender, from the vendor's three values, worded in the prospect's language."""

from __future__ import annotations

from conversations import callbacks
from conversations.context import AskContext
from conversations.field_plan import FieldPlan, Question
from conversations.kinds.base import Prompt, Rows, View
from conversations.kinds.choice import ChoiceKind
from conversations.replies import Button


class GenderKind(ChoiceKind):
    """Like a choice, but the options are the vendor's codes, and all of them fit on one row."""

    def option_label(self, question: Question, option: str, ctx: AskContext) -> str:
        tr = ctx.tr
        labels = {
            "FEMALE": tr.gettext("Female"),
            "MALE": tr.gettext("Male"),
            "UNISEX": tr.gettext("Other"),
        }
        return labels.get(option, option)

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        return Prompt(ctx.tr.gettext("What is your gender?"))

    def buttons(self, question: Question, ctx: AskContext, token: int, view: View) -> Rows:
        return (
            tuple(
                Button(
                    self.option_label(question, g, ctx),
                    callbacks.encode(token, callbacks.OPTION, i),
                )
                for i, g in enumerate(question.options)
            ),
        )

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        return ctx.tr.gettext("Gender")
