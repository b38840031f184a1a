"""Several of the studio's options (an additional LIST field with multiple selection)."""

from __future__ import annotations

from conversations import callbacks
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.field_plan import Answer, FieldPlan, Question, WireValue
from conversations.kinds.base import (
    Accept,
    Kind,
    Notice,
    Pressed,
    Prompt,
    Rows,
    Skipped,
    Toggle,
    View,
    match_label,
)
from conversations.replies import Button
from conversations.text import InvalidAnswer, Problem


class MultiChoiceKind(Kind):
    """Options toggle on the same message (✅/▫️); Done accepts the picks, typed text may list
    them separated by commas."""

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        return Prompt(
            ctx.wording.label(question),
            ctx.tr.gettext("Tap all that apply, then Done, or type them separated by commas."),
        )

    def buttons(self, question: Question, ctx: AskContext, token: int, view: View) -> Rows:
        options = tuple(
            (
                Button(
                    ("✅ " if i in view.picks else "▫️ ") + ctx.wording.option(question, option),
                    callbacks.encode(token, callbacks.OPTION, i),
                ),
            )
            for i, option in enumerate(question.options)
        )
        return (
            *options,
            (Button(ctx.tr.gettext("Done"), callbacks.encode(token, callbacks.DONE)),),
        )

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        labels = [ctx.wording.option(question, option) for option in question.options]
        picked = [match_label(part, labels) for part in text.split(",")]
        if not picked or None in picked:
            raise InvalidAnswer(Problem.NOT_AN_OPTION)
        return [question.options[i] for i in sorted({i for i in picked if i is not None})]

    def read_button(
        self, question: Question, action: Action, ctx: AskContext, view: View
    ) -> Pressed | None:
        index = action.pick(callbacks.OPTION, len(question.options))
        if index is not None:
            return Toggle(tuple(sorted(set(view.picks) ^ {index})))
        if action.name == callbacks.DONE:
            if view.picks:
                return Accept([question.options[i] for i in view.picks])
            if question.required:
                return Notice(ctx.tr.gettext("Please choose at least one option."))
            return Skipped()
        return None

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        if isinstance(value, list):
            return ", ".join(ctx.wording.option(question, v) for v in value) if value else "—"
        return ctx.wording.option(question, str(value))

    def wire(self, question: Question, value: Answer) -> WireValue:
        return list(value) if isinstance(value, list) else str(value)
