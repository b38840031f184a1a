"""The front desk's buttons: the row under the welcome and the thank-you, and the way back to
the form from a thread with the studio.

One row for every front-desk button (asking the studio, and the answers without staff that
come beside it), built here so the welcome, the thank-you and any later message show the same
row: a feature adds its button to :func:`desk_row`, not a row of its own.
"""

from __future__ import annotations

from dataclasses import replace

from conversations.i18n import Translator
from conversations.replies import Button, Reply

PREFIX = "desk:"
ASK = PREFIX + "ask"  # open a thread with the studio's staff
BACK = PREFIX + "back"  # leave the thread, back to the pending question


def desk_row(tr: Translator) -> tuple[Button, ...]:
    """The front desk's buttons, in one row."""
    return (Button(tr.gettext("💬 Ask the studio"), ASK),)


def back_row(tr: Translator) -> tuple[Button, ...]:
    return (Button(tr.gettext("↩️ Back to my details"), BACK),)


def with_desk_row(reply: Reply, tr: Translator) -> Reply:
    """``reply`` with the desk's row under its buttons. A reply that shows a keyboard in place of
    the prospect's (share your phone) keeps it instead: a message has one keyboard."""
    if reply.contact_button or reply.keyboard_texts:
        return reply
    return replace(reply, buttons=(*reply.buttons, desk_row(tr)))
