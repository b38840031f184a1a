"""Every shipped catalog matches the template and the template matches the code.

A prospect only ever sees what a catalog says, so a missing, stale, fuzzy or half-translated
entry, a renamed ``{placeholder}`` or a lost ``/command`` is a bug in the bot, not in a text file.
Each check is parametrized by locale so a failure names the language to fix.
"""

from __future__ import annotations

import gettext
import io
import re
import string
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from conversations.i18n import Translator

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
TEMPLATE = LOCALES_DIR / "messages.pot"
LOCALES = sorted(path.parent.parent.name for path in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))

# The same keywords as scripts/update-catalogs.sh: pybabel's -k adds to its defaults.
KEYWORDS = {**DEFAULT_KEYWORDS, "gettext": None, "ngettext": (1, 2)}

COMMAND = re.compile(r"(?<![\w/.:])/[A-Za-z]\w*")

Key = tuple[str, str | None]


def _key(message: Message) -> Key:
    """A message's identity in a catalog: its singular msgid and its context."""
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def _entries(catalog: Catalog) -> dict[Key, Message]:
    return {_key(message): message for message in catalog if message.id}


def _sources(message: Message) -> tuple[str, ...]:
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def _translations(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, str):
        return (message.string,)
    return tuple(message.string or ())


def _placeholders(text: str) -> set[str]:
    """Names of the ``{fields}`` ``str.format`` would fill; a malformed string fails the test."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        pytest.fail(f"not a valid format string ({exc}): {text!r}")
    return {re.split(r"[.\[]", field)[0] for _, field, _, _ in parsed if field is not None}


def _commands(text: str) -> Counter[str]:
    return Counter(COMMAND.findall(text))


def _union(sets: Iterable[set[str]]) -> set[str]:
    return set().union(*sets)


@cache
def _template() -> Catalog:
    with TEMPLATE.open("rb") as file:
        return read_po(file)


@cache
def _catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=locale)


def test_catalogs_are_discovered() -> None:
    assert "en" in LOCALES
    assert len(LOCALES) > 1


def test_template_is_up_to_date_with_the_code() -> None:
    """Extract as the script does (babel.cfg from the project root) and compare the msgids."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    extracted: set[Key] = set()
    for _, _, msgid, _, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        extracted.add((msgid if isinstance(msgid, str) else msgid[0], context))
    in_template = set(_entries(_template()))
    assert extracted, "extraction found no strings; is babel.cfg still pointing at the code?"
    assert not extracted - in_template, "run scripts/update-catalogs.sh: new strings in the code"
    assert not in_template - extracted, "run scripts/update-catalogs.sh: strings gone from the code"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_exactly_the_template_messages(locale: str) -> None:
    template = _entries(_template())
    catalog = _entries(_catalog(locale))
    assert set(template) - set(catalog) == set(), "missing: run scripts/update-catalogs.sh"
    assert set(catalog) - set(template) == set(), "stale entries not in the template"
    assert list(_catalog(locale).obsolete) == [], "obsolete (#~) entries left in the catalog"
    changed = [key for key, message in catalog.items() if message.id != template[key].id]
    assert changed == [], "plural msgid differs from the template"


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_forms_header_fits_the_language(locale: str) -> None:
    assert _catalog(locale).num_plurals == get_plural(locale).num_plurals


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_not_fuzzy(locale: str) -> None:
    catalog = _catalog(locale)
    fuzzy = [key for key, message in _entries(catalog).items() if message.fuzzy]
    assert fuzzy == []
    incomplete = [
        key
        for key, message in _entries(catalog).items()
        if not all(_translations(message))
        or len(_translations(message)) != (catalog.num_plurals if message.pluralizable else 1)
    ]
    assert incomplete == []


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match_the_source(locale: str) -> None:
    wrong = [
        (key, form)
        for key, message in _entries(_catalog(locale)).items()
        for form in _translations(message)
        if _placeholders(form) != _union(_placeholders(s) for s in _sources(message))
    ]
    assert wrong == []


@pytest.mark.parametrize("locale", LOCALES)
def test_commands_are_kept_literally(locale: str) -> None:
    wrong = [
        (key, form)
        for key, message in _entries(_catalog(locale)).items()
        for form in _translations(message)
        if _commands(form) != _commands(_sources(message)[0])
    ]
    assert wrong == []


@pytest.mark.parametrize("locale", LOCALES)
def test_babel_checkers_pass(locale: str) -> None:
    problems = [
        (message.id, [str(e) for e in errors]) for message, errors in _catalog(locale).check()
    ]
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_compiles(locale: str) -> None:
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(locale), use_fuzzy=False)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    lost = [
        key
        for key, message in _entries(_catalog(locale)).items()
        if not message.pluralizable
        and message.string
        and not message.fuzzy
        and (compiled.pgettext(key[1], key[0]) if key[1] else compiled.gettext(key[0]))
        != message.string
    ]
    assert lost == []


def test_a_german_prospect_gets_german() -> None:
    assert Translator("de").gettext("Yes") == "Ja"


def test_the_formal_german_catalog_never_says_du() -> None:
    """ADDRESS_FORM=formal: every German text says "Sie", the catalog test above checks the
    rest (complete, not fuzzy, same placeholders and commands)."""
    catalog = _catalog("de@formal")
    informal = re.compile(r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines)\b", re.I)
    offending = [
        translation
        for message in catalog
        if message.id
        for translation in _translations(message)
        if informal.search(translation)
    ]
    assert offending == []


def test_the_portuguese_catalog_is_european() -> None:
    """``pt`` is written in European Portuguese (``WRITTEN_IN``), where 0 takes the plural; the
    Brazilian rule would say "0 pergunta" to a Lisbon prospect."""
    assert str(_catalog("pt").locale) == "pt_PT"
    tr = Translator("pt")
    one, many = "{count} question is needed.", "{count} questions are needed."
    assert tr.ngettext(one, many, 0) == tr.ngettext(one, many, 2) != tr.ngettext(one, many, 1)
