"""The dialogue as a state machine: one event in, replies out, state updated in place.

Pure: no I/O, no clock, no Telegram. The caller loads the state, calls :func:`handle`, stores the
state *before* sending the replies, and submits the lead when the outcome says so.
"""

from __future__ import annotations

from dataclasses import replace

from conversations import callbacks
from conversations.answers import Answer, NeedsButton, parse_typed, problem_text
from conversations.asking import AskContext, ask, skip_label
from conversations.events import ButtonPress, ContactShared, Event, TextInput, UnsupportedInput
from conversations.field_plan import AnswerKind, Question
from conversations.parsers import InvalidAnswer, parse_phone
from conversations.replies import Outcome, Reply
from conversations.state import ConversationState, Phase
from conversations.summary import review_items, summary


def begin(state: ConversationState, ctx: AskContext, welcome: str) -> Outcome:
    """Greet the prospect and ask the first question of a fresh conversation."""
    state.queue = list(state.plan.keys)
    state.phase = Phase.ASKING
    first = _ask_current(state, ctx)
    # One message, not two: Telegram's 30 messages/s are the bottleneck when a campaign lands.
    return Outcome(replies=(replace(first, text=f"{welcome}\n\n{first.text}"),))


def handle(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    return _carry_keyboard_removal(state, _handle(state, event, ctx))


def _handle(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    if state.phase is Phase.REVIEW:
        return _handle_review(state, event, ctx)
    if state.phase is Phase.SUBMITTED:
        return Outcome(
            replies=(
                Reply(
                    ctx.tr.gettext(
                        "Your details have been sent to the studio. If something has changed, please "
                        "contact the studio directly."
                    )
                ),
            ),
            changed=False,
        )
    return _handle_answer(state, event, ctx)


def repeat(state: ConversationState, ctx: AskContext) -> Outcome:
    """Put the current question (or the summary) again, changing nothing."""
    if state.phase is Phase.REVIEW:
        return Outcome(replies=(summary(state, ctx),), changed=False)
    if state.phase is Phase.ASKING and state.queue:
        state.token -= 1
        return Outcome(replies=(_ask_current(state, ctx),), changed=False)
    return Outcome(changed=False)


def _ask_current(state: ConversationState, ctx: AskContext, *, replace: bool = False) -> Reply:
    key = state.queue[0]
    question = state.plan.question(key)
    state.token += 1
    position = None
    if not state.editing:
        keys = state.plan.keys
        position = (keys.index(key) + 1, len(keys))
    return ask(
        question,
        state.plan,
        ctx,
        state.token,
        picks=tuple(state.picks),
        position=position,
        replace=replace,
    )


def _reask(state: ConversationState, ctx: AskContext, why: str) -> Outcome:
    """Say what was wrong and put the same question again (with fresh buttons)."""
    return Outcome(replies=(Reply(why), _ask_current(state, ctx)))


def _accept(
    state: ConversationState,
    question: Question,
    value: Answer,
    ctx: AskContext,
    *,
    shared: bool = False,
) -> Outcome:
    state.answers[question.key] = value
    state.queue.pop(0)
    state.picks = []
    return _move_on(state, question, ctx, shared=shared)


def _skip(state: ConversationState, question: Question, ctx: AskContext) -> Outcome:
    """Skipping one part of an optional group (the address) skips the whole group."""
    keys = state.plan.group_keys(question.group) if question.group else (question.key,)
    for key in keys:
        state.answers[key] = None
    state.queue = [key for key in state.queue if key not in keys]
    state.picks = []
    return _move_on(state, question, ctx, skipped=True)


def _move_on(
    state: ConversationState,
    answered: Question,
    ctx: AskContext,
    *,
    skipped: bool = False,
    shared: bool = False,
) -> Outcome:
    """Ask what comes next; after the phone question, also take its share-contact keyboard away.

    Telegram's 30 messages/s are what a campaign's crowd waits for, so this costs no extra
    message where it can: :func:`_carry_keyboard_removal` hands the removal to the next question
    when it has no keyboard of its own, or after a shared contact (which the app hides the
    keyboard for) to a later message. Only a typed answer followed by buttons needs a message
    of its own.
    """
    following = _next(state, ctx)
    if answered.kind is not AnswerKind.PHONE:
        return Outcome(replies=(following,))
    if shared or following.can_remove_keyboard:
        state.contact_keyboard = True
        return Outcome(replies=(following,))
    ack = ctx.tr.gettext("No problem.") if skipped else ctx.tr.gettext("Thanks!")
    return Outcome(replies=(Reply(ack, remove_keyboard=True), following))


def _carry_keyboard_removal(state: ConversationState, outcome: Outcome) -> Outcome:
    """Let the first message that can carry it remove a hidden share-contact keyboard."""
    if not state.contact_keyboard:
        return outcome
    replies = list(outcome.replies)
    if any(reply.contact_button for reply in replies):
        # The phone is asked again: its new keyboard takes the old one's place.
        state.contact_keyboard = False
        return replace(outcome, changed=True)
    for index, reply in enumerate(replies):
        if reply.can_remove_keyboard:
            replies[index] = replace(reply, remove_keyboard=True)
            state.contact_keyboard = False
            return replace(outcome, replies=tuple(replies), changed=True)
    return outcome


def _next(state: ConversationState, ctx: AskContext) -> Reply:
    if state.queue:
        return _ask_current(state, ctx)
    state.phase = Phase.REVIEW
    state.editing = False
    state.token += 1
    return summary(state, ctx)


def _handle_answer(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    tr = ctx.tr
    if not state.queue:
        state.phase = Phase.REVIEW
        return Outcome(replies=(summary(state, ctx),))
    question = state.plan.question(state.queue[0])
    match event:
        case ButtonPress(data=data):
            return _handle_button(state, question, data, ctx)
        case ContactShared(phone_number=phone) if question.kind is AnswerKind.PHONE:
            try:
                return _accept(state, question, parse_phone(phone, ctx.region), ctx, shared=True)
            except InvalidAnswer as exc:
                return _reask(state, ctx, problem_text(exc.problem, ctx))
        case TextInput(text=text):
            if not question.required and text.strip().casefold() == skip_label(tr).casefold():
                return _skip(state, question, ctx)
            try:
                return _accept(state, question, parse_typed(question, text, ctx), ctx)
            except InvalidAnswer as exc:
                return _reask(state, ctx, problem_text(exc.problem, ctx))
            except NeedsButton:
                return _reask(state, ctx, tr.gettext("Please choose one of the buttons."))
        case ContactShared() | UnsupportedInput():
            return _reask(
                state, ctx, tr.gettext("I can only read text here. Please type your answer.")
            )
    return Outcome(changed=False)


def _stale(ctx: AskContext) -> Outcome:
    return Outcome(notice=ctx.tr.gettext("That button is no longer active."), changed=False)


def _handle_button(
    state: ConversationState, question: Question, data: str, ctx: AskContext
) -> Outcome:
    action = callbacks.decode(data)
    if action is None or action.token != state.token:
        return _stale(ctx)
    index = action.index
    match action.name:
        case callbacks.SKIP if not question.required:
            return _skip(state, question, ctx)
        case callbacks.YES | callbacks.NO if question.kind in (
            AnswerKind.BOOLEAN,
            AnswerKind.CONSENT,
        ):
            return _accept(state, question, action.name == callbacks.YES, ctx)
        case callbacks.OPTION if index is not None and index < len(question.options):
            if question.kind is AnswerKind.MULTI_CHOICE:
                picks = set(state.picks) ^ {index}
                state.picks = sorted(picks)
                state.token -= 1  # redraw the same question: its buttons stay valid
                return Outcome(replies=(_ask_current(state, ctx, replace=True),))
            return _accept(state, question, question.options[index], ctx)
        case callbacks.DONE if question.kind is AnswerKind.MULTI_CHOICE:
            if not state.picks:
                if question.required:
                    return Outcome(
                        notice=ctx.tr.gettext("Please choose at least one option."), changed=False
                    )
                return _skip(state, question, ctx)
            return _accept(state, question, [question.options[i] for i in state.picks], ctx)
        case callbacks.COUNTRY if question.kind is AnswerKind.COUNTRY and len(action.arg) == 2:
            return _accept(state, question, action.arg.upper(), ctx)
    return _stale(ctx)


def _handle_review(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    tr = ctx.tr
    if not isinstance(event, ButtonPress):
        return Outcome(
            replies=(
                Reply(tr.gettext("Please use the buttons to send or correct your details.")),
                summary(state, ctx),
            ),
            changed=False,
        )
    action = callbacks.decode(event.data)
    if action is None or action.token != state.token:
        return _stale(ctx)
    if action.name == callbacks.CONFIRM:
        state.phase = Phase.SUBMITTED
        state.token += 1
        return Outcome(submit=True)
    items = review_items(state.plan, tr)
    index = action.index
    if action.name == callbacks.EDIT and index is not None and index < len(items):
        state.queue = list(items[index].keys)
        state.phase = Phase.ASKING
        state.editing = True
        state.picks = []
        return Outcome(replies=(_ask_current(state, ctx),))
    return _stale(ctx)


def back_to_review(state: ConversationState, ctx: AskContext, why: str) -> Outcome:
    """After the studio's system refused the details: explain, and let the prospect correct them."""
    state.phase = Phase.REVIEW
    state.token += 1
    return _carry_keyboard_removal(state, Outcome(replies=(Reply(why), summary(state, ctx))))
