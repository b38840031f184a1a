"""The dialogue as a state machine: one event in, replies out, state updated in place.

Pure: no I/O, no clock, no Telegram, no vendor. The caller loads the state, calls :func:`handle`,
stores the state *before* sending the replies, and submits the lead when the outcome says so.

The phases and what moves between them, as in python-telegram-bot's ``conversationbot.py``::

    (start)    ask_club (a chain's bot)   -> CHOOSING   which club
    CHOOSING   a club tapped / typed      -> (outcome.club: the caller plans that club's
                                              questions: begin, or replan after /club)
               location, city, other      -> CHOOSING   nearest clubs, a city's clubs, again
    (start)    begin                      -> ASKING     first question
    ASKING     typed / pressed / contact  -> ASKING     next question, or the same one re-asked
               Back, /back                -> ASKING     the question before, with its answer
               ... last question answered -> REVIEW     summary
    REVIEW     "Yes, send it"             -> SUBMITTED  (outcome.submit: the caller delivers)
               a field's edit button      -> ASKING     that question (then back to REVIEW)
               /back                      -> ASKING     the last question
    SUBMITTED  anything                   -> SUBMITTED  "already sent"
               the studio refused it      -> REVIEW     (back_to_review, from the outbox)
    ASKING or REVIEW, /start again        -> the same   offer_resume: Continue or Start over

:data:`TRANSITIONS` below is the same table in code. Showing a question is pure: the token that
ties buttons to their message moves only when the dialogue moves on (:func:`_show`), and
whenever it moves, the message that carried the old buttons is settled (:func:`handle`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from conversations import callbacks, choosing
from conversations.asking import ask, keep_label
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.events import (
    ButtonPress,
    Command,
    CommandName,
    ContactShared,
    Event,
    LocationShared,
    TextInput,
    UnsupportedInput,
)
from conversations.field_plan import Answer, FieldPlan, Question, Slot
from conversations.kinds import kind_of
from conversations.kinds.base import (
    Accept,
    Incomplete,
    Notice,
    Skipped,
    Toggle,
    Unsure,
    View,
    back_label,
    skip_label,
)
from conversations.replies import Button, Outcome, Reply, Settle
from conversations.state import SEEN_CLUB, SEEN_SUMMARY, ConversationState, Phase
from conversations.studio import Studio
from conversations.summary import review_items, summary
from conversations.text import InvalidAnswer, Problem

Handler = Callable[[ConversationState, Event, AskContext], Outcome]


# --- entry points ------------------------------------------------------------------------------


def begin(state: ConversationState, ctx: AskContext, welcome: Callable[[int, int], str]) -> Outcome:
    """Greet the prospect and ask the first question of a fresh conversation.

    ``welcome`` words the greeting for the number of required and optional questions.
    """
    state.queue = list(state.plan.keys)
    state.phase = Phase.ASKING
    state.joint_name = all(state.profile) and _last_name_key(state) is not None
    counted = [state.plan.question(key) for key in counted_keys(state)]
    required = sum(1 for question in counted if question.required)
    greeting = welcome(required, len(counted) - required)
    first = _show(state, ctx)
    # One message, not two: Telegram's 30 messages/s are the bottleneck when a campaign lands.
    return Outcome(replies=(replace(first, text=f"{greeting}\n\n{first.text}"),))


def replan(state: ConversationState, plan: FieldPlan, ctx: AskContext) -> Outcome:
    """The prospect changed the club: keep the answers the new club's questions also ask for,
    drop the others, and ask what is missing (else show the summary again)."""
    state.answers = {key: value for key, value in state.answers.items() if key in plan.keys}
    state.plan = plan
    state.resume = None
    _clear_question_state(state)
    state.editing = False
    state.queue = [key for key in plan.keys if key not in state.answers]
    state.token += 1
    if not state.queue:
        state.phase = Phase.REVIEW
        return Outcome(replies=(render(state, ctx),))
    state.phase = Phase.ASKING
    return Outcome(replies=(_show(state, ctx),))


def handle(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    if state.seen is not None:
        _back_to_seen(state, event)
    token = state.token
    outcome = TRANSITIONS[state.phase][type(event)](state, event, ctx)
    if state.token != token and outcome.settle is None and not _edits_in_place(outcome):
        outcome = replace(outcome, settle=Settle())
    return _carry_keyboard_removal(state, outcome)


def repeat(state: ConversationState, ctx: AskContext) -> Outcome:
    """Put the current question (the club question, the summary) again, changing nothing."""
    if state.phase is Phase.SUBMITTED or (state.phase is Phase.ASKING and not state.queue):
        return Outcome(changed=False)
    if state.phase is Phase.CHOOSING:  # asking it again changes nothing in this phase
        return Outcome(replies=choosing.ask_club(state, ctx).replies, changed=False, repeats=True)
    return Outcome(replies=(render(state, ctx),), changed=False, repeats=True)


def offer_resume(state: ConversationState, ctx: AskContext) -> Outcome:
    """``/start`` half way: keep the answers unless the prospect chooses to start over."""
    tr = ctx.tr
    state.token += 1
    answered = sum(1 for key in counted_keys(state) if key in state.answers)
    text = tr.ngettext(
        "You have already answered {count} question. Shall we continue where you left off, or "
        "start over?",
        "You have already answered {count} questions. Shall we continue where you left off, or "
        "start over?",
        answered,
    ).format(count=answered)
    buttons = (
        (Button(tr.gettext("▶️ Continue"), callbacks.encode(state.token, callbacks.RESUME)),),
        (Button(tr.gettext("🔄 Start over"), callbacks.encode(state.token, callbacks.RESTART)),),
    )
    return _carry_keyboard_removal(
        state, Outcome(replies=(Reply(text, buttons=buttons),), settle=Settle())
    )


def remind(state: ConversationState, ctx: AskContext, studio: Studio) -> Outcome:
    """The one reminder to a prospect who stopped half way: one tap resumes where they were.
    The token moves on, so the question's old buttons go stale and are taken away."""
    tr = ctx.tr
    state.token += 1
    review = state.phase is Phase.REVIEW
    if studio.name and review:
        text = tr.gettext(
            "Hello again from {studio}! Your details are ready but not sent yet. Shall we "
            "continue? You can check them once more before sending."
        ).format(studio=studio.name)
    elif studio.name:
        text = tr.gettext(
            "Hello again from {studio}! You stopped half way, and your answers so far are "
            "saved. Shall we continue where you left off?"
        ).format(studio=studio.name)
    elif review:
        text = tr.gettext(
            "Hello again! Your details are ready but not sent yet. Shall we continue? You can "
            "check them once more before sending."
        )
    else:
        text = tr.gettext(
            "Hello again! You stopped half way, and your answers so far are saved. Shall we "
            "continue where you left off?"
        )
    text += " " + tr.gettext("If you'd rather not, /cancel deletes them.")
    button = Button(tr.gettext("▶️ Continue"), callbacks.encode(state.token, callbacks.RESUME))
    return Outcome(replies=(Reply(text, buttons=((button,),)),), settle=Settle())


