"""Build hook: the wheel carries the gettext catalogs compiled.

The sources live in the checkout's top-level ``locales/<lang>/LC_MESSAGES/messages.po``, which
is no package and would be left out of a wheel. The installed bot reads them as
``conversations/locales/<lang>/LC_MESSAGES/messages.mo`` instead (``conversations/i18n.py``),
compiled here with Babel exactly as the bot compiles the sources in a checkout (fuzzy entries
left out), so an installed package speaks the same text as the checkout it was built from.
Everything else about the package is declared in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

SOURCES = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


class BuildWithCatalogs(build_py):
    """``build_py``, then every catalog compiled into ``conversations/locales`` of the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs from the checkout, which reads the .po itself
        for source in sorted(SOURCES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            locale = source.parent.parent.name
            target = Path(self.build_lib, "conversations", "locales", locale, "LC_MESSAGES")
            target.mkdir(parents=True, exist_ok=True)
            with source.open("rb") as po_file:
                catalog = read_po(po_file, locale=locale)
            with (target / f"{DOMAIN}.mo").open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": BuildWithCatalogs})
