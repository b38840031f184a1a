"""The composition root: the long-lived services, built once and wired at construction.

Shared by the bot (``bot/runtime.py``, with Telegram as the sender) and the terminal demo.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bot.chain.build import single_chain
from bot.chain.chain import Chain
from bot.followup import messages as followup_messages
from bot.followup.service import Followups
from bot.funnel.counts import Funnel, Stage
from bot.intake.erasure_requests import ErasureRequests
from bot.intake.notices import DeliveryNotices
from bot.intake.outbox import Delivery, DeliveryReport, OnDelivered, Outbox, RetryPolicy
from bot.intake.sender import Sender
from bot.intake.service import Intake
from bot.intake.store import ConversationStore
from bot.marketing.reminders import Reminders
from bot.marketing.retention import Retention
from bot.metrics import Metrics
from bot.perfectgym.adapter import additional_fields
from bot.perfectgym.client import PerfectGymClient
from bot.storage import Storage
from bot.studio.information import StudioDirectory, StudioFallback
from bot.studio.leads_config import LeadsConfigSource
from bot.studio.texts import StudioTexts
from bot.trials.booking import TrialBooking, booking_id_of
from bot.trials.buttons import ButtonPresses
from bot.trials.catalog import TrialCatalog

log = logging.getLogger(__name__)

# How a lead's delivery ended, as the funnel counts it (RETRYING is no end).
DELIVERY_STAGES = {
    Delivery.CREATED: Stage.CREATED,
    Delivery.DUPLICATE: Stage.DUPLICATE,
    Delivery.INVALID: Stage.INVALID,
    Delivery.FAILED: Stage.FAILED,
}


def counted(funnel: Funnel, then: OnDelivered) -> OnDelivered:
    """``then``, after the delivery's end is counted in the funnel."""

    async def on_delivered(report: DeliveryReport) -> None:
        stage = DELIVERY_STAGES.get(report.result)
        if stage is not None:
            funnel.reached(report.campaign, stage, studio=report.entry.studio)
        await then(report)

    return on_delivered


@dataclass
class Services:
    """Everything long-lived behind the Telegram handlers, built in one place: :func:`assemble`."""

    storage: Storage
    chain: Chain
    outbox: Outbox
    intake: Intake
    funnel: Funnel
    reminders: Reminders
    retention: Retention
    trials: TrialBooking
    buttons: ButtonPresses
    erasure: ErasureRequests
    followups: Followups

    @property
    def client(self) -> PerfectGymClient:
        """The one studio's PerfectGym client (a chain's first club's)."""
        return self.chain.club(None).client

    @property
    def config(self) -> LeadsConfigSource:
        return self.chain.club(None).config

    @property
    def studio(self) -> StudioDirectory:
        return self.chain.club(None).directory

    @property
    def texts(self) -> StudioTexts:
        return self.chain.club(None).texts

    def start(self) -> None:
        """The background work: the outbox's retries, counting, reminders and retention."""
        self.chain.start()
        self.outbox.start()
        self.funnel.start()
        self.reminders.start()
        self.retention.start()
        self.trials.start()
        if self.trials.enabled:
            self.followups.start()

    async def prepare(self) -> None:
        """Before the first prospect: learn who the studio is, check the studio's texts
        against its leads config (a :class:`StudioTextsError` stops the start), and whether
        trial sessions can be booked. A chain's clubs load in the background instead, a few
        at a time, while prospects are answered."""
        if self.chain.is_chain:
            self.chain.load_soon()
            await self.trials.prepare()
            return
        await self.studio.start()
        await self.trials.prepare()
        config = await self.config.get()
        if config is None:
            log.warning("no leads config yet: the studio's texts are checked once it arrives")
        else:
            self.texts.check_fields(additional_fields(config))
        if self.texts.privacy_url_for("en") is None:
            log.warning(
                "no privacy notice is linked: set PRIVACY_URL (or privacy_url in "
                "STUDIO_TEXTS_FILE) to the studio's privacy notice"
            )

    async def close(self) -> None:
        await self.followups.stop()
        await self.trials.stop()
        await self.reminders.stop()
        await self.retention.stop()
        await self.outbox.stop()
        await self.funnel.stop()
        await self.chain.close()
        await self.storage.close()