def back_to_review(state: ConversationState, ctx: AskContext, why: str) -> Outcome:
    """After the studio's system refused the details: explain, and let the prospect correct them."""
    state.phase = Phase.REVIEW
    return _carry_keyboard_removal(state, Outcome(replies=(_show(state, ctx, why=why),)))


# --- showing -----------------------------------------------------------------------------------


def counted_keys(state: ConversationState) -> list[str]:
    """The questions as the prospect counts them: one for the whole name while it is asked so."""
    last = _last_name_key(state) if state.joint_name else None
    return [key for key in state.plan.keys if key != last]


def render(
    state: ConversationState, ctx: AskContext, *, replace: bool = False, why: str | None = None
) -> Reply:
    """The current question, or the summary in REVIEW; reads the state, never changes it."""
    if state.phase is Phase.REVIEW:
        shown = summary(state, ctx)
        if why:
            shown = Reply(f"{why}\n\n{shown.text}", buttons=shown.buttons, summary=True)
        return shown
    key = state.queue[0]
    counted = counted_keys(state)
    index = counted.index(key) if key in counted else 0
    return ask(
        state.plan.question(key),
        state.plan,
        ctx,
        state.token,
        _view(state, ctx),
        position=None if state.editing else (index + 1, len(counted)),
        back=state.editing or index > 0,
        replace=replace,
        why=why,
    )


