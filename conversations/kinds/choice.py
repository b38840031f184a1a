"""One of the studio's options (an additional LIST field without multiple selection)."""

from __future__ import annotations

from conversations import callbacks
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.field_plan import Answer, Question
from conversations.kinds.base import Accept, Kind, Pressed, Rows, View, match_label
from conversations.replies import Button
from conversations.text import InvalidAnswer, Problem


class ChoiceKind(Kind):
    """One option per row; the option's text is what is stored and sent."""

    def option_label(self, question: Question, option: str, ctx: AskContext) -> str:
        return ctx.wording.option(question, option)

    def buttons(self, question: Question, ctx: AskContext, token: int, view: View) -> Rows:
        return tuple(
            (
                Button(
                    self.option_label(question, option, ctx),
                    callbacks.encode(token, callbacks.OPTION, i),
                ),
            )
            for i, option in enumerate(question.options)
        )

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        labels = [self.option_label(question, option, ctx) for option in question.options]
        index = match_label(text, labels)
        if index is None:
            raise InvalidAnswer(Problem.NOT_AN_OPTION)
        return question.options[index]

    def read_button(
        self, question: Question, action: Action, ctx: AskContext, view: View
    ) -> Pressed | None:
        index = action.pick(callbacks.OPTION, len(question.options))
        return None if index is None else Accept(question.options[index])

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        return self.option_label(question, str(value), ctx)
