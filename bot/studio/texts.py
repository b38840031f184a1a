"""Texts a studio words itself, per language: welcome, privacy notice, thank-you, its word for
itself, its own questions (the additional fields' labels and options), and for a booked trial
session what to bring (in its reminders) and the offer's link (in the "How was it?" after the
visit).

Read from the JSON file named by ``STUDIO_TEXTS_FILE``; ``python -m bot studio-texts-template``
prints a complete one to fill in::

    {"welcome": {"en": "Hi from {studio}!", "de": "Hallo vom {studio}!"},
     "privacy_url": {"en": "https://studio.example/privacy"},
     "thank_you": {"de": "Danke! Wir melden uns."},
     "studio_word": {"de": "das Fitnessstudio", "es": "el box"},
     "what_to_bring": {"en": "a towel, water and indoor shoes"},
     "offer_url": {"en": "https://studio.example/offer"},
     "additional_fields": {
        "7": {"label": {"de": "Wie hast du von uns erfahren?"},
              "options": {"Instagram": {"de": "Instagram"}, "A friend": {"de": "Freunde"}}},
        "9": {"future": true, "label": {"de": "Wann möchtest du vorbeikommen?"}}}}

``studio_word`` is how the bot's own texts speak of the studio while its name is unknown (or
where the name is not used): written as the subject of a sentence, with its article where the
language has one; without it the catalog's word is used ("das Studio", "el gimnasio").

A blank text counts as missing. A missing language falls back to its base language (``de`` for
``de_AT``), then to the bot's own text (or, for additional fields, the config's); the privacy
link and the offer's fall back to ``en`` (the privacy link then to ``PRIVACY_URL``). A file that does not parse, names a language
the bot has no catalog for, or uses a placeholder other than ``{studio}`` stops the start;
a field or option the leads config does not have stops it once the config is known
(:meth:`StudioTexts.check_fields`), as does ``future`` on a field that is not a date.

``future`` (date fields only) says whether the field asks for a day to come, such as a preferred
trial date: ``true`` offers the next days as buttons, reads "tomorrow" or "Friday" and refuses a
day that has passed; ``false`` keeps any date. Left out, the field's label decides
(:func:`conversations.relative_dates.label_asks_forward`).
"""

from __future__ import annotations

import json
import string
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError

from conversations.i18n import available_locales
from conversations.relative_dates import label_asks_forward
from conversations.wording import FieldWording

PLACEHOLDERS = {"welcome": {"studio"}, "thank_you": {"studio"}}


class StudioTextsError(Exception):
    """One operator-facing line saying what in the file to fix."""


PerLanguage = dict[str, str]


class _Field(BaseModel):
    model_config = ConfigDict(extra="forbid")

    configured: str = ""  # the label in the leads config, for the reader of the file; ignored
    future: StrictBool | None = None  # a date field asks for a day to come; None: the label decides
    label: PerLanguage = {}
    options: dict[str, PerLanguage] = {}


class _TextsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    welcome: PerLanguage = {}
    privacy_url: PerLanguage = {}
    thank_you: PerLanguage = {}
    studio_word: PerLanguage = {}
    what_to_bring: PerLanguage = {}
    offer_url: PerLanguage = {}
    additional_fields: dict[int, _Field] = {}


def _pick(texts: Mapping[str, str], locale: str) -> str | None:
    base = locale.split("@")[0]
    for candidate in (base, base.split("_")[0]):
        if texts.get(candidate, "").strip():
            return texts[candidate].strip()
    return None