def _show(
    state: ConversationState, ctx: AskContext, *, replace: bool = False, why: str | None = None
) -> Reply:
    """Move the token on, so every older message's buttons go stale, and show where we are."""
    state.token += 1
    return render(state, ctx, replace=replace, why=why)


def _view(state: ConversationState, ctx: AskContext) -> View:
    key = state.queue[0] if state.phase is Phase.ASKING and state.queue else None
    return View(
        picks=tuple(state.picks),
        suggestions=tuple(state.suggestions),
        partial=state.partial,
        current=state.answers.get(key) if key else None,
        has_current=key in state.answers if key else False,
        country=state.address_country(ctx.region),
        profile=state.profile,
        joint_name=state.joint_name,
    )


def _edits_in_place(outcome: Outcome) -> bool:
    """A reply that edits the pressed message keeps it as the one with buttons."""
    return any(reply.replace for reply in outcome.replies)


def _last_name_key(state: ConversationState) -> str | None:
    return next((q.key for q in state.plan.questions if q.slot is Slot.LASTNAME), None)


# --- ASKING ------------------------------------------------------------------------------------


def _current(state: ConversationState) -> Question:
    return state.plan.question(state.queue[0])


def _typed(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, TextInput)
    if not state.queue:
        return _review_now(state, ctx)
    question = _current(state)
    text = event.text.strip().casefold()
    if text == back_label(ctx.tr).casefold():
        return _back(state, ctx)
    if text == skip_label(ctx.tr).casefold():
        return _skip_asked(state, question, ctx)
    view = _view(state, ctx)
    if view.current is not None:
        keep = keep_label(kind_of(question).show(question, view.current, ctx, view), ctx)
        if text == keep.casefold():
            return _keep(state, question, ctx)
    try:
        value = kind_of(question).read_text(question, event.text, ctx, view)
    except InvalidAnswer as error:
        return _reask(state, question, error, ctx)
    return _accept(state, question, value, ctx)


def _shared_contact(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, ContactShared)
    if not state.queue:
        return _review_now(state, ctx)
    question = _current(state)
    try:
        value = kind_of(question).read_contact(question, event.phone_number, ctx, _view(state, ctx))
    except InvalidAnswer as error:
        return _reask(state, question, error, ctx)
    return _accept(state, question, value, ctx, shared=True)


