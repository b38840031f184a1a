"""Putting a question to the prospect: the parts every kind shares (numbering, "optional", the
hint under the question); the kind supplies the wording and the buttons."""

from __future__ import annotations

from conversations.context import AskContext
from conversations.field_plan import FieldPlan, Question
from conversations.kinds import kind_of
from conversations.replies import Reply


def ask(
    question: Question,
    plan: FieldPlan,
    ctx: AskContext,
    token: int,
    *,
    picks: tuple[int, ...] = (),
    position: tuple[int, int] | None = None,
    replace: bool = False,
) -> Reply:
    """The message that asks ``question``; its buttons carry ``token`` (see callbacks)."""
    kind = kind_of(question)
    prompt = kind.prompt(question, plan, ctx)
    title = prompt.title
    if not question.required:
        title = ctx.tr.gettext("{question} (optional)").format(question=title)
    if position is not None:
        title = f"{position[0]}/{position[1]} · {title}"
    text = f"{title}\n{prompt.hint}" if prompt.hint else title
    return kind.reply(question, text, ctx, token, picks, replace=replace)
