"""The three answers without staff, per club: ``/where`` (a venue on the map), ``/hours`` (the
week, open now or when next, closures of the next two weeks) and ``/prices`` (the offers valid
today), from the club's own PerfectGym data, in the prospect's language.

Which club: the conversation's. A chain's prospect who has not chosen one yet gets the answer of
the only club on offer when there is just one; otherwise they are asked to choose first (the
club question is put again), and the welcome of the club they choose carries the three buttons.
Nothing here waits on PerfectGym: where and hours come from the studio information the club's
directory keeps (cached, refreshed behind the scenes), prices from :class:`OfferShelf`.

When the data has no answer (a key without the scope, or nothing entered in PerfectGym), the
prospect is told the studio will answer personally and the question goes to staff
(:class:`~bot.frontdesk.handover.StaffQuestion`: the prospect's thread with a staff group, else
a notice).

Asked half way through the form, the answer comes first and then the question the prospect had
open, put again exactly as it was: the dialogue is only read, never moved, so nothing a
prospect answered is lost and no button goes stale. Once that reaches them, it is the question
they see (``Outcome.repeats``: a reply kept for them since is dropped).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bot.chain.chain import Chain
from bot.chain.club import Club
from bot.frontdesk.handover import StaffQuestion
from bot.frontdesk.offers import OfferShelf
from bot.intake.service import Chat
from bot.intake.store import ConversationStore
from bot.logging_setup import chat_ref
from bot.storage.cache import CachedAnswers
from conversations import flow
from conversations.context import AskContext
from conversations.front_desk import Topic, address_text, choose_club_first, personally
from conversations.i18n import negotiate
from conversations.opening_hours import hours_text
from conversations.prices import prices_text, valid_offers
from conversations.replies import Outcome, Reply
from conversations.state import ConversationState, Phase

log = logging.getLogger(__name__)


class Answers:
    """The answers without staff, for every club of the chain."""

    def __init__(
        self,
        conversations: ConversationStore,
        storage: CachedAnswers,
        staff: StaffQuestion,
        *,
        default_locale: str,
        formal: bool = False,
        offers_ttl: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conversations = conversations
        self._staff = staff
        self._default_locale = default_locale
        self._formal = formal
        self._clock = clock
        self._shelves = {
            club.id: OfferShelf(
                club.client, storage, studio=club.storage_key, ttl=offers_ttl, clock=clock
            )
            for club in conversations.chain.clubs
        }
        self._loading: asyncio.Task[None] | None = None

    @property
    def chain(self) -> Chain:
        return self._conversations.chain

    def set_staff(self, staff: StaffQuestion) -> None:
        """Hand unanswered questions to ``staff`` from now on (the threads, once they exist)."""
        self._staff = staff

    # --- start and stop ---------------------------------------------------------------------

    async def prepare(self) -> None:
        """The offers before the first prospect asks: the one studio's awaited (the menu says
        whether there are any), a chain's fetched in the background, a few at a time."""
        if not self.chain.is_chain:
            await self._shelves[self.chain.club(None).id].get()
            return
        self._loading = asyncio.get_running_loop().create_task(self._load_all())

    async def _load_all(self) -> None:
        async def one(club: Club) -> None:
            await self._shelves[club.id].get()

        try:
            await self.chain.each(one)
        except Exception:
            log.warning("fetching the clubs' membership offers failed", exc_info=True)

    async def close(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
            await asyncio.gather(self._loading, return_exceptions=True)
        for shelf in self._shelves.values():
            await shelf.close()

    # --- what the desk offers ---------------------------------------------------------------

    def can_answer(self, club: Club) -> bool:
        """Whether the club's data answers at least one of the three questions: a bot whose key
        reads none of it shows no buttons and no menu entries that could only say "the studio
        will answer" (typed, the commands still work and reach staff)."""
        profile = club.profile
        place = profile.point is not None or bool(profile.street or profile.city)
        offers = self._shelves[club.id].known
        return place or bool(profile.opening_hours) or bool(offers)

    def offered(self) -> bool:
        """Whether the command menu lists /where, /hours and /prices: a chain's clubs load
        after the menu is set, so a chain always lists them."""
        return self.chain.is_chain or self.can_answer(self.chain.club(None))

    def answers_for(self, studio: str | None) -> bool:
        """Whether the buttons under a prospect's welcome and thank-you offer the answers."""
        return self.can_answer(self.chain.club(studio))

    # --- the answers ------------------------------------------------------------------------

    async def answer(self, chat: Chat, topic: Topic) -> Outcome:
        """The answer, then the question the prospect has open (if any), put again."""
        state = await self._conversations.load(chat.id)
        club = self._club_for(state)
        ctx = self._context(chat, state, club)
        if club is None:
            started = state is not None and state.phase is Phase.CHOOSING
            reply = Reply(choose_club_first(ctx.tr, started=started))
        else:
            reply = await self._answer(chat, topic, club, ctx)
        log.info(
            "chat %s: asked /%s%s", chat_ref(chat.id), topic.value, f" of {club.id}" if club else ""
        )
        pending = self._pending(state, ctx)
        return Outcome(replies=(reply, *pending), changed=False, repeats=bool(pending))

    def _club_for(self, state: ConversationState | None) -> Club | None:
        """The conversation's club; in a chain before the choice, the only one on offer."""
        chain = self.chain
        if state is not None and state.studio is not None:
            return chain.club(state.studio)
        if not chain.is_chain:
            return chain.club(None)
        cards = chain.cards()
        return chain.find(cards[0].id) if len(cards) == 1 else None

    def _context(
        self, chat: Chat, state: ConversationState | None, club: Club | None
    ) -> AskContext:
        if state is not None:
            return self._conversations.context(state.locale, state.language, state.studio)
        locale = negotiate(chat.language_code, self._default_locale, formal=self._formal)
        studio = club.storage_key if club is not None else None
        return self._conversations.context(locale, chat.language_code, studio)

    def _pending(self, state: ConversationState | None, ctx: AskContext) -> tuple[Reply, ...]:
        """The question on the prospect's screen, again; reads the state, never changes it."""
        if state is None:
            return ()
        return flow.repeat(state, ctx).replies

    async def _answer(self, chat: Chat, topic: Topic, club: Club, ctx: AskContext) -> Reply:
        match topic:
            case Topic.WHERE:
                reply = self._where(club)
            case Topic.HOURS:
                reply = self._hours(club, ctx)
            case Topic.PRICES:
                reply = await self._prices(club, ctx)
        if reply is not None:
            return reply
        await self._staff.ask(chat, club.storage_key, topic.value)
        return Reply(personally(ctx.tr))

    def _where(self, club: Club) -> Reply | None:
        address = club.profile.address
        venue = club.profile.venue(club.name)
        if venue is not None:
            return Reply(address_text(club.name, venue.address), venue=venue)
        if address:
            return Reply(address_text(club.name, address))
        return None

    def _hours(self, club: Club, ctx: AskContext) -> Reply | None:
        profile = club.profile
        now = profile.local_time(self._clock())
        text = hours_text(
            club.name, profile.opening_hours, profile.closures, now, ctx.tr, ctx.locale
        )
        return Reply(text) if text else None

    async def _prices(self, club: Club, ctx: AskContext) -> Reply | None:
        offers = await self._shelves[club.id].get()
        if not offers:
            return None
        profile = club.profile
        today = profile.local_time(self._clock()).date()
        if not valid_offers(offers, today):
            return None
        text = prices_text(club.name, offers, today, ctx.tr, ctx.locale, profile.website)
        return Reply(text) if text else None