def assemble(
    storage: Storage,
    client: PerfectGymClient | None,
    sender: Sender,
    *,
    chain: Chain | None = None,
    texts: StudioTexts,
    default_locale: str,
    staff_chat_id: int | None = None,
    staff_contact_details: bool = False,
    config_ttl: float = 600.0,
    policy: RetryPolicy | None = None,
    min_age: int = 16,
    studio: StudioFallback | None = None,
    formal: bool = False,
    metrics: Metrics | None = None,
    reminder_after: float = 0.0,
    retention_days: int = 30,
    sweep_interval: float = 60.0,
    trial_booking: bool = False,
    trial_reminders: tuple[float, ...] = (),
    receives_events: Callable[[str | None], bool] = lambda studio: False,
    clock: Callable[[], float] = time.time,
) -> Services:
    """Build every service from the three things that talk to the outside world: the
    storage, the sender, and PerfectGym (one ``client``, or a ``chain`` of studios' clubs)."""
    if chain is None:
        assert client is not None, "a client or a chain"
        chain = single_chain(
            client,
            storage,
            texts=texts,
            fallback=studio,
            config_ttl=config_ttl,
            staff_chat_id=staff_chat_id,
            clock=clock,
        )
    first = chain.club(None)
    funnel = Funnel(storage, lambda: first.profile.time_zone, clock=clock)
    conversations = ConversationStore(storage, chain, min_age=min_age, clock=clock)
    erasure = ErasureRequests(
        storage,
        sender,
        staff_locale=default_locale,
        staff_chat_id=staff_chat_id,
        booking_id_of=booking_id_of,
    )
    catalog = TrialCatalog(first.client, clock=clock)
    trials = TrialBooking(
        storage,
        catalog,
        conversations,
        sender,
        funnel,
        erasure=erasure,
        enabled=trial_booking,
        staff_chat_id=staff_chat_id,
        staff_locale=default_locale,
        interval=sweep_interval,
        retry_base=(policy or RetryPolicy()).base_delay,
        clock=clock,
    )
    notices = DeliveryNotices(
        conversations,
        sender,
        leads=storage,
        erasure=erasure,
        staff_locale=default_locale,
        staff_contact_details=staff_contact_details,
        trials=trials,
    )
    outbox = Outbox(
        storage,
        lambda studio: chain.club(studio).client,
        policy=policy or RetryPolicy(),
        on_delivered=counted(funnel, notices.on_delivered),
        metrics=metrics,
        clock=clock,
    )
    for club in chain.clubs:
        club.config.report_unsatisfiable(
            partial(notices.on_unsatisfiable_config, studio=club.storage_key)
        )
    chain.set_on_standing(notices.on_standing)
    intake = Intake(
        conversations,
        storage,
        outbox,
        sender,
        default_locale=default_locale,
        funnel=funnel,
        formal=formal,
        erasure=erasure,
        clock=clock,
    )
    reminders = Reminders(
        storage,
        conversations,
        sender,
        funnel,
        after=reminder_after,
        interval=sweep_interval,
        clock=clock,
    )
    retention = Retention(storage, days=retention_days, interval=sweep_interval, clock=clock)
    followups = Followups(
        storage,
        conversations,
        sender,
        offsets=trial_reminders,
        other_times=trials.offer_other_times,
        current_slot=lambda studio, offer, slot: catalog.current_slot(offer, slot),
        receives_events=receives_events,
        staff_locale=default_locale,
        interval=sweep_interval,
        clock=clock,
    )
    trials.listen(followups.booked)
    return Services(
        storage,
        chain,
        outbox,
        intake,
        funnel,
        reminders,
        retention,
        trials,
        ButtonPresses(intake, trials, (followup_messages.NAMES, followups.press)),
        erasure,
        followups,
    )
