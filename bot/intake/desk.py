"""The seam through which the front desk (``bot.frontdesk``, a layer above) puts its buttons
under the welcome and the thank-you, so the intake needs to know nothing of it."""

from __future__ import annotations

from typing import Protocol

from conversations.i18n import Translator
from conversations.replies import Button


class DeskButtons(Protocol):
    @property
    def can_ask(self) -> bool:
        """Whether /ask works (/help and the unknown-command list name it)."""
        ...

    def rows(self, tr: Translator, studio: str | None) -> tuple[tuple[Button, ...], ...]:
        """The rows of buttons for a prospect of ``studio``; empty for none."""
        ...
