"""The dialogue as a state machine: one event in, replies out, state updated in place.

Pure: no I/O, no clock, no Telegram, no vendor. The caller loads the state, calls :func:`handle`,
stores the state *before* sending the replies, and submits the lead when the outcome says so.

The phases and what moves between them, as in python-telegram-bot's ``conversationbot.py``::

    (start)    begin                      -> ASKING   first question
    ASKING     typed / pressed / contact  -> ASKING   next question, or the same one re-asked
               ... last question answered -> REVIEW   summary
    REVIEW     "Yes, send it"             -> SUBMITTED  (outcome.submit: the caller delivers)
               a field's edit button      -> ASKING   that question (then back to REVIEW)
    SUBMITTED  anything                   -> SUBMITTED  "already sent"
               the studio refused it      -> REVIEW   (back_to_review, from the outbox)

:data:`TRANSITIONS` below is the same table in code. Showing a question is pure: the token that
ties buttons to their message moves only here, when the dialogue moves on (see :func:`_show`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from conversations import callbacks
from conversations.asking import ask
from conversations.context import AskContext
from conversations.events import ButtonPress, ContactShared, Event, TextInput, UnsupportedInput
from conversations.field_plan import Answer, Question
from conversations.kinds import kind_of
from conversations.kinds.base import Accept, Notice, Skipped, Toggle, skip_label
from conversations.replies import Outcome, Reply
from conversations.state import ConversationState, Phase
from conversations.summary import review_items, summary
from conversations.text import InvalidAnswer, Problem

Handler = Callable[[ConversationState, Event, AskContext], Outcome]


# --- entry points ------------------------------------------------------------------------------


def begin(state: ConversationState, ctx: AskContext, welcome: str) -> Outcome:
    """Greet the prospect and ask the first question of a fresh conversation."""
    state.queue = list(state.plan.keys)
    state.phase = Phase.ASKING
    first = _show(state, ctx)
    # One message, not two: Telegram's 30 messages/s are the bottleneck when a campaign lands.
    return Outcome(replies=(replace(first, text=f"{welcome}\n\n{first.text}"),))


def handle(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    step = TRANSITIONS[state.phase][type(event)]
    return _carry_keyboard_removal(state, step(state, event, ctx))


def repeat(state: ConversationState, ctx: AskContext) -> Outcome:
    """Put the current question (or the summary) again, changing nothing."""
    if state.phase is Phase.SUBMITTED or (state.phase is Phase.ASKING and not state.queue):
        return Outcome(changed=False)
    return Outcome(replies=(render(state, ctx),), changed=False)


def back_to_review(state: ConversationState, ctx: AskContext, why: str) -> Outcome:
    """After the studio's system refused the details: explain, and let the prospect correct them."""
    state.phase = Phase.REVIEW
    return _carry_keyboard_removal(state, Outcome(replies=(Reply(why), _show(state, ctx))))


# --- showing -----------------------------------------------------------------------------------


def render(state: ConversationState, ctx: AskContext, *, replace: bool = False) -> Reply:
    """The current question, or the summary in REVIEW; reads the state, never changes it."""
    if state.phase is Phase.REVIEW:
        return summary(state, ctx)
    key = state.queue[0]
    position = None
    if not state.editing:
        keys = state.plan.keys
        position = (keys.index(key) + 1, len(keys))
    return ask(
        state.plan.question(key),
        state.plan,
        ctx,
        state.token,
        picks=tuple(state.picks),
        position=position,
        replace=replace,
    )


def _show(state: ConversationState, ctx: AskContext) -> Reply:
    """Move the token on, so every older message's buttons go stale, and show where we are."""
    state.token += 1
    return render(state, ctx)


# --- ASKING ------------------------------------------------------------------------------------


def _current(state: ConversationState) -> Question:
    return state.plan.question(state.queue[0])


def _typed(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, TextInput)
    if not state.queue:
        return _review_now(state, ctx)
    question = _current(state)
    if not question.required and event.text.strip().casefold() == skip_label(ctx.tr).casefold():
        return _skip(state, question, ctx)
    try:
        value = kind_of(question).read_text(question, event.text, ctx)
    except InvalidAnswer as exc:
        return _reask(state, question, exc.problem, ctx)
    return _accept(state, question, value, ctx)


def _shared_contact(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, ContactShared)
    if not state.queue:
        return _review_now(state, ctx)
    question = _current(state)
    try:
        value = kind_of(question).read_contact(question, event.phone_number, ctx)
    except InvalidAnswer as exc:
        return _reask(state, question, exc.problem, ctx)
    return _accept(state, question, value, ctx, shared=True)


