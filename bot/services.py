"""The composition root: the long-lived services, built once and wired at construction.

Shared by the bot (``bot/runtime.py``, with Telegram as the sender) and the terminal demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation_store import ConversationStore
from bot.delivery_notices import DeliveryNotices
from bot.intake import Intake
from bot.leads_config import LeadsConfigSource
from bot.outbox import Outbox, RetryPolicy
from bot.perfectgym import PerfectGymClient
from bot.sender import Sender
from bot.storage import Storage
from bot.studio_texts import StudioTexts


@dataclass
class Services:
    """Everything long-lived behind the Telegram handlers, built in one place: :func:`assemble`."""

    storage: Storage
    client: PerfectGymClient
    outbox: Outbox
    intake: Intake

    async def close(self) -> None:
        await self.outbox.stop()
        await self.client.aclose()
        await self.storage.close()


def assemble(
    storage: Storage,
    client: PerfectGymClient,
    sender: Sender,
    *,
    texts: StudioTexts,
    default_locale: str,
    staff_chat_id: int | None = None,
    config_ttl: float = 600.0,
    policy: RetryPolicy | None = None,
    min_age: int = 16,
) -> Services:
    """Build every service from the three things that talk to the outside world."""
    conversations = ConversationStore(storage, min_age=min_age)
    notices = DeliveryNotices(
        conversations,
        storage,
        sender,
        texts=texts,
        staff_locale=default_locale,
        staff_chat_id=staff_chat_id,
    )
    outbox = Outbox(
        storage, client, policy=policy or RetryPolicy(), on_delivered=notices.on_delivered
    )
    intake = Intake(
        conversations,
        storage,
        LeadsConfigSource(client, storage, ttl=config_ttl),
        outbox,
        sender,
        default_locale=default_locale,
        texts=texts,
    )
    return Services(storage, client, outbox, intake)