def _unreadable(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    if not state.queue:
        return _review_now(state, ctx)
    return _reask(state, _current(state), InvalidAnswer(Problem.NOT_TEXT), ctx)


def _command(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    assert isinstance(event, Command)
    if not state.queue:
        return _review_now(state, ctx)
    if event.name is CommandName.BACK:
        return _back(state, ctx)
    return _skip_asked(state, _current(state), ctx)


def _pressed(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    if not state.queue:
        return _review_now(state, ctx)
    action = _live_action(state, event, ctx)
    if isinstance(action, Outcome):
        return action
    question = _current(state)
    view = _view(state, ctx)
    kind = kind_of(question)
    match action.name:
        case callbacks.BACK:
            return _back(state, ctx)
        case callbacks.KEEP if view.current is not None:
            kept = _answered(kind.show(question, view.current, ctx, view))
            return _keep(state, question, ctx, shown=kept)
        case callbacks.SKIP:
            return _skip_asked(state, question, ctx, shown=_answered(skip_label(ctx.tr)))
    match kind.read_button(question, action, ctx, view):
        case Accept(value=value):
            shown = None if value is None else _answered(kind.show(question, value, ctx, view))
            return _accept(state, question, value, ctx, shown=shown)
        case Toggle(picks=picks):
            state.picks = list(picks)
            return Outcome(replies=(render(state, ctx, replace=True),))
        case Notice(text=text):
            return Outcome(notice=text, changed=False)
        case Skipped():
            return _skip(state, question, ctx, shown=_answered(skip_label(ctx.tr)))
    return _stale(ctx)


def _answered(shown: str) -> str:
    """How a pressed answer is written under its question."""
    return f"✔️ {shown}"


def _live_action(state: ConversationState, event: Event, ctx: AskContext) -> Action | Outcome:
    """The pressed button's action; a stale button, or Continue/Start over, is answered here."""
    assert isinstance(event, ButtonPress)
    action = callbacks.decode(event.data)
    if action is None or action.token != state.token:
        return _stale(ctx)
    resumed = _resume(state, action, ctx)
    return action if resumed is None else resumed


def _resume(state: ConversationState, action: Action, ctx: AskContext) -> Outcome | None:
    """The buttons of :func:`offer_resume`."""
    if action.name == callbacks.RESUME:
        return Outcome(replies=(_show(state, ctx),))
    if action.name == callbacks.RESTART:
        return Outcome(restart=True)
    return None


def _reask(
    state: ConversationState, question: Question, error: InvalidAnswer, ctx: AskContext
) -> Outcome:
    """Say what was wrong and how to fix it, with the question again: one message."""
    if isinstance(error, Unsure):
        state.suggestions = list(error.suggestions)
    if isinstance(error, Incomplete):
        state.partial = error.partial
    why = kind_of(question).explain(error, ctx, _view(state, ctx))
    return Outcome(replies=(_show(state, ctx, why=why),))


def _accept(
    state: ConversationState,
    question: Question,
    value: Answer,
    ctx: AskContext,
    *,
    shared: bool = False,
    shown: str | None = None,
) -> Outcome:
    answered = kind_of(question).distribute(question, value, state.plan)
    state.answers.update(answered)
    state.queue = [key for key in state.queue if key not in answered]
    if question.slot is Slot.FIRSTNAME and len(answered) == 1:
        state.joint_name = False  # one name typed: the last name is asked on its own
    return _move_on(state, question, ctx, shared=shared, shown=shown)


def _keep(
    state: ConversationState, question: Question, ctx: AskContext, *, shown: str | None = None
) -> Outcome:
    state.queue.pop(0)
    return _move_on(state, question, ctx, shown=shown)


def _skip_asked(
    state: ConversationState, question: Question, ctx: AskContext, *, shown: str | None = None
) -> Outcome:
    """Skip, Skip button or ``/skip``: a required question says why it can't be skipped."""
    if question.required:
        return _reask(state, question, InvalidAnswer(Problem.REQUIRED), ctx)
    return _skip(state, question, ctx, shown=shown)


def _skip(
    state: ConversationState, question: Question, ctx: AskContext, *, shown: str | None = None
) -> Outcome:
    """Skipping one part of an optional group (the address) skips the whole group."""
    keys = state.plan.group_keys(question.group) if question.group else (question.key,)
    for key in keys:
        state.answers[key] = None
    state.queue = [key for key in state.queue if key not in keys]
    return _move_on(state, question, ctx, skipped=True, shown=shown)


def _back(state: ConversationState, ctx: AskContext) -> Outcome:
    """The question before this one, showing its answer; while correcting, the summary."""
    if state.editing or state.phase is Phase.REVIEW:
        return _to_review_or_last(state, ctx)
    counted = counted_keys(state)
    key = state.queue[0]
    index = counted.index(key) if key in counted else 0
    if index == 0:
        return Outcome(
            replies=(_show(state, ctx, why=ctx.tr.gettext("This is the first question.")),)
        )
    _go_to(state, counted[index - 1])
    return Outcome(replies=(_show(state, ctx),))


def _to_review_or_last(state: ConversationState, ctx: AskContext) -> Outcome:
    if state.editing:
        state.queue = []
        return _move_on_to_review(state, ctx)
    _go_to(state, counted_keys(state)[-1])
    state.phase = Phase.ASKING
    return Outcome(replies=(_show(state, ctx),))


def _back_to_seen(state: ConversationState, event: Event) -> None:
    """A reply never reached the prospect: what they send now answers what is still on their
    screen. A pressed button names its own message (its token), so it is taken for what it is;
    a club button names none, so it chooses a club. While the club is asked (again, after
    /club) nothing else can be answered: the question seen is left behind."""
    seen, state.seen = state.seen, None
    if seen is None or state.phase in (Phase.SUBMITTED, Phase.CHOOSING):
        return
    if seen == SEEN_CLUB:  # the club chosen never reached them: they are choosing still
        state.phase = Phase.CHOOSING
        _clear_question_state(state)
        return
    if isinstance(event, ButtonPress):
        return
    if seen == SEEN_SUMMARY:
        if state.phase is Phase.ASKING:  # a correction or /back they never saw
            state.phase = Phase.REVIEW
            state.editing = False
            state.queue = []
            _clear_question_state(state)
        return
    if seen not in state.plan.keys or seen == state.current:
        return
    _go_to(state, seen)
    state.phase = Phase.ASKING


def _go_to(state: ConversationState, key: str) -> None:
    """Put ``key`` first in the queue; a skipped group (the address) is asked from its start."""
    question = state.plan.question(key)
    keys = [key]
    if question.group:
        group = state.plan.group_keys(question.group)
        if all(state.answers.get(k) is None for k in group):
            keys = list(group)
    state.queue = keys + [k for k in state.queue if k not in keys]
    _restore_picks(state)


def _restore_picks(state: ConversationState) -> None:
    """Coming back to a multiple choice shows its ticks as they were."""
    _clear_question_state(state)
    current = state.answers.get(state.queue[0])
    options = state.plan.question(state.queue[0]).options
    if isinstance(current, list):
        state.picks = [i for i, option in enumerate(options) if option in current]


def _clear_question_state(state: ConversationState) -> None:
    state.picks = []
    state.suggestions = []
    state.partial = None


def _move_on(
    state: ConversationState,
    answered: Question,
    ctx: AskContext,
    *,
    skipped: bool = False,
    shared: bool = False,
    shown: str | None = None,
) -> Outcome:
    """Ask what comes next; after a reply-keyboard question, also take its keyboard away.

    Telegram's 30 messages/s are what a campaign's crowd waits for, so this costs no extra
    message where it can: :func:`_carry_keyboard_removal` hands the removal to the next question
    when it has no keyboard of its own, or after a shared contact (which the app hides the
    keyboard for) to a later message. Only a typed answer followed by buttons needs a message
    of its own.
    """
    _clear_question_state(state)
    if state.queue:
        following = _show(state, ctx)
        settle = Settle(shown) if shown is not None else None
        outcome = Outcome(replies=(following,), settle=settle)
    else:
        outcome = _move_on_to_review(state, ctx, shown=shown)
        following = outcome.replies[0]
    if not kind_of(answered).reply_keyboard:
        return outcome
    if shared or following.can_remove_keyboard:
        state.contact_keyboard = True
        return outcome
    ack = ctx.tr.gettext("No problem.") if skipped else ctx.tr.gettext("Thanks!")
    return replace(outcome, replies=(Reply(ack, remove_keyboard=True), *outcome.replies))


def _move_on_to_review(
    state: ConversationState, ctx: AskContext, *, shown: str | None = None
) -> Outcome:
    """The summary; after a correction it updates the earlier summary message in place."""
    correcting = state.editing
    state.phase = Phase.REVIEW
    state.editing = False
    _clear_question_state(state)
    shown_summary = _show(state, ctx)
    if correcting:
        return Outcome(replies=(replace(shown_summary, in_place=True),), settle=Settle(shown))
    return Outcome(replies=(shown_summary,), settle=Settle(shown) if shown is not None else None)


def _review_now(state: ConversationState, ctx: AskContext) -> Outcome:
    """Asking with nothing left to ask: no release stores such a state (the last answer moves
    on to the summary), but one put together by hand still gets an answer, the summary."""
    state.phase = Phase.REVIEW
    return Outcome(replies=(render(state, ctx),))


def _stale(ctx: AskContext) -> Outcome:
    return Outcome(notice=ctx.tr.gettext("That button is no longer active."), changed=False)


# --- REVIEW ------------------------------------------------------------------------------------


def _review_pressed(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    action = _live_action(state, event, ctx)
    if isinstance(action, Outcome):
        return action
    if action.name == callbacks.CLUB and len(ctx.clubs) > 1:
        return choosing.ask_club(state, ctx, settle=True)
    if action.name == callbacks.CONFIRM:
        state.phase = Phase.SUBMITTED
        state.token += 1
        sending = ctx.tr.gettext("⏳ Sending your details…")
        return Outcome(submit=True, settle=Settle(sending))
    items = review_items(state.plan, ctx)
    index = action.index
    if action.name == callbacks.EDIT and index is not None and index < len(items):
        state.phase = Phase.ASKING
        state.editing = True
        state.queue = list(items[index].keys)
        _restore_picks(state)
        # The summary message itself turns into the question, and back into the summary.
        return Outcome(replies=(_show(state, ctx, replace=True),))
    return _stale(ctx)


def _review_other(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    if isinstance(event, Command) and event.name is CommandName.BACK:
        return _to_review_or_last(state, ctx)
    why = ctx.tr.gettext("Please use the buttons to send or correct your details.")
    return Outcome(replies=(_show(state, ctx, why=why),))


# --- SUBMITTED ---------------------------------------------------------------------------------


def _already_sent(state: ConversationState, event: Event, ctx: AskContext) -> Outcome:
    return Outcome(
        replies=(
            Reply(
                ctx.studio.fill(
                    ctx.tr.gettext(
                        "Your details have been sent, and {studio} will be in touch. If something "
                        "has changed, just say so then."
                    ),
                    ctx.tr,
                )
            ),
        ),
        changed=False,
    )


# --- the table ---------------------------------------------------------------------------------

TRANSITIONS: Mapping[Phase, Mapping[type[Event], Handler]] = {
    Phase.CHOOSING: {
        TextInput: choosing.typed,
        ButtonPress: choosing.pressed,
        LocationShared: choosing.located,
        ContactShared: choosing.other,
        UnsupportedInput: choosing.other,
        Command: choosing.other,
    },
    Phase.ASKING: {
        TextInput: _typed,
        ButtonPress: _pressed,
        ContactShared: _shared_contact,
        LocationShared: _unreadable,
        UnsupportedInput: _unreadable,
        Command: _command,
    },
    Phase.REVIEW: {
        ButtonPress: _review_pressed,
        TextInput: _review_other,
        ContactShared: _review_other,
        LocationShared: _review_other,
        UnsupportedInput: _review_other,
        Command: _review_other,
    },
    Phase.SUBMITTED: {
        TextInput: _already_sent,
        ButtonPress: _already_sent,
        ContactShared: _already_sent,
        LocationShared: _already_sent,
        UnsupportedInput: _already_sent,
        Command: _already_sent,
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
