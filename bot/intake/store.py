"""Stored conversations as the dialogue's state, and the context to speak to each prospect in.

Every update is a read-modify-write of one chat's conversation. The write is a compare-and-set
against the text that was read (``Storage.replace_conversation``), so with two instances on one
PostgreSQL an update computed from a state the other instance has changed meanwhile is never
stored: ``ConversationChanged`` sends it back to be applied again to the new state, before any
reply went out. That also makes it safe to keep the last text each chat stored here in memory
and skip reading it back: a stale copy can cost a retry, never a lost answer. A prospect's
update then costs one database round trip.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

from bot.chain.chain import Chain
from bot.chain.club import Club
from bot.storage import OutboxEntry, Storage
from bot.storage.erasure import ErasedChat
from conversations.context import AskContext
from conversations.i18n import LanguageTag, Translator
from conversations.state import ConversationState

log = logging.getLogger(__name__)


@lru_cache(maxsize=1024)
def _formatting_for(
    locale: str, language: str | None, studio_country: str | None
) -> tuple[str, str | None]:
    """The Babel locale and region for dates, numbers and phones; asked on every update.

    A tag with a region (``en-US``, ``de-CH``) decides; a bare language (``en``) takes the
    studio's country, so a London studio's ``en`` prospect types 17/05/1990 and 07911 123456.
    """
    tag = LanguageTag.parse(language) or LanguageTag.parse(locale.split("@")[0].replace("_", "-"))
    if tag is None:
        return locale, studio_country
    if tag.country is None and studio_country is not None:
        return LanguageTag(tag.language, studio_country).formatting_locale, studio_country
    return tag.formatting_locale, tag.region


class ConversationChanged(Exception):
    """Another writer stored this chat's conversation after it was read: read it again."""


class ConversationStore:
    """Stored conversations, and how to speak to each prospect: their language, their club's
    country, "today" where the club is, and the club's own words for its questions."""

    def __init__(
        self,
        storage: Storage,
        chain: Chain,
        *,
        min_age: int = 16,
        remembered: int = 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self.chain = chain
        self._min_age = min_age
        # The text each recently active chat last stored (None: nothing stored), oldest first.
        self._known: OrderedDict[int, str | None] = OrderedDict()
        self._remembered = remembered

    def club(self, studio: str | None) -> Club:
        return self.chain.club(studio)

    def context(self, locale: str, language: str | None, studio: str | None = None) -> AskContext:
        """How to speak to a prospect of ``studio`` (None: not chosen yet, or the one studio)."""
        chain = self.chain
        club = chain.club(studio)
        profile = club.profile
        formatting, region = _formatting_for(locale, language, profile.country)
        chosen = chain.is_chain and studio is not None
        return AskContext(
            Translator(locale),
            formatting,
            region,
            profile.today(),
            self._min_age,
            studio=club.studio_for(locale),
            wording=club.texts.wording_for(locale),
            clubs=chain.cards() if chain.is_chain else (),
            brand=chain.brand,
            club=club.name if chosen else None,
        )

    def context_of(self, state: ConversationState) -> AskContext:
        return self.context(state.locale, state.language, state.studio)

    async def load(self, chat_id: int, *, fresh: bool = False) -> ConversationState | None:
        """The chat's conversation; from memory unless ``fresh`` (a read outside the chat's
        updates, which the next compare-and-set would not check)."""
        if chat_id in self._known and not fresh:
            self._known.move_to_end(chat_id)
            stored = self._known[chat_id]
        else:
            stored = await self._storage.load_conversation(chat_id)
            self._remember(chat_id, stored)
        return _parsed(stored)

    def adopt(self, chat_id: int, stored: str) -> ConversationState | None:
        """The conversation as another statement just read it (a reminder's claim returns it):
        remembered as the text the next compare-and-set goes over, without reading it again."""
        self._remember(chat_id, stored)
        return _parsed(stored)

    async def save(self, state: ConversationState) -> None:
        """Store ``state`` over the one it was computed from, or raise ``ConversationChanged``."""
        text = state.to_json()
        if not await self._storage.replace_conversation(
            state.chat_id, text, self._known.pop(state.chat_id, None), self._clock()
        ):
            raise ConversationChanged
        self._remember(state.chat_id, text)

    async def submit(
        self, state: ConversationState, payload: str, locale: str, now: float
    ) -> OutboxEntry:
        """The final state, compared and set as ``save`` does, with its lead in the outbox."""
        text = state.to_json()
        previous = self._known.pop(state.chat_id, None)
        entry = await self._storage.submit(
            state.chat_id,
            text,
            previous,
            payload,
            locale,
            now,
            studio=state.studio,
            campaign=state.campaign,
        )
        if entry is None:
            raise ConversationChanged
        self._remember(state.chat_id, text)
        return entry

    async def reopen(self, entry: OutboxEntry, state: ConversationState) -> None:
        """The studio refused the lead: back to the summary, read afresh by the caller."""
        self._known.pop(entry.chat_id, None)
        await self._storage.reopen_conversation(entry.id, state.to_json(), self._clock())

    async def delete(self, chat_id: int) -> None:
        await self._storage.delete_conversation(chat_id)
        self._remember(chat_id, None)

    async def forget(self, chat_id: int) -> ErasedChat:
        """Everything stored about the chat (/forget), but what staff need for the studio's part."""
        erased = await self._storage.forget_chat(chat_id, self._clock())
        self._remember(chat_id, None)
        await self._storage.wipe_deleted()
        return erased

    def _remember(self, chat_id: int, stored: str | None) -> None:
        self._known[chat_id] = stored
        self._known.move_to_end(chat_id)
        while len(self._known) > self._remembered:
            self._known.popitem(last=False)


def _parsed(stored: str | None) -> ConversationState | None:
    if stored is None:
        return None
    try:
        return ConversationState.from_json(stored)
    except (ValueError, KeyError, TypeError):
        log.error("conversation of a chat could not be read back; starting over")
        return None
