"""Stored conversations as the dialogue's state, and the context to speak to each prospect in."""

from __future__ import annotations

import logging
from functools import lru_cache

from bot.storage import Storage
from bot.studio_information import StudioDirectory, StudioProfile
from bot.studio_texts import StudioTexts
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


class ConversationStore:
    """Stored conversations, and how to speak to each prospect: their language, the studio's
    country, "today" where the studio is, and the studio's own words for its questions."""

    def __init__(
        self,
        storage: Storage,
        studio: StudioDirectory,
        *,
        texts: StudioTexts | None = None,
        min_age: int = 16,
    ) -> None:
        self._storage = storage
        self._studio = studio
        self._texts = texts or StudioTexts()
        self._min_age = min_age

    @property
    def studio(self) -> StudioProfile:
        return self._studio.current()

    def context(self, locale: str, language: str | None) -> AskContext:
        studio = self._studio.current()
        formatting, region = _formatting_for(locale, language, studio.country)
        return AskContext(
            Translator(locale),
            formatting,
            region,
            studio.today(),
            self._min_age,
            studio=studio.studio,
            wording=self._texts.wording_for(locale),
        )

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
