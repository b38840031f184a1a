"""The prospect's language: which catalog speaks to them and what goes on the lead.

Telegram sends an IETF tag (``de``, ``de-AT``, ``pt-br``, ``zh-hans``). Babel negotiates it against
the catalogs shipped in ``locales/``. In a checkout, catalogs are compiled from their ``.po``
source in memory on first use, so a forgotten ``pybabel compile`` can never leave the bot speaking
stale text; an installed package has no sources and reads the ``.mo`` its wheel was built with.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SOURCE_CATALOGS = Path(__file__).resolve().parent.parent / "locales"
"""The checkout's ``<lang>/LC_MESSAGES/messages.po``: the catalogs translators edit."""
COMPILED_CATALOGS = Path(__file__).resolve().parent / "locales"
"""An installed package's ``<lang>/LC_MESSAGES/messages.mo``, compiled by setup.py into the wheel."""
DOMAIN = "messages"
SOURCE_LOCALE = "en"
FALLBACK_LOCALE = "en"


@lru_cache(maxsize=128)
def babel_locale(identifier: str) -> Locale:
    """Babel locale for reading and showing values; an unknown identifier (a stray Telegram
    language code such as "pt-br" or "xx") falls back step by step to English."""
    normalised = identifier.strip().replace("-", "_")
    for attempt in (normalised, normalised.split("_")[0], FALLBACK_LOCALE):
        try:
            return Locale.parse(attempt)
        except Exception:  # babel raises ValueError, UnknownLocaleError, TypeError, ...
            continue
    return Locale(FALLBACK_LOCALE)


_UNDETERMINED = frozenset({"und", "mul", "zxx", "mis"})
"""ISO 639 codes that name no language (undetermined, multiple, none, uncoded)."""


@dataclass(frozen=True)
class LanguageTag:
    """A prospect's language as the lead carries it: ``de-AT`` -> ``de`` + ``AT``."""

    language: str
    country: str | None = None

    @classmethod
    def parse(cls, code: str | None) -> LanguageTag | None:
        """Read Telegram's ``language_code``; None when absent or not a language Babel knows."""
        if not code:
            return None
        normalised = code.strip().replace("_", "-")
        if normalised.split("-")[0].lower() in _UNDETERMINED:
            return None  # Babel would read "und" as en-US: a language nobody said
        try:
            locale = Locale.parse(normalised, sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            return None
        return cls(language=locale.language, country=locale.territory)

    @property
    def formatting_locale(self) -> str:
        """The Babel locale for dates and numbers: the prospect's own, even without a catalog."""
        if self.country:
            try:
                return str(Locale(self.language, self.country))
            except (ValueError, UnknownLocaleError):
                pass
        return self.language

    @property
    def region(self) -> str | None:
        """The country implied by the tag, or the language's most likely one (``de`` -> ``DE``)."""
        if self.country:
            return self.country
        likely: str = get_global("likely_subtags").get(self.language, "")
        territory = likely.split("_")[-1] if likely else ""
        return territory if len(territory) == 2 and territory.isalpha() else None


FORMAL = "formal"
"""The modifier of a catalog that addresses the prospect formally (``de@formal``: "Sie")."""


@cache
def _catalog_files() -> dict[str, Path]:
    """Each locale's catalog file. The checkout's sources win wherever they exist (development,
    or a deployment run from the checkout), so what the bot says is always what the ``.po`` says;
    the compiled catalogs are only for an installed package, which has no sources beside it. Never
    a mix of both: a wheel's catalogs next to an editable checkout would be older than its sources.
    """
    sources = SOURCE_CATALOGS.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    found = {path.parent.parent.name: path for path in sources}
    if not found:
        compiled = COMPILED_CATALOGS.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")
        found = {path.parent.parent.name: path for path in compiled}
    return found


@cache
def _catalogs() -> frozenset[str]:
    return frozenset(_catalog_files())


@cache
def available_locales() -> tuple[str, ...]:
    """Languages with a catalog on disk, plus the source language which needs none; variants
    such as ``de@formal`` are chosen by :func:`negotiate`, not offered as languages."""
    return tuple(sorted({name for name in _catalogs() if "@" not in name} | {SOURCE_LOCALE}))


def negotiate(code: str | None, default: str, *, formal: bool = False) -> str:
    """Pick the closest shipped catalog for a Telegram language code, else ``default``; with
    ``formal``, its formal variant where one exists (languages without one have one form)."""
    tag = LanguageTag.parse(code)
    available = available_locales()
    chosen = default if default in available else SOURCE_LOCALE
    if tag is not None:
        if tag.country and f"{tag.language}_{tag.country}" in available:
            chosen = f"{tag.language}_{tag.country}"
        elif tag.language in available:
            chosen = tag.language
    if formal and f"{chosen}@{FORMAL}" in _catalogs():
        return f"{chosen}@{FORMAL}"
    return chosen


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog for a negotiated locale (the source language translates to itself)."""
    path = _catalog_files().get(locale)
    if path is None:
        return gettext.NullTranslations()
    if path.suffix == ".mo":
        with path.open("rb") as mo_file:
            return Translations(fp=mo_file, domain=DOMAIN)
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


# The variety each catalog is written in, where Babel's default differs: the source is British
# English ("programme", no serial comma) and ``pt`` European Portuguese, the vendor's market.
WRITTEN_IN = {"en": "en_GB", "pt": "pt_PT"}


@dataclass(frozen=True)
class Translator:
    """Gettext bound to one prospect's locale; the name ``tr`` marks strings for extraction."""

    locale: str

    def gettext(self, message: str) -> str:
        return translations(self.locale).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return translations(self.locale).ngettext(singular, plural, count)

    @property
    def written_in(self) -> str:
        """The Babel locale for joining translated words (lists), matching the catalog."""
        base = self.locale.split("@")[0]
        return WRITTEN_IN.get(base, base)
