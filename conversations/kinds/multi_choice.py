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
    match_label,
)
from conversations.replies import Button
from conversations.text import InvalidAnswer, Problem


class MultiChoiceKind(Kind):
    """Options toggle on the same message (✅/▫️); Done accepts the picks, typed text may list
    them separated by commas."""

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext) -> Prompt:
        return Prompt(
            question.label or question.key, ctx.tr.gettext("Choose all that apply, then tap Done.")
        )

    def buttons(
        self, question: Question, ctx: AskContext, token: int, picks: tuple[int, ...]
    ) -> Rows:
        options = tuple(
            (
                Button(
                    ("✅ " if i in picks else "▫️ ") + option,
                    callbacks.encode(token, callbacks.OPTION, i),
                ),
            )
            for i, option in enumerate(question.options)
        )
        return (*options, (Button(ctx.tr.gettext("Done"), callbacks.encode(token, callbacks.DONE)),))

    def read_text(self, question: Question, text: str, ctx: AskContext) -> Answer:
        picked = [match_label(part, list(question.options)) for part in text.split(",")]
        if not picked or None in picked:
            raise InvalidAnswer(Problem.NOT_AN_OPTION)
        return [question.options[i] for i in sorted({i for i in picked if i is not None})]

    def read_button(
        self, question: Question, action: Action, picks: tuple[int, ...], ctx: AskContext
    ) -> Pressed | None:
        index = action.index
        if action.name == callbacks.OPTION and index is not None and index < len(question.options):
            return Toggle(tuple(sorted(set(picks) ^ {index})))
        if action.name == callbacks.DONE:
            if picks:
                return Accept([question.options[i] for i in picks])
            if question.required:
                return Notice(ctx.tr.gettext("Please choose at least one option."))
            return Skipped()
        return None

    def show(self, question: Question, value: Answer, ctx: AskContext) -> str:
        if isinstance(value, list):
            return ", ".join(value) if value else "—"
        return str(value)

    def wire(self, question: Question, value: Answer) -> WireValue:
        return list(value) if isinstance(value, list) else str(value)
