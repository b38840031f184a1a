"""Texts a studio may word itself, per language: welcome, privacy notice link, thank-you.

Read from the JSON file named by ``STUDIO_TEXTS_FILE``::

    {"welcome": {"en": "Hi from Studio Sol!", "de": "Hallo vom Studio Sol!"},
     "privacy_url": {"en": "https://studio.example/privacy"},
     "thank_you": {"de": "Danke! Wir melden uns."}}

A language the studio left out falls back to its base language (``de`` for ``de_AT``), then to
``en`` for the link only, then to the bot's own translated text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError


class StudioTextsError(Exception):
    pass


class _TextsFile(BaseModel):
    welcome: dict[str, str] = {}
    privacy_url: dict[str, str] = {}
    thank_you: dict[str, str] = {}


def _pick(texts: dict[str, str], locale: str) -> str | None:
    for candidate in (locale, locale.split("_")[0]):
        if texts.get(candidate, "").strip():
            return texts[candidate].strip()
    return None


@dataclass(frozen=True)
class StudioTexts:
    welcome: dict[str, str] = field(default_factory=dict)
    privacy_url: dict[str, str] = field(default_factory=dict)
    thank_you: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | None) -> StudioTexts:
        if path is None:
            return cls()
        try:
            data = _TextsFile.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError) as exc:
            raise StudioTextsError(
                f"STUDIO_TEXTS_FILE cannot be read: {type(exc).__name__}"
            ) from None
        return cls(data.welcome, data.privacy_url, data.thank_you)

    def welcome_for(self, locale: str) -> str | None:
        return _pick(self.welcome, locale)

    def privacy_url_for(self, locale: str) -> str | None:
        return _pick(self.privacy_url, locale) or _pick(self.privacy_url, "en")

    def thank_you_for(self, locale: str) -> str | None:
        return _pick(self.thank_you, locale)
