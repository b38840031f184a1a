"""The review step: every answer at a glance, with a button to correct any one of them."""

from __future__ import annotations

from dataclasses import dataclass

from conversations import callbacks
from conversations.asking import MAX_BUTTON_TEXT, shorten
from conversations.context import AskContext
from conversations.field_plan import ADDRESS, Answer, FieldPlan, Question, Slot
from conversations.kinds import kind_of
from conversations.kinds.base import View
from conversations.replies import Button, Reply
from conversations.state import ConversationState


@dataclass(frozen=True)
class ReviewItem:
    """One correctable line: a single question, or the whole address."""

    label: str
    keys: tuple[str, ...]


def review_items(plan: FieldPlan, ctx: AskContext) -> list[ReviewItem]:
    items: list[ReviewItem] = []
    for question in plan.questions:
        if question.group == ADDRESS:
            address = plan.group_keys(ADDRESS)
            if question.key == address[0]:
                items.append(ReviewItem(ctx.tr.gettext("Address"), address))
            continue
        items.append(ReviewItem(kind_of(question).label(question, plan, ctx), (question.key,)))
    return items


def _shown(question: Question, value: Answer, ctx: AskContext, view: View) -> str:
    return "—" if value is None else kind_of(question).show(question, value, ctx, view)


def _address_view(state: ConversationState, ctx: AskContext) -> View:
    return View(country=state.address_country(ctx.region))


def _line(item: ReviewItem, state: ConversationState, ctx: AskContext) -> str:
    tr = ctx.tr
    plan = state.plan
    view = _address_view(state, ctx)
    if len(item.keys) > 1:
        values = [state.answers.get(key) for key in item.keys]
        if all(v is None for v in values):
            return tr.gettext("{label}: {value}").format(label=item.label, value="—")
        questions = [plan.question(k) for k in item.keys]
        # The country is asked first but written last.
        ordered = sorted(questions, key=lambda q: q.slot is Slot.COUNTRY)
        address = ", ".join(_shown(q, state.answers.get(q.key), ctx, view) for q in ordered)
        return tr.gettext("{label}: {value}").format(label=item.label, value=address)
    key = item.keys[0]
    value = _shown(plan.question(key), state.answers.get(key), ctx, view)
    if item.label.endswith(("?", ":")):
        return f"{item.label} {_shorten(value)}"
    return tr.gettext("{label}: {value}").format(label=item.label, value=_shorten(value))


def _shorten(value: str, limit: int = 200) -> str:
    """Long free-text answers are cut in the summary so it stays within one message."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def summary_lines(state: ConversationState, ctx: AskContext) -> list[str]:
    """The answers as the summary lists them, one line each (the front desk shows staff)."""
    lines = []
    if ctx.club is not None:
        lines.append("• " + ctx.tr.gettext("Club: {club}").format(club=ctx.club))
    return lines + [f"• {_line(item, state, ctx)}" for item in review_items(state.plan, ctx)]


def summary(state: ConversationState, ctx: AskContext) -> Reply:
    tr = ctx.tr
    items = review_items(state.plan, ctx)
    lines = [tr.gettext("Please check your details:"), ""]
    if ctx.club is not None:
        lines.append("• " + tr.gettext("Club: {club}").format(club=ctx.club))
    lines += [f"• {_line(item, state, ctx)}" for item in items]
    lines += ["", tr.gettext("Is everything correct? Tap a field to change it.")]
    rows: list[tuple[Button, ...]] = [
        (Button(tr.gettext("✅ Yes, send it"), callbacks.encode(state.token, callbacks.CONFIRM)),)
    ]
    # One column: a phone shows each label whole when it is short enough.
    rows.extend(
        (
            Button(
                f"✏️ {shorten(item.label, MAX_BUTTON_TEXT - 3)}",
                callbacks.encode(state.token, callbacks.EDIT, index),
            ),
        )
        for index, item in enumerate(items)
    )
    if ctx.club is not None and len(ctx.clubs) > 1:
        change = tr.gettext("🏠 Another club")
        rows.append((Button(change, callbacks.encode(state.token, callbacks.CLUB)),))
    return Reply("\n".join(lines), buttons=tuple(rows), summary=True)
