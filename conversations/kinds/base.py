"""What every kind of answer provides, and the defaults most kinds keep.

A kind is everything about one sort of answer: how it is asked (text, hint, buttons), how typed
text and pressed buttons are read, how the answer is shown in the summary and how it is written
into the lead. ``conversations/kinds/__init__.py`` maps each :class:`AnswerKind` to one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from conversations import callbacks
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.field_plan import Answer, FieldPlan, Question, WireValue
from conversations.i18n import Translator
from conversations.replies import Button, Reply
from conversations.text import InvalidAnswer, Problem

if TYPE_CHECKING:
    from conversations.draft import LeadDraft

Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Prompt:
    """The question itself, and a hint on how to answer it (possibly empty)."""

    title: str
    hint: str = ""


@dataclass(frozen=True)
class Accept:
    """A pressed button that answers the question."""

    value: Answer


@dataclass(frozen=True)
class Toggle:
    """A pressed option of a multiple choice: the question is redrawn with these picks."""

    picks: tuple[int, ...]


@dataclass(frozen=True)
class Notice:
    """A pressed button that changes nothing but deserves a short explanation."""

    text: str


@dataclass(frozen=True)
class Skipped:
    """A pressed button that leaves an optional question unanswered."""


Pressed = Accept | Toggle | Notice | Skipped


def yes_label(tr: Translator) -> str:
    return tr.gettext("Yes")


def no_label(tr: Translator) -> str:
    return tr.gettext("No")


def skip_label(tr: Translator) -> str:
    return tr.gettext("Skip")


def match_label(text: str, labels: list[str]) -> int | None:
    """Index of the button whose label (or 1-based number) was typed."""
    wanted = text.strip().casefold()
    for index, label in enumerate(labels):
        if wanted == label.casefold() or wanted == str(index + 1):
            return index
    return None


class Kind:
    """The defaults: a typed answer with no buttons, shown and sent as it was typed."""

    reply_keyboard = False
    """Asked with a reply keyboard (share contact) that must be taken away afterwards."""

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext) -> Prompt:
        return Prompt(question.label or question.key)

    def buttons(
        self, question: Question, ctx: AskContext, token: int, picks: tuple[int, ...]
    ) -> Rows:
        """The answer buttons, without Skip (the dialogue adds it for optional questions)."""
        return ()

    def reply(
        self,
        question: Question,
        text: str,
        ctx: AskContext,
        token: int,
        picks: tuple[int, ...],
        *,
        replace: bool,
    ) -> Reply:
        rows = list(self.buttons(question, ctx, token, picks))
        if not question.required:
            rows.append((Button(skip_label(ctx.tr), callbacks.encode(token, callbacks.SKIP)),))
        return Reply(text, buttons=tuple(rows), replace=replace)

    def read_text(self, question: Question, text: str, ctx: AskContext) -> Answer:
        """The answer in ``text``; raises InvalidAnswer, which :meth:`explain` words."""
        raise InvalidAnswer(Problem.EMPTY)

    def read_button(
        self, question: Question, action: Action, picks: tuple[int, ...], ctx: AskContext
    ) -> Pressed | None:
        """What a pressed button of this question means; None for a button it never showed."""
        return None

    def read_contact(self, question: Question, phone_number: str, ctx: AskContext) -> Answer:
        """A shared Telegram contact; only the phone question takes one."""
        raise InvalidAnswer(Problem.NOT_TEXT)

    def explain(self, problem: Problem, ctx: AskContext) -> str:
        """What was wrong with an answer, in the prospect's words."""
        tr = ctx.tr
        match problem:
            case Problem.TOO_LONG:
                return tr.gettext("That is too long for this question; please keep it short.")
            case Problem.NOT_AN_OPTION:
                return tr.gettext("Please choose one of the buttons.")
            case Problem.NOT_TEXT:
                return tr.gettext("I can only read text here. Please type your answer.")
        return tr.gettext("I didn't catch an answer there.")

    def label(self, question: Question, plan: FieldPlan, tr: Translator) -> str:
        """The short name of the field, for the summary and its correction buttons."""
        return question.label or question.key

    def show(self, question: Question, value: Answer, ctx: AskContext) -> str:
        """A stored (never None) answer as the prospect reads it back in the summary."""
        return str(value)

    def wire(self, question: Question, value: Answer) -> WireValue:
        return str(value)

    def write(self, question: Question, value: Answer, draft: LeadDraft) -> None:
        draft.put(question, self.wire(question, value))