def _language_known(code: str) -> bool:
    try:
        language = Locale.parse(code.replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return language in available_locales()


def _texts(data: _TextsFile) -> Iterator[tuple[str, str, str]]:
    """Every text in the file with where it is: ("welcome.de", allowed placeholders' key, text)."""
    for name in (
        "welcome",
        "privacy_url",
        "thank_you",
        "studio_word",
        "what_to_bring",
        "offer_url",
    ):
        for language, text in getattr(data, name).items():
            yield f"{name}.{language}", name, text
    for field_id, texts in data.additional_fields.items():
        for language, text in texts.label.items():
            yield f"additional_fields.{field_id}.label.{language}", "label", text
        for option, per_language in texts.options.items():
            for language, text in per_language.items():
                yield f"additional_fields.{field_id}.options.{option}.{language}", "option", text


def _check(data: _TextsFile) -> None:
    for where, kind, text in _texts(data):
        language = where.rsplit(".", 1)[1]
        if not _language_known(language):
            known = ", ".join(available_locales())
            raise StudioTextsError(
                f"STUDIO_TEXTS_FILE: {where}: the bot has no language {language!r} (it has {known})"
            )
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError:
            raise StudioTextsError(
                f"STUDIO_TEXTS_FILE: {where}: unbalanced {{ or }}; write {{{{ and }}}} for braces"
            ) from None
        allowed = PLACEHOLDERS.get(kind, set())
        if used - allowed:
            wanted = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
            found = ", ".join(f"{{{name}}}" for name in sorted(used - allowed))
            raise StudioTextsError(
                f"STUDIO_TEXTS_FILE: {where}: unknown placeholder {found} (allowed: {wanted})"
            )


@dataclass(frozen=True)
class StudioTexts:
    welcome: PerLanguage = field(default_factory=dict)
    privacy_url: PerLanguage = field(default_factory=dict)
    thank_you: PerLanguage = field(default_factory=dict)
    studio_word: PerLanguage = field(default_factory=dict)
    what_to_bring: PerLanguage = field(default_factory=dict)
    offer_url: PerLanguage = field(default_factory=dict)
    labels: dict[int, PerLanguage] = field(default_factory=dict)
    options: dict[int, dict[str, PerLanguage]] = field(default_factory=dict)
    future: dict[int, bool] = field(default_factory=dict)
    default_privacy_url: str | None = None
    _wordings: dict[str, FieldWording] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, path: str | None, *, privacy_url: str | None = None) -> StudioTexts:
        if path is None:
            return cls(default_privacy_url=privacy_url)
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise StudioTextsError(
                f"STUDIO_TEXTS_FILE cannot be read: {exc.strerror or type(exc).__name__}"
            ) from None
        return cls.parse(raw, privacy_url=privacy_url)

    @classmethod
    def parse(cls, raw: str, *, privacy_url: str | None = None) -> StudioTexts:
        try:
            data = _TextsFile.model_validate(json.loads(raw))
        except json.JSONDecodeError as exc:
            raise StudioTextsError(
                f"STUDIO_TEXTS_FILE is not valid JSON: {exc.msg} at line {exc.lineno}"
            ) from None
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "the file"
            raise StudioTextsError(f"STUDIO_TEXTS_FILE: {where}: {first['msg']}") from None
        _check(data)
        return cls(
            welcome=data.welcome,
            privacy_url=data.privacy_url,
            thank_you=data.thank_you,
            studio_word=data.studio_word,
            what_to_bring=data.what_to_bring,
            offer_url=data.offer_url,
            labels={fid: texts.label for fid, texts in data.additional_fields.items()},
            options={fid: texts.options for fid, texts in data.additional_fields.items()},
            future={
                fid: texts.future
                for fid, texts in data.additional_fields.items()
                if texts.future is not None
            },
            default_privacy_url=privacy_url,
        )

    def check_fields(
        self,
        fields: Mapping[int, tuple[str, tuple[str, ...]]],
        *,
        date_fields: Collection[int] | None = None,
    ) -> None:
        """Every field and option the file words must exist in the leads config (field id ->
        its label and options), or the studio's translation would silently never be shown;
        ``future`` only on one of ``date_fields`` (when given), or it would do nothing."""
        for field_id in sorted(self.labels.keys() | self.options.keys() | self.future.keys()):
            if field_id not in fields:
                known = ", ".join(str(f) for f in sorted(fields)) or "none"
                raise StudioTextsError(
                    f"STUDIO_TEXTS_FILE: additional_fields.{field_id}: the leads config has no "
                    f"such additional field (it has {known})"
                )
            for option in self.options.get(field_id, {}):
                if option not in fields[field_id][1]:
                    raise StudioTextsError(
                        f"STUDIO_TEXTS_FILE: additional_fields.{field_id}.options.{option}: "
                        f"not one of the field's selectionValues"
                    )
            if date_fields is not None and field_id in self.future and field_id not in date_fields:
                raise StudioTextsError(
                    f"STUDIO_TEXTS_FILE: additional_fields.{field_id}.future: the field is not "
                    f"a DATE field; future applies to dates only"
                )

    def welcome_for(self, locale: str, studio: str | None) -> str | None:
        text = _pick(self.welcome, locale)
        return None if text is None else text.format(studio=studio or "")

    def privacy_url_for(self, locale: str) -> str | None:
        return (
            _pick(self.privacy_url, locale)
            or _pick(self.privacy_url, "en")
            or self.default_privacy_url
        )

    def thank_you_for(self, locale: str, studio: str | None = None) -> str | None:
        text = _pick(self.thank_you, locale)
        return None if text is None else text.format(studio=studio or "")

    def studio_word_for(self, locale: str) -> str | None:
        """The studio's word for itself in ``locale``'s language (None: the catalog's word)."""
        return _pick(self.studio_word, locale)

    def what_to_bring_for(self, locale: str) -> str | None:
        """What a trial session's reminders say to bring ("a towel and indoor shoes")."""
        return _pick(self.what_to_bring, locale)

    def offer_url_for(self, locale: str) -> str | None:
        """The studio's offer for new members, linked after a trial visit."""
        return _pick(self.offer_url, locale) or _pick(self.offer_url, "en")

    def wording_for(self, locale: str) -> FieldWording:
        """Asked on every update, so worked out once per language."""
        if locale not in self._wordings:
            labels = {fid: text for fid, per in self.labels.items() if (text := _pick(per, locale))}
            options = {
                (fid, option): text
                for fid, per_option in self.options.items()
                for option, per in per_option.items()
                if (text := _pick(per, locale))
            }
            self._wordings[locale] = FieldWording(labels, options, dict(self.future))
        return self._wordings[locale]


def template(
    fields: Mapping[int, tuple[str, tuple[str, ...]]], *, date_fields: Collection[int] = ()
) -> str:
    """A complete file to fill in: every text, field and option in every catalog language,
    blank, and for each date field whether it asks for a day to come, as its label is read now.
    Loaded as it is, it changes nothing (blanks fall back, ``future`` is the label's reading)."""
    languages = available_locales()

    def blank() -> PerLanguage:
        return dict.fromkeys(languages, "")

    def entry(field_id: int, label: str, options: tuple[str, ...]) -> dict[str, object]:
        texts: dict[str, object] = {"configured": label}
        if field_id in date_fields:
            texts["future"] = label_asks_forward([label])
        texts["label"] = blank()
        texts["options"] = {option: blank() for option in options}
        return texts

    data = {
        "welcome": blank(),
        "privacy_url": blank(),
        "thank_you": blank(),
        "studio_word": blank(),
        "what_to_bring": blank(),
        "offer_url": blank(),
        "additional_fields": {
            str(field_id): entry(field_id, label, options)
            for field_id, (label, options) in sorted(fields.items())
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