def _unreadable(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    if not state.queue:
        return _review_now(state, ctx)
    return _reask(state, _current(state), Problem.NOT_TEXT, ctx)


def _pressed(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, ButtonPress)
    if not state.queue:
        return _review_now(state, ctx)
    action = callbacks.decode(event.data)
    if action is None or action.token != state.token:
        return _stale(ctx)
    question = _current(state)
    if action.name == callbacks.SKIP:
        return _stale(ctx) if question.required else _skip(state, question, ctx)
    match kind_of(question).read_button(question, action, tuple(state.picks), ctx):
        case Accept(value=value):
            return _accept(state, question, value, ctx)
        case Toggle(picks=picks):
            state.picks = list(picks)
            return Outcome(replies=(render(state, ctx, replace=True),))
        case Notice(text=text):
            return Outcome(notice=text, changed=False)
        case Skipped():
            return _skip(state, question, ctx)
    return _stale(ctx)


def _reask(state: ConversationState, question: Question, problem: Problem, ctx: AskContext) -> Outcome:
    """Say what was wrong and put the same question again (with fresh buttons)."""
    why = kind_of(question).explain(problem, ctx)
    return Outcome(replies=(Reply(why), _show(state, ctx)))


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
    """Ask what comes next; after a reply-keyboard question, also take its keyboard away.

    Telegram's 30 messages/s are what a campaign's crowd waits for, so this costs no extra
    message where it can: :func:`_carry_keyboard_removal` hands the removal to the next question
    when it has no keyboard of its own, or after a shared contact (which the app hides the
    keyboard for) to a later message. Only a typed answer followed by buttons needs a message
    of its own.
    """
    if not state.queue:
        state.phase = Phase.REVIEW
        state.editing = False
    following = _show(state, ctx)
    if not kind_of(answered).reply_keyboard:
        return Outcome(replies=(following,))
    if shared or following.can_remove_keyboard:
        state.contact_keyboard = True
        return Outcome(replies=(following,))
    ack = ctx.tr.gettext("No problem.") if skipped else ctx.tr.gettext("Thanks!")
    return Outcome(replies=(Reply(ack, remove_keyboard=True), following))


def _review_now(state: ConversationState, ctx: AskContext) -> Outcome:
    """Asking with nothing left to ask (a state stored mid-way by an older release)."""
    state.phase = Phase.REVIEW
    return Outcome(replies=(render(state, ctx),))


def _stale(ctx: AskContext) -> Outcome:
    return Outcome(notice=ctx.tr.gettext("That button is no longer active."), changed=False)


# --- REVIEW ------------------------------------------------------------------------------------


def _review_pressed(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, ButtonPress)
    action = callbacks.decode(event.data)
    if action is None or action.token != state.token:
        return _stale(ctx)
    if action.name == callbacks.CONFIRM:
        state.phase = Phase.SUBMITTED
        state.token += 1
        return Outcome(submit=True)
    items = review_items(state.plan, ctx.tr)
    index = action.index
    if action.name == callbacks.EDIT and index is not None and index < len(items):
        state.queue = list(items[index].keys)
        state.phase = Phase.ASKING
        state.editing = True
        state.picks = []
        return Outcome(replies=(_show(state, ctx),))
    return _stale(ctx)


def _review_other(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    return Outcome(
        replies=(
            Reply(ctx.tr.gettext("Please use the buttons to send or correct your details.")),
            render(state, ctx),
        ),
        changed=False,
    )


# --- SUBMITTED ---------------------------------------------------------------------------------


def _already_sent(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
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


# --- the table ---------------------------------------------------------------------------------

TRANSITIONS: Mapping[Phase, Mapping[type[Event], Handler]] = {
    Phase.ASKING: {
        TextInput: _typed,
        ButtonPress: _pressed,
        ContactShared: _shared_contact,
        UnsupportedInput: _unreadable,
    },
    Phase.REVIEW: {
        ButtonPress: _review_pressed,
        TextInput: _review_other,
        ContactShared: _review_other,
        UnsupportedInput: _review_other,
    },
    Phase.SUBMITTED: {
        TextInput: _already_sent,
        ButtonPress: _already_sent,
        ContactShared: _already_sent,
        UnsupportedInput: _already_sent,
    },
}


# --- the share-contact keyboard ----------------------------------------------------------------


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
