"""A yes-or-no question (an additional BOOLEAN field)."""

from __future__ import annotations

from conversations import callbacks
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.field_plan import Answer, Question, WireValue
from conversations.i18n import Translator
from conversations.kinds.base import (
    Accept,
    Kind,
    Pressed,
    Rows,
    View,
    match_label,
    no_label,
    yes_label,
)
from conversations.replies import Button
from conversations.text import InvalidAnswer, Problem


def read_yes_no(text: str, tr: Translator) -> bool:
    """The buttons' words in the prospect's language, or English "yes"/"no"."""
    index = match_label(text, [yes_label(tr), no_label(tr)])
    if index is None:
        index = match_label(text, ["yes", "no"])
    if index is None:
        raise InvalidAnswer(Problem.NOT_AN_OPTION)
    return index == 0


class YesNoKind(Kind):
    def buttons(self, question: Question, ctx: AskContext, token: int, view: View) -> Rows:
        tr = ctx.tr
        return (
            (
                Button(yes_label(tr), callbacks.encode(token, callbacks.YES)),
                Button(no_label(tr), callbacks.encode(token, callbacks.NO)),
            ),
        )

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        return read_yes_no(text, ctx.tr)

    def read_button(
        self, question: Question, action: Action, ctx: AskContext, view: View
    ) -> Pressed | None:
        if action.name in (callbacks.YES, callbacks.NO):
            return Accept(action.name == callbacks.YES)
        return None

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        return yes_label(ctx.tr) if value else no_label(ctx.tr)

    def wire(self, question: Question, value: Answer) -> WireValue:
        return bool(value)
