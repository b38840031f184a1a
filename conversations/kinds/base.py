"""What every kind of answer provides, and the defaults most kinds keep.

A kind is everything about one sort of answer: how it is asked (text, hint, buttons), how typed
text and pressed buttons are read, how the answer is shown in the summary and how it is written
into the lead. ``conversations/kinds/__init__.py`` maps each :class:`AnswerKind` to one.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations import callbacks
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.draft import LeadDraft
from conversations.field_plan import Answer, FieldPlan, Question, WireValue
from conversations.i18n import Translator
from conversations.replies import Button, Reply
from conversations.text import InvalidAnswer, Problem

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


@dataclass(frozen=True)
class View:
    """What the conversation adds to a question when it is shown or read.

    ``picks``: options ticked so far (multiple choice); ``suggestions``: one-tap answers on offer
    (the Telegram profile's name, a corrected e-mail address); ``partial``: the part of a
    two-part answer already given; ``current``: the stored answer when the prospect came back
    to the question (``None`` also when it was skipped; ``has_current`` tells them apart);
    ``country``: the address's country, or the prospect's region, for reading address lines;
    ``profile``: first and last name from the prospect's Telegram profile, offered as one tap;
    ``joint_name``: the first-name question asks for the whole name.
    """

    picks: tuple[int, ...] = ()
    suggestions: tuple[str, ...] = ()
    partial: Answer = None
    current: Answer = None
    has_current: bool = False
    country: str | None = None
    profile: tuple[str | None, str | None] = (None, None)
    joint_name: bool = False


class Unsure(InvalidAnswer):
    """A readable answer that looks mistyped: offer ``suggestions`` as one-tap fixes."""

    def __init__(self, problem: Problem, suggestions: tuple[str, ...]) -> None:
        super().__init__(problem)
        self.suggestions = suggestions


class Incomplete(InvalidAnswer):
    """Part of a two-part answer (street without house number): keep ``partial``, ask the rest."""

    def __init__(self, problem: Problem, partial: Answer) -> None:
        super().__init__(problem)
        self.partial = partial


def yes_label(tr: Translator) -> str:
    return tr.gettext("Yes")


def no_label(tr: Translator) -> str:
    return tr.gettext("No")


def skip_label(tr: Translator) -> str:
    return tr.gettext("Skip")


def back_label(tr: Translator) -> str:
    return tr.gettext("⬅️ Back")


def suggestion_rows(view: View, token: int) -> Rows:
    return tuple(
        (Button(text, callbacks.encode(token, callbacks.SUGGESTED, i)),)
        for i, text in enumerate(view.suggestions)
    )


def two_parts(value: Answer) -> tuple[str, str]:
    """An answer stored as two parts (street and number, postcode and city)."""
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    return str(value), ""


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

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        return Prompt(ctx.wording.label(question))

    def buttons(self, question: Question, ctx: AskContext, token: int, view: View) -> Rows:
        """The answer buttons, without Keep, Skip and Back (the dialogue adds those)."""
        return suggestion_rows(view, token)

    def reply(
        self,
        question: Question,
        text: str,
        ctx: AskContext,
        token: int,
        view: View,
        *,
        extra: Rows,
        replace: bool,
    ) -> Reply:
        """The question's message; ``extra`` are the dialogue's own rows (Keep, Skip, Back)."""
        rows = self.buttons(question, ctx, token, view) + extra
        return Reply(text, buttons=rows, replace=replace)

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        """The answer in ``text``; raises InvalidAnswer, which :meth:`explain` words."""
        raise InvalidAnswer(Problem.EMPTY)

    def read_button(
        self, question: Question, action: Action, ctx: AskContext, view: View
    ) -> Pressed | None:
        """What a pressed button of this question means; None for a button it never showed."""
        index = action.pick(callbacks.SUGGESTED, len(view.suggestions))
        return None if index is None else Accept(view.suggestions[index])

    def read_contact(
        self, question: Question, phone_number: str, ctx: AskContext, view: View
    ) -> Answer:
        """A shared Telegram contact; only the phone question takes one."""
        raise InvalidAnswer(Problem.NOT_TEXT)

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        """What was wrong with an answer and how to fix it, in the prospect's words."""
        tr = ctx.tr
        match error.problem:
            case Problem.TOO_LONG:
                return tr.gettext("That is too long for this question; please keep it short.")
            case Problem.NOT_AN_OPTION:
                return tr.gettext("Please choose one of the buttons.")
            case Problem.NOT_TEXT:
                return tr.gettext("I can only read text here. Please type your answer.")
            case Problem.REQUIRED:
                return ctx.studio.fill(
                    tr.gettext(
                        "This one can't be skipped: {studio} needs it to get in touch with you."
                    ),
                    tr,
                )
        return tr.gettext("I didn't catch an answer there.")

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        """The short name of the field, for the summary and its correction buttons."""
        return ctx.wording.label(question)

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        """A stored (never None) answer as the prospect reads it back in the summary."""
        return str(value)

    def distribute(self, question: Question, value: Answer, plan: FieldPlan) -> dict[str, Answer]:
        """Which questions one answer answers: itself, unless it covers more (the whole name)."""
        return {question.key: value}

    def wire(self, question: Question, value: Answer) -> WireValue:
        return str(value)

    def write(self, question: Question, value: Answer, draft: LeadDraft) -> None:
        draft.put(question, self.wire(question, value))
