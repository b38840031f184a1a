"""Whether the bot still has a chat, across the kinds of record that hold one.

What the bot writes for a chat after sending to it (message ids, a reply to send again) is
written only for a chat never forgotten, or one that has begun anew since: a conversation, a
lead, a trial booking or a front-desk thread. Each part is its kind's own statement.
"""

from __future__ import annotations

from bot.storage.conversations import CONVERSATION_EXISTS
from bot.storage.forgotten import NOT_FORGOTTEN
from bot.storage.outbox import LEADS_EXIST
from bot.storage.threads import THREAD_EXISTS
from bot.storage.trial_bookings import BOOKING_EXISTS

# A condition on chat $1.
CHAT_EXISTS = (
    f"({NOT_FORGOTTEN} OR {CONVERSATION_EXISTS} OR {LEADS_EXIST} OR {BOOKING_EXISTS} "
    f"OR {THREAD_EXISTS})"
)
