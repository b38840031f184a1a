"""Who the prospect is talking to: the studio that receives the details.

Named in the welcome, in /help, in the consent questions and wherever a text speaks of the
studio. Every part may be unknown (no studio information from PerfectGym and none in the
environment). A text that speaks of the studio holds ``{studio}`` where a subject stands, and
:meth:`Studio.fill` puts in the studio's name, else its own word for itself in the prospect's
language (``studio_word`` in the studio texts: "das Fitnessstudio", "la box"), else the
catalog's word (msgid "the studio": "das Studio", "el gimnasio", "клуб"). Translations place
``{studio}`` only where that word reads right as it stands (as the subject, in the nominative
with its article), so any studio's word fits every sentence of every language.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from conversations.i18n import Translator

# Around a word that opens a sentence: opening quotes and marks, emoji, spaces.
_OPENERS = "¿¡«»„“”\u201a\u2018\"'(["
_MARKS = ("So", "Sk", "Zs", "Mn", "Cf")


@dataclass(frozen=True)
class Studio:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    word: str | None = None  # the studio's word for itself in this prospect's language

    def called(self, tr: Translator) -> str:
        """How the texts name the studio: its name, else its own word, else the catalog's."""
        return self.name or self.word or tr.gettext("the studio")

    def fill(self, text: str, tr: Translator, **values: object) -> str:
        """``text`` (translated) with ``{studio}`` and ``values`` filled in. A word (never a
        name) that opens a sentence is written with a capital: "Das Studio meldet sich"."""
        called = self.called(tr)
        if self.name or "{studio}" not in text:
            return text.format(studio=called, **values)
        parts = text.split("{studio}")
        joined = parts[0]
        for part in parts[1:]:
            word = _capital(called, tr) if _opens_sentence(joined, tr) else called
            joined += word.replace("{", "{{").replace("}", "}}") + part
        return joined.format(**values)

    def withdrawal(self, tr: Translator) -> str:
        """How a consent is taken back, with the studio's own address when it has one."""
        if self.email:
            return tr.gettext(
                "You can withdraw this consent at any time: just write to {email}."
            ).format(email=self.email)
        if self.phone:
            return tr.gettext(
                "You can withdraw this consent at any time: just call {phone}."
            ).format(phone=self.phone)
        return self.fill(
            tr.gettext(
                "You can withdraw this consent at any time: just say so, and {studio} will stop."
            ),
            tr,
        )

    def recipient(self, tr: Translator) -> str:
        """Who receives the details, for /help."""
        return self.fill(
            tr.gettext(
                "Only {studio} receives your details, and uses them to get in touch with you "
                "about a trial session."
            ),
            tr,
        )

    def greeting(self, tr: Translator) -> str:
        if self.name:
            return tr.gettext(
                "Hi! 👋 This is {studio}. So that we can get in touch with you about a trial "
                "session, I have a few questions for you."
            ).format(studio=self.name)
        return self.fill(
            tr.gettext(
                "Hi! 👋 So that {studio} can get in touch with you about a trial session, I have "
                "a few questions for you."
            ),
            tr,
        )


def _opens_sentence(before: str, tr: Translator) -> bool:
    """Whether the text up to a placeholder ends a sentence (German also after a colon)."""
    rest = before.rstrip()
    while rest and (rest[-1] in _OPENERS or unicodedata.category(rest[-1]) in _MARKS):
        rest = rest[:-1].rstrip()
    ends = ".!?…" + (":" if tr.locale.startswith("de") else "")
    return not rest or rest[-1] in ends


def _capital(word: str, tr: Translator) -> str:
    if not word:
        return word
    first = "İ" if word[0] == "i" and tr.locale.startswith("tr") else word[0].upper()
    return first + word[1:]
