"""Stored conversations as the dialogue's state, and the context to speak to each prospect in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from functools import lru_cache

from bot.storage import Storage
from conversations.context import AskContext
from conversations.i18n import LanguageTag, Translator
from conversations.state import ConversationState

log = logging.getLogger(__name__)


@lru_cache(maxsize=1024)
def _formatting_for(locale: str, language: str | None) -> tuple[str, str | None]:
    """The Babel locale and region for dates, numbers and phones; asked on every update."""
    tag = LanguageTag.parse(language) or LanguageTag.parse(locale.replace("_", "-"))
    if tag is None:
        return locale, None
    return tag.formatting_locale, tag.region


class ConversationStore:
    def __init__(
        self, storage: Storage, *, min_age: int = 16, today: Callable[[], date] = date.today
    ) -> None:
        self._storage = storage
        self._min_age = min_age
        self._today = today

    def context(self, locale: str, language: str | None) -> AskContext:
        formatting, region = _formatting_for(locale, language)
        return AskContext(Translator(locale), formatting, region, self._today(), self._min_age)

    def context_of(self, state: ConversationState) -> AskContext:
        return self.context(state.locale, state.language)

    async def load(self, chat_id: int) -> ConversationState | None:
        stored = await self._storage.load_conversation(chat_id)
        if stored is None:
            return None
        try:
            return ConversationState.from_json(stored)
        except (ValueError, KeyError, TypeError):
            log.error("conversation of a chat could not be read back; starting over")
            return None

    async def save(self, state: ConversationState) -> None:
        await self._storage.save_conversation(state.chat_id, state.to_json())
