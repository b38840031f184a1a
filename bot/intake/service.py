"""The intake service: one prospect's event in, stored state and replies out.

Transport-neutral: Telegram handlers and the terminal demo both call it. The order of work is the
product's durability promise: load state, run the pure dialogue step, store the new state, and
only then let the caller send the replies. A confirmed lead goes to the outbox in the same
transaction as the final state, before the first delivery attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

from bot.chain.club import Club
from bot.chain.links import split_start
from bot.funnel.campaign import ALLOWED, MAX_CAMPAIGN_LENGTH, is_campaign
from bot.funnel.counts import Funnel, Stage
from bot.intake.commands import help_text, unknown_command_text
from bot.intake.desk import DeskButtons
from bot.intake.erasure_requests import ErasureRequests
from bot.intake.outbox import Outbox
from bot.intake.sender import Sender
from bot.intake.store import ConversationChanged, ConversationStore
from bot.logging_setup import chat_ref
from bot.perfectgym.adapter import lead_request, plan_from_config, unsatisfiable_fields
from bot.perfectgym.models import LeadConfig
from bot.storage import LeadStatus, Storage
from conversations import choosing, flow
from conversations.drafting import draft_of
from conversations.events import Command, CommandName, Event
from conversations.field_plan import NO_QUESTIONS, FieldPlan
from conversations.front_desk import with_rows
from conversations.i18n import Translator, negotiate
from conversations.kinds.name import parse_name
from conversations.replies import Outcome, Reply, Settle
from conversations.state import ConversationState, Phase
from conversations.studio import Studio
from conversations.text import InvalidAnswer

log = logging.getLogger(__name__)

# How often one update is applied again because another instance changed its chat meanwhile
# (each time costs a read and a write; more than two in a row would take a third writer).
MAX_ATTEMPTS = 4

T = TypeVar("T")


def campaign_of(payload: str | None, chat_id: int) -> str | None:
    """The deep link's payload as the lead's ``externalIdentifier``, if it keeps Telegram's
    rules; anything else (typed by hand, not from a link) is dropped and logged without its
    value, which is whatever the prospect typed."""
    if not payload:
        return None
    if is_campaign(payload):
        return payload
    log.info(
        "chat %s: start payload dropped, not a Telegram deep-link parameter (%s, at most %d "
        "characters)",
        chat_ref(chat_id),
        ALLOWED,
        MAX_CAMPAIGN_LENGTH,
    )
    return None


@dataclass(frozen=True)
class Chat:
    """Who wrote: the private chat, the language their Telegram app is set to, and the name on
    their profile (offered as a one-tap answer, never used unasked)."""

    id: int
    language_code: str | None = None
    update_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None

    def is_replay(self, state: ConversationState) -> bool:
        """Telegram redelivers an update whose processing a crash cut short; apply it once."""
        return self.update_id is not None and state.has_applied(self.update_id)


def _profile_part(name: str | None) -> str | None:
    """A profile name offered as an answer: only what would pass as a typed name."""
    if not name:
        return None
    try:
        return parse_name(name)
    except InvalidAnswer:
        return None


def _say(text: str, *, remove_keyboard: bool = False, changed: bool = True) -> Outcome:
    return Outcome(replies=(Reply(text, remove_keyboard=remove_keyboard),), changed=changed)


class Intake:
    def __init__(
        self,
        conversations: ConversationStore,
        storage: Storage,
        outbox: Outbox,
        sender: Sender,
        *,
        default_locale: str,
        funnel: Funnel,
        formal: bool = False,
        erasure: ErasureRequests | None = None,
        clock: Callable[[], float] = time.time,
        desk: DeskButtons | None = None,
    ) -> None:
        self._conversations = conversations
        self._desk = desk  # the front desk: its buttons under the welcome
        self._erasure = erasure
        self._storage = storage
        self._outbox = outbox
        self._sender = sender
        self._default_locale = default_locale
        self._formal = formal
        self._funnel = funnel
        self._clock = clock
        # Per club, the config last planned and checked, and what came of it.
        self._plans: dict[str, tuple[LeadConfig, FieldPlan]] = {}
        self._checks: dict[str, tuple[LeadConfig, bool]] = {}

    def locale_for(self, chat: Chat) -> str:
        return negotiate(chat.language_code, self._default_locale, formal=self._formal)

    def translator_for(self, chat: Chat) -> Translator:
        return Translator(self.locale_for(chat))

    def help_text(self, tr: Translator, studio: str | None = None) -> str:
        """/help: who receives the details, what happens to them, and the commands. In a
        chain before a club is chosen, the brand receives them (no club's privacy notice yet)."""
        chain = self._conversations.chain
        if chain.is_chain and studio is None:
            return help_text(tr, Studio(name=chain.brand), None, chain=True)
        club = chain.club(studio)
        return help_text(
            tr,
            club.studio_for(tr.locale),
            club.texts.privacy_url_for(tr.locale),
            chain=chain.is_chain,
            ask=self._can_ask,
        )

    def unknown_command_text(self, tr: Translator) -> str:
        return unknown_command_text(tr, chain=self._conversations.chain.is_chain, ask=self._can_ask)

    async def help_for(self, chat: Chat) -> str:
        """/help for this chat: its club's, once chosen."""
        state = await self._conversations.load(chat.id)
        return self.help_text(self.translator_for(chat), state.studio if state else None)

    async def _applied(self, chat_id: int, step: Callable[[], Awaitable[T]]) -> T:
        """``step`` run until its state is stored over the one it read. A conversation changed
        by another instance meanwhile throws the step's work away (nothing was sent yet) and
        computes it again from the stored state, where the update-id check sees a redelivery."""
        for _ in range(MAX_ATTEMPTS - 1):
            try:
                return await step()
            except ConversationChanged:
                log.info("chat %s: changed meanwhile by another instance; again", chat_ref(chat_id))
        return await step()

    # --- commands -------------------------------------------------------------------------------

    async def start(self, chat: Chat, payload: str | None) -> Outcome:
        return await self._applied(chat.id, partial(self._start, chat, payload))

    async def _start(self, chat: Chat, payload: str | None) -> Outcome:
        current = await self._conversations.load(chat.id)
        if current is not None and chat.is_replay(current):
            return flow.repeat(current, self._conversations.context_of(current))
        if current is not None and current.phase is Phase.CHOOSING and current.studio is None:
            await self._conversations.delete(chat.id)  # nothing answered yet: begin afresh
            return await self._begin(chat, payload)
        if current is not None and current.phase is not Phase.SUBMITTED:
            outcome = flow.offer_resume(current, self._conversations.context_of(current))
            if chat.update_id is not None:
                current.mark_applied(chat.update_id)
            await self._conversations.save(current)
            return outcome
        if current is not None:  # a submitted one: the new conversation is a new row
            await self._conversations.delete(chat.id)
        return await self._begin(chat, payload)

    async def _begin(self, chat: Chat, payload: str | None) -> Outcome:
        locale = self.locale_for(chat)
        tr = Translator(locale)
        previous = await self._storage.latest_lead(chat.id)
        if previous is not None and previous.status is LeadStatus.PENDING:
            studio = self._conversations.club(previous.studio).studio_for(locale)
            return _say(
                studio.fill(
                    tr.gettext(
                        "We have your details, and {studio} will have them in a moment. "
                        "There is no need to send them again."
                    ),
                    tr,
                ),
                changed=False,
            )
        if previous is not None and previous.status is LeadStatus.CREATED:
            studio = self._conversations.club(previous.studio).studio_for(locale)
            return _say(
                studio.fill(
                    tr.gettext(
                        "You have already sent us your details, and {studio} will be in touch. "
                        "If anything has changed, just say so when you hear from them. "
                        "Send /forget to delete what this chat stored about you."
                    ),
                    tr,
                ),
                changed=False,
            )
        chain = self._conversations.chain
        named, payload = split_start(payload, chain.ids())
        campaign = campaign_of(payload, chat.id)
        state = ConversationState(
            chat_id=chat.id,
            locale=locale,
            language=chat.language_code,
            campaign=campaign,
            plan=NO_QUESTIONS,
            recent_updates=() if chat.update_id is None else (chat.update_id,),
            profile=(_profile_part(chat.first_name), _profile_part(chat.last_name)),
        )
        if chain.is_chain and named is None:  # the prospect chooses the club first
            outcome = choosing.ask_club(state, self._conversations.context_of(state))
            state.resume = None
            await self._conversations.save(state)
            log.info(
                "chat %s: conversation started, choosing a club (locale %s, campaign %s)",
                chat_ref(chat.id),
                locale,
                "yes" if campaign else "no",
            )
            return outcome
        club = self._conversations.club(named)
        config = await self._config_of(club, chat.id)
        if config is None:
            return _say(
                tr.gettext(
                    "Sorry, I can't take your details right now. Please try again in a few minutes."
                ),
                changed=False,
            )
        state.studio = club.storage_key
        state.plan = self._plan_for(club, config)
        outcome = flow.begin(
            state, self._conversations.context_of(state), partial(self._welcome, tr, named)
        )
        await self._started(state)
        return self._under_welcome(outcome, tr, state.studio)

    async def _started(self, state: ConversationState) -> None:
        """Store a conversation that begins its club's questions, and count it."""
        reached = state.reach()
        await self._conversations.save(state)
        self._funnel.reached(state.campaign, Stage.STARTED, studio=state.studio)
        self._funnel.progressed(state.campaign, *reached, studio=state.studio)
        log.info(
            "chat %s: conversation started (locale %s, %d questions, campaign %s%s)",
            chat_ref(state.chat_id),
            state.locale,
            len(state.plan.questions),
            "yes" if state.campaign else "no",
            f", studio {state.studio}" if state.studio else "",
        )

    async def _config_of(self, club: Club, chat_id: int) -> LeadConfig | None:
        """The club's leads config, None when no lead could be taken for it now."""
        if not club.config.is_fresh():
            self._sender.typing_soon(chat_id)  # fetching the config may take a moment
        config = await club.config.get()
        if config is None or self._unsatisfiable(club, config):
            return None
        return config

    async def _chose(self, chat: Chat, state: ConversationState, chosen: Outcome) -> Outcome:
        """The prospect chose a club: plan its questions, keeping what they already answered."""
        club = self._conversations.chain.find(chosen.club)
        config = None if club is None else await self._config_of(club, chat.id)
        tr = Translator(state.locale)
        if club is None or config is None:
            name = club.name if club is not None else ""
            again = choosing.ask_club(state, self._conversations.context_of(state))
            sorry = Reply(
                tr.gettext(
                    "Sorry, {club} can't take new details right now. Please choose another club "
                    "or try again in a few minutes."
                ).format(club=name)
            )
            return replace(again, replies=(sorry, *again.replies), settle=chosen.settle)
        first = state.studio is None and state.resume is None
        # Chosen before, but that reply never reached the prospect (``seen`` put the club
        # question back): nothing answered yet, they have yet to see a welcome.
        unseen = not first and state.resume is None and not state.answers
        moved = not first and state.studio != club.storage_key
        state.studio = club.storage_key
        plan = self._plan_for(club, config)
        ctx = self._conversations.context_of(state)
        if first or unseen:
            state.plan = plan
            outcome = flow.begin(state, ctx, partial(self._welcome, tr, club.id))
            if first:
                await self._started(state)
            else:
                if moved:
                    self._moved(state, plan)
                reached = state.reach()
                await self._conversations.save(state)
                self._funnel.progressed(state.campaign, *reached, studio=state.studio)
            outcome = self._under_welcome(outcome, tr, state.studio)
        else:
            outcome = flow.replan(state, plan, ctx)
            if moved:
                self._moved(state, plan)
            reached = state.reach()
            await self._conversations.save(state)
            self._funnel.progressed(state.campaign, *reached, studio=state.studio)
        # The line of record also takes the share-location keyboard away, used or not.
        line = Reply(choosing.chosen_line(tr, club.card()), remove_keyboard=True)
        return replace(outcome, replies=(line, *outcome.replies), settle=chosen.settle)

    def _moved(self, state: ConversationState, plan: FieldPlan) -> None:
        """The prospect changed the club: the new club's funnel counts the conversation from its
        start, with the questions answered already that it also asks, and the summary when it
        is shown again; the old club's keeps its counts (one who left it). Each studio's funnel
        thus narrows from started to created, whoever changed their mind."""
        kept = tuple(key for key in state.reached if key in plan.keys)
        state.reached, state.reviewed = kept, False
        self._funnel.reached(state.campaign, Stage.STARTED, studio=state.studio)
        self._funnel.progressed(state.campaign, kept, False, studio=state.studio)

    def _unsatisfiable(self, club: Club, config: LeadConfig) -> bool:
        """Whether PerfectGym would refuse every lead: asking would waste the prospect's time."""
        checked = self._checks.get(club.id)
        if checked is None or checked[0] is not config:
            checked = (config, bool(unsatisfiable_fields(config)))
            self._checks[club.id] = checked
        return checked[1]

    def _plan_for(self, club: Club, config: LeadConfig) -> FieldPlan:
        """One plan per club's config object: the config source hands out the same one until
        it changes, and every conversation started meanwhile shares its plan."""
        planned = self._plans.get(club.id)
        if planned is None or planned[0] is not config:
            planned = (config, plan_from_config(config))
            self._plans[club.id] = planned
        return planned[1]

    def _under_welcome(self, outcome: Outcome, tr: Translator, studio: str | None) -> Outcome:
        """The front desk's buttons under the welcome (which is one message with the first
        question), where that message can carry them."""
        if self._desk is None or not outcome.replies:
            return outcome
        first, *rest = outcome.replies
        return replace(outcome, replies=(with_rows(first, self._desk.rows(tr, studio)), *rest))

    @property
    def _can_ask(self) -> bool:
        return self._desk is not None and self._desk.can_ask

    def _welcome(self, tr: Translator, studio: str | None, required: int, optional: int) -> str:
        """Who is asking, why, how many questions, and where the privacy notice is."""
        club = self._conversations.club(studio)
        name = club.studio_for(tr.locale)
        text = club.texts.welcome_for(tr.locale, name.name) or name.greeting(tr)
        text += " " + tr.gettext("Your answers are used only for this and go to no one else.")
        count = tr.ngettext(
            "{count} question is needed.", "{count} questions are needed.", required
        ).format(count=required)
        if optional:
            count += " " + tr.ngettext(
                "{count} more is optional: skip it if you like.",
                "{count} more are optional: skip them if you like.",
                optional,
            ).format(count=optional)
        text += (
            "\n"
            + count
            + " "
            + tr.gettext("Made a mistake? /back goes one question back; /cancel stops.")
        )
        privacy = club.texts.privacy_url_for(tr.locale)
        if privacy:
            text += "\n\n" + tr.gettext("How the studio handles your data: {url}").format(
                url=privacy
            )
        return text

    async def change_club(self, chat: Chat) -> Outcome:
        """/club: choose another club; what the new club also asks for is kept."""
        return await self._applied(chat.id, partial(self._change_club, chat))

    async def _change_club(self, chat: Chat) -> Outcome:
        state = await self._conversations.load(chat.id)
        tr = self.translator_for(chat)
        if not self._conversations.chain.is_chain:
            return _say(tr.gettext("This bot takes details for one studio only."), changed=False)
        if state is None:
            return await self._start(chat, None)
        if chat.is_replay(state):
            return flow.repeat(state, self._conversations.context_of(state))
        if state.phase is Phase.SUBMITTED:
            return flow.handle(
                state, Command(CommandName.BACK), self._conversations.context_of(state)
            )
        on_screen = state.on_screen
        await self._drop_kept(state)  # the club question replaces whatever was kept
        state.seen = None
        outcome = choosing.ask_club(state, self._conversations.context_of(state), settle=True)
        if chat.update_id is not None:
            state.mark_applied(chat.update_id)
        await self._conversations.save(state)
        return replace(outcome, seen_before=on_screen)

    async def cancel(self, chat: Chat) -> Outcome:
        state = await self._conversations.load(chat.id)
        await self._conversations.delete(chat.id)
        await self._storage.delete_booking(chat.id)  # nothing is booked after /cancel
        if state is not None and state.phase is not Phase.SUBMITTED:
            self._funnel.reached(state.campaign, Stage.CANCELLED, studio=state.studio)
        tr = Translator(self.locale_for(chat))
        return _say(
            tr.gettext(
                "Okay, I've stopped and deleted your answers. Send /start whenever you want to begin "
                "again."
            ),
            remove_keyboard=True,
        )

    async def forget(self, chat: Chat) -> Outcome:
        """Erase the chat first, then tell staff what the studio holds, then the prospect where
        to ask the studio: work still under way for the chat finds it forgotten and stops."""
        state = await self._conversations.load(chat.id)
        erased = await self._conversations.forget(chat.id)
        if state is not None and state.phase is not Phase.SUBMITTED:
            self._funnel.reached(state.campaign, Stage.FORGOTTEN, studio=state.studio)
        # Whose the person is: the club of the created lead or booking, else the conversation's
        # (after a created lead the conversation is gone, and with it its club).
        studio = state.studio if state is not None else None
        if self._erasure is not None:
            studio = await self._erasure.forgotten(erased, studio)
        else:
            studio = erased.studio or studio
        tr = Translator(self.locale_for(chat))
        return _say(self._forgotten_text(tr, studio), remove_keyboard=True)

    def _forgotten_text(self, tr: Translator, studio_id: str | None) -> str:
        """Done, and whom to ask about what the studio received: its e-mail, else its phone."""
        studio = self._conversations.club(studio_id).studio_for(tr.locale)
        text = tr.gettext("Done: everything this bot stored about this chat has been deleted.")
        if studio.email:
            more = studio.fill(
                tr.gettext(
                    "{studio} keeps any details already sent: to have them deleted too, write "
                    "to {email}."
                ),
                tr,
                email=studio.email,
            )
        elif studio.phone:
            more = studio.fill(
                tr.gettext(
                    "{studio} keeps any details already sent: to have them deleted too, call "
                    "{phone}."
                ),
                tr,
                phone=studio.phone,
            )
        else:
            more = studio.fill(
                tr.gettext(
                    "{studio} keeps any details already sent: to have them deleted too, please "
                    "ask the team there directly."
                ),
                tr,
            )
        return text + " " + more

    # --- answers --------------------------------------------------------------------------------

    async def handle(self, chat: Chat, event: Event) -> Outcome:
        return await self._applied(chat.id, partial(self._handle, chat, event))

    async def _handle(self, chat: Chat, event: Event) -> Outcome:
        state = await self._conversations.load(chat.id)
        if state is None:
            return await self._start(chat, None)
        ctx = self._conversations.context_of(state)
        if chat.is_replay(state):
            return flow.repeat(state, ctx)
        asked = state.current
        on_screen = state.on_screen  # what the prospect sees, and answers
        dropped = await self._drop_kept(state)  # answered afresh below
        outcome = flow.handle(state, event, ctx)
        if dropped and not (outcome.replies or outcome.submit or outcome.restart or outcome.club):
            # A stale button's notice alone would leave them with nothing to answer.
            outcome = replace(outcome, replies=flow.repeat(state, ctx).replies)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "chat %s: %s on %s -> %s",
                chat_ref(chat.id),
                type(event).__name__,
                asked or state.phase.value,
                "moved on" if state.current != asked else "asked again",
            )
        if chat.update_id is not None:
            state.mark_applied(chat.update_id)
        if outcome.restart:
            await self._conversations.delete(chat.id)
            restarted = await self._begin(chat, state.campaign)
            return replace(restarted, settle=outcome.settle or Settle())
        if outcome.club is not None:
            chosen = await self._chose(chat, state, outcome)
            return replace(chosen, seen_before=on_screen)
        # Should the replies never reach the prospect, this is what they still see: also when
        # they ask the same again, so that the kept reply goes once they send anything else.
        outcome = replace(outcome, seen_before=on_screen)
        if outcome.submit:
            return await self._submit(state, outcome)
        if outcome.changed or chat.update_id is not None:
            reached = state.reach()
            await self._conversations.save(state)
            self._funnel.progressed(state.campaign, *reached, studio=state.studio)
        return outcome

    async def _drop_kept(self, state: ConversationState) -> bool:
        """The replies kept for the prospect (``seen`` says there are), obsolete now that what
        they see is answered afresh: dropped; whether there were any. ``seen`` is the caller's
        to clear (the dialogue reads it first)."""
        if state.seen is None:
            return False
        await self._storage.drop_answers(state.chat_id)
        return True

    async def shown_again(self, chat_id: int, outcome: Outcome) -> Outcome:
        """``outcome`` puts where the conversation is again (``Outcome.repeats``): once it
        reaches the prospect, that is what they see, so what was kept for them is dropped
        first; should it be kept itself, ``seen_before`` says what they still see."""
        if not outcome.replies:
            return outcome
        return await self._applied(chat_id, partial(self._shown_again, chat_id, outcome))

    async def _shown_again(self, chat_id: int, outcome: Outcome) -> Outcome:
        state = await self._conversations.load(chat_id)
        if state is None:
            return outcome
        on_screen = state.on_screen
        if await self._drop_kept(state):
            state.seen = None
            await self._conversations.save(state)
        return replace(outcome, seen_before=on_screen)

    async def undelivered(self, chat_id: int, seen: str) -> None:
        """The reply to the prospect's last update did not reach them (it is kept to be sent
        again): until it does, what they send answers ``seen``, the question they still see."""
        await self._applied(chat_id, partial(self._set_seen, chat_id, seen))

    async def delivered(self, chat_id: int) -> None:
        """A kept reply reached the prospect: they see the current question now."""
        await self._applied(chat_id, partial(self._set_seen, chat_id, None))

    async def _set_seen(self, chat_id: int, seen: str | None) -> None:
        state = await self._conversations.load(chat_id)
        if state is None or state.phase is Phase.SUBMITTED or state.seen == seen:
            return
        if seen is not None and state.seen is not None:
            return  # the earliest question they did not get past is the one on their screen
        state.seen = seen
        await self._conversations.save(state)

    async def _submit(self, state: ConversationState, confirmed: Outcome) -> Outcome:
        """Store the lead, answer at once, and deliver it in the background: the prospect sees
        "sending" whatever PerfectGym's latency, and the thank-you when it is done."""
        lead = lead_request(draft_of(state))
        entry = await self._conversations.submit(
            state,
            lead.model_dump_json(by_alias=True, exclude_none=True),
            state.locale,
            self._clock(),
        )
        log.info("chat %s: lead %d confirmed and stored", chat_ref(state.chat_id), entry.id)
        self._funnel.reached(state.campaign, Stage.CONFIRMED, studio=state.studio)
        self._sender.typing_soon(state.chat_id)
        self._outbox.deliver_soon(entry)
        return replace(confirmed, submit=False, changed=False)
