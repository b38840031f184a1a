"""Putting a question to the prospect: the parts every kind shares (numbering, "optional", the
current answer when the prospect came back, and the Keep, Skip and Back buttons); the kind
supplies the wording and its own buttons."""

from __future__ import annotations

from conversations import callbacks
from conversations.context import AskContext
from conversations.field_plan import FieldPlan, Question
from conversations.kinds import kind_of
from conversations.kinds.base import Rows, View, back_label, skip_label
from conversations.replies import Button, Reply

MAX_BUTTON_TEXT = 32


def keep_label(shown: str, ctx: AskContext) -> str:
    return ctx.tr.gettext("Keep: {answer}").format(answer=shorten(shown, MAX_BUTTON_TEXT - 6))


def shorten(text: str, limit: int) -> str:
    """Cut at a word where possible, so a phone shows the whole button."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.:;-\u2013") + "…"


def ask(
    question: Question,
    plan: FieldPlan,
    ctx: AskContext,
    token: int,
    view: View,
    *,
    position: tuple[int, int] | None = None,
    back: bool = False,
    replace: bool = False,
    why: str | None = None,
) -> Reply:
    """The message that asks ``question``; its buttons carry ``token`` (see callbacks).

    ``why`` (what was wrong with the last answer) comes first in the same message, so a re-ask
    is one message.
    """
    kind = kind_of(question)
    tr = ctx.tr
    prompt = kind.prompt(question, plan, ctx, view)
    title = prompt.title
    if not question.required and view.partial is None:
        title = tr.gettext("{question} (optional)").format(question=title)
    if position is not None and view.partial is None:
        title = f"{position[0]}/{position[1]} · {title}"
    lines = [why, "", title] if why else [title]
    if prompt.hint:
        lines.append(prompt.hint)
    shown = kind.show(question, view.current, ctx, view) if view.current is not None else None
    if shown is not None and view.partial is None:
        lines.append(tr.gettext("Your answer so far: {answer}").format(answer=shown))
    extra: list[tuple[Button, ...]] = []
    if shown is not None and view.partial is None:
        extra.append((Button(keep_label(shown, ctx), callbacks.encode(token, callbacks.KEEP)),))
    tail: list[Button] = []
    if not question.required:
        tail.append(Button(skip_label(tr), callbacks.encode(token, callbacks.SKIP)))
    if back:
        tail.append(Button(back_label(tr), callbacks.encode(token, callbacks.BACK)))
    if tail:
        extra.append(tuple(tail))
    rows: Rows = tuple(extra)
    return kind.reply(question, "\n".join(lines), ctx, token, view, extra=rows, replace=replace)
