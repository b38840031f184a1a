"""The review step: every answer at a glance, with a button to correct any one of them."""

from __future__ import annotations

from dataclasses import dataclass

from conversations import callbacks
from conversations.context import AskContext
from conversations.field_plan import ADDRESS, Answer, FieldPlan, Question
from conversations.i18n import Translator
from conversations.kinds import kind_of
from conversations.replies import Button, Reply
from conversations.state import ConversationState


@dataclass(frozen=True)
class ReviewItem:
    """One correctable line: a single question, or the whole address."""

    label: str
    keys: tuple[str, ...]


def review_items(plan: FieldPlan, tr: Translator) -> list[ReviewItem]:
    items: list[ReviewItem] = []
    for question in plan.questions:
        if question.group == ADDRESS:
            address = plan.group_keys(ADDRESS)
            if question.key == address[0]:
                items.append(ReviewItem(tr.gettext("Address"), address))
            continue
        items.append(ReviewItem(kind_of(question).label(question, plan, tr), (question.key,)))
    return items


def _shown(question: Question, value: Answer, ctx: AskContext) -> str:
    return "—" if value is None else kind_of(question).show(question, value, ctx)


def _line(item: ReviewItem, state: ConversationState, ctx: AskContext) -> str:
    tr = ctx.tr
    plan = state.plan
    if len(item.keys) > 1:
        values = [state.answers.get(key) for key in item.keys]
        if all(v is None for v in values):
            return tr.gettext("{label}: {value}").format(label=item.label, value="—")
        parts = [_shown(plan.question(k), state.answers.get(k), ctx) for k in item.keys]
        street, number, zip_code, city, country = (parts + [""] * 5)[:5]
        address = tr.gettext("{street} {house_number}, {zip_code} {city}, {country}").format(
            street=street, house_number=number, zip_code=zip_code, city=city, country=country
        )
        return tr.gettext("{label}: {value}").format(label=item.label, value=address)
    key = item.keys[0]
    value = _shown(plan.question(key), state.answers.get(key), ctx)
    if item.label.endswith(("?", ":")):
        return f"{item.label} {_shorten(value)}"
    return tr.gettext("{label}: {value}").format(label=item.label, value=_shorten(value))


def _shorten(value: str, limit: int = 200) -> str:
    """Long free-text answers are cut in the summary so it stays within one message."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def summary(state: ConversationState, ctx: AskContext) -> Reply:
    tr = ctx.tr
    items = review_items(state.plan, tr)
    lines = [tr.gettext("Please check your details:"), ""]
    lines += [f"• {_line(item, state, ctx)}" for item in items]
    lines += ["", tr.gettext("Is everything correct? Tap a field to change it.")]
    rows: list[tuple[Button, ...]] = [
        (Button(tr.gettext("✅ Yes, send it"), callbacks.encode(state.token, callbacks.CONFIRM)),)
    ]
    edits = [
        Button(f"✏️ {item.label}", callbacks.encode(state.token, callbacks.EDIT, index))
        for index, item in enumerate(items)
    ]
    rows.extend(tuple(edits[i : i + 2]) for i in range(0, len(edits), 2))
    return Reply("\n".join(lines), buttons=tuple(rows))
