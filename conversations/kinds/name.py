"""A first or last name, or both in one answer when the Telegram profile has both."""

from __future__ import annotations

from conversations import callbacks
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.field_plan import Answer, FieldPlan, Question, Slot
from conversations.kinds.base import Accept, Kind, Pressed, Prompt, Rows, View
from conversations.replies import Button
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


def split_full_name(text: str) -> list[str] | str:
    """A typed whole name: the first word is the first name, the rest the last name ("Jan van
    der Berg", "María García López"); one word is a first name only, and the last is asked."""
    name = parse_name(text)
    first, _, last = name.partition(" ")
    return [first, last] if last else first


def joint(question: Question, view: View) -> bool:
    return question.slot is Slot.FIRSTNAME and view.joint_name


def _profile_answer(question: Question, view: View) -> Answer:
    first, last = view.profile
    if joint(question, view):
        return [first or "", last or ""]
    return first if question.slot is Slot.FIRSTNAME else last


def _profile_text(question: Question, view: View) -> str | None:
    answer = _profile_answer(question, view)
    if isinstance(answer, list):
        return " ".join(answer)
    return answer if isinstance(answer, str) else None


class NameKind(Kind):
    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        tr = ctx.tr
        hint = (
            tr.gettext("Tap the button if that's you, or type it.")
            if _profile_text(question, view)
            else ""
        )
        if joint(question, view):
            return Prompt(tr.gettext("What is your name?"), hint)
        if question.slot is Slot.FIRSTNAME:
            return Prompt(tr.gettext("What is your first name?"), hint)
        return Prompt(tr.gettext("And your last name?"), hint)

    def buttons(self, question: Question, ctx: AskContext, token: int, view: View) -> Rows:
        text = _profile_text(question, view)
        if not text or len(text) > MAX_NAME_LENGTH:
            return ()
        return ((Button(text, callbacks.encode(token, callbacks.SUGGESTED, 0)),),)

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        if joint(question, view):
            return split_full_name(text)
        return parse_name(text)

    def read_button(
        self, question: Question, action: Action, ctx: AskContext, view: View
    ) -> Pressed | None:
        if action.name == callbacks.SUGGESTED and action.index == 0:
            answer = _profile_answer(question, view)
            if answer:
                return Accept(answer)
        return None

    def distribute(self, question: Question, value: Answer, plan: FieldPlan) -> dict[str, Answer]:
        """A whole name answers the last-name question too."""
        if isinstance(value, list) and len(value) == 2:
            last = next((q.key for q in plan.questions if q.slot is Slot.LASTNAME), None)
            if last is not None:
                return {question.key: value[0], last: value[1]}
            return {question.key: " ".join(value)}
        return {question.key: value}

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        return " ".join(value) if isinstance(value, list) else str(value)

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        if error.problem is Problem.BAD_NAME:
            return ctx.tr.gettext("That doesn't look like a name. Please type just your name.")
        return super().explain(error, ctx, view)

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        if question.slot is Slot.FIRSTNAME:
            return ctx.tr.gettext("First name")
        return ctx.tr.gettext("Last name")
