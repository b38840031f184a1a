"""The seam through which the front desk (``bot.frontdesk``, a layer above) puts its buttons
under the welcome and the thank-you, so the intake needs to know nothing of it."""

from __future__ import annotations

from typing import Protocol

from conversations.i18n import Translator
from conversations.replies import Button


class DeskButtons(Protocol):
    def row(self, tr: Translator, studio: str | None) -> tuple[Button, ...]:
        """The row of buttons for a prospect of ``studio``; empty for none."""
        ...
