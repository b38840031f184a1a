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
from bot.events.booking_events import BookingEvents
from bot.events.processor import EventProcessor
from bot.events.receiver import EventReceiver
from bot.followup.service import Followups
from bot.frontdesk.answers import Answers
from bot.frontdesk.desk import FrontDesk
from bot.frontdesk.handover import HandOver, StaffNotice
from bot.frontdesk.relay import Courier, Relayer
from bot.frontdesk.staff_side import StaffSide
from bot.frontdesk.threads import Threads, staff_chats
from bot.funnel.counts import Funnel, Stage
from bot.intake.erasure_requests import ErasureRequests
from bot.intake.notices import DeliveryNotices
from bot.intake.outbox import Delivery, DeliveryReport, OnDelivered, Outbox, RetryPolicy
from bot.intake.routing import ButtonPresses, Commands, intake_commands
from bot.intake.sender import Sender
from bot.intake.service import Intake
from bot.intake.staff import StaffChats
from bot.intake.store import ConversationStore
from bot.marketing.reminders import Reminders
from bot.marketing.retention import Retention
from bot.metrics import Metrics
from bot.perfectgym.adapter import additional_fields, date_field_ids
from bot.perfectgym.client import PerfectGymClient
from bot.storage import Storage
from bot.studio.information import StudioFallback
from bot.studio.texts import StudioTexts
from bot.trials.booking import TrialBooking, booking_id_of, booking_studio_of
from bot.trials.catalog import TrialCatalogs
from conversations import front_desk

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


def _receives_events(chain: Chain, studio: str | None) -> bool:
    """Whether PerfectGym sends ``studio``'s events (its roster spec has a webhook key): only
    then is a session without a check-in known to be missed."""
    club = chain.find(studio) if studio else chain.club(None)
    return club is not None and club.webhook_key is not None


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
    # What a pressed button and a typed command go to, for Telegram and the demo alike.
    buttons: ButtonPresses
    commands: Commands
    erasure: ErasureRequests
    events: EventProcessor
    followups: Followups
    # The front desk: its answers without staff, and (``desk.threads``) a prospect's thread
    # with the staff group; the staff group's side and the relay worker are None without a
    # staff group or, as in the demo, without Telegram to relay through.
    desk: FrontDesk
    staff: StaffSide | None = None
    relayer: Relayer | None = None
    # PerfectGym's webhook, when any studio has a webhook key (the runtime serves it).
    event_receiver: EventReceiver | None = None

    def start(self) -> None:
        """The background work: the outbox's retries, counting, reminders, retention and
        PerfectGym's events."""
        self.chain.start()
        self.outbox.start()
        self.funnel.start()
        self.reminders.start()
        self.retention.start()
        self.trials.start()
        if self.relayer is not None:
            self.relayer.start()
        self.events.start()
        if self.trials.enabled:
            self.followups.start()

    async def prepare(self) -> None:
        """Before the first prospect: learn who the studio is, check the studio's texts
        against its leads config (a :class:`StudioTextsError` stops the start), and whether
        trial sessions can be booked. A chain's clubs load in the background instead, a few
        at a time, while prospects are answered."""
        if self.chain.is_chain:
            self.chain.load_soon()
            await self.desk.answers.prepare()
            self.trials.prepare_soon()
            return
        studio = self.chain.club(None)
        await studio.directory.start()
        await self.desk.answers.prepare()
        await self.trials.prepare()
        config = await studio.config.get()
        if config is None:
            log.warning("no leads config yet: the studio's texts are checked once it arrives")
        else:
            studio.texts.check_fields(additional_fields(config), date_fields=date_field_ids(config))
        if studio.texts.privacy_url_for("en") is None:
            log.warning(
                "no privacy notice is linked: set PRIVACY_URL (or privacy_url in "
                "STUDIO_TEXTS_FILE) to the studio's privacy notice"
            )

    async def close(self) -> None:
        await self.events.stop()
        await self.followups.stop()
        if self.relayer is not None:
            await self.relayer.stop()
        await self.trials.stop()
        await self.reminders.stop()
        await self.retention.stop()
        await self.outbox.stop()
        await self.funnel.stop()
        await self.desk.answers.close()
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
    courier: Courier | None = None,
    booking_events: BookingEvents | None = None,
    trial_reminders: tuple[float, ...] = (),
    clock: Callable[[], float] = time.time,
) -> Services:
    """Build every service from the three things that talk to the outside world: the
    storage, the sender, and PerfectGym (one ``client``, or a ``chain`` of studios' clubs);
    with a ``courier`` (Telegram's copy and topic calls) and a staff chat, the front desk too."""
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
    funnel = Funnel(
        storage, zone_of=lambda studio: chain.club(studio).profile.time_zone, clock=clock
    )
    conversations = ConversationStore(storage, chain, min_age=min_age, clock=clock)
    erasure = ErasureRequests(
        storage,
        StaffChats(chain, sender),
        staff_locale=default_locale,
        booking_id_of=booking_id_of,
        booking_studio_of=booking_studio_of,
        day_of=lambda studio, at: chain.club(studio).profile.local_time(at).date(),
    )
    trials = TrialBooking(
        storage,
        TrialCatalogs(clock=clock),
        conversations,
        sender,
        funnel,
        erasure=erasure,
        enabled=trial_booking,
        staff_locale=default_locale,
        interval=sweep_interval,
        retry_base=(policy or RetryPolicy()).base_delay,
        hold=(policy or RetryPolicy()).lease,
        clock=clock,
    )
    threads: Threads | None = None
    staff: StaffSide | None = None
    relayer: Relayer | None = None
    if courier is not None and staff_chats(chain):
        threads = Threads(
            storage,
            conversations,
            funnel,
            default_locale=default_locale,
            staff_locale=default_locale,
            formal=formal,
            staff_contact_details=staff_contact_details,
            clock=clock,
        )
        staff = StaffSide(storage, funnel, staff_chats=threads.staff_chats, clock=clock)
        relayer = Relayer(storage, courier, staff_locale=default_locale, clock=clock)
        threads.on_queued = staff.on_queued = relayer.wake
        erasure.on_thread_forgotten = relayer.forgotten
    handover = HandOver(
        StaffNotice(chain, sender, staff_locale=default_locale),
        threads,
        staff_locale=default_locale,
        clock=clock,
    )
    answers = Answers(
        conversations,
        storage,
        handover,
        default_locale=default_locale,
        formal=formal,
        offers_ttl=config_ttl,
        clock=clock,
    )
    desk = FrontDesk(answers, threads)
    notices = DeliveryNotices(
        conversations,
        sender,
        leads=storage,
        erasure=erasure,
        staff_locale=default_locale,
        staff_contact_details=staff_contact_details,
        trials=trials,
        desk=desk,
    )
    outbox = Outbox(
        storage,
        lambda studio: chain.club(studio).client,
        policy=policy or RetryPolicy(),
        on_delivered=counted(funnel, notices.on_delivered),
        metrics=metrics,
        clock=clock,
        on_tenant=chain.heard,
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
        desk=desk,
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
        give_up=trials.give_up,
        current_slot=trials.current_slot,
        # A missed session is known only where PerfectGym sends the studio's check-ins.
        receives_events=partial(_receives_events, chain),
        staff_locale=default_locale,
        # "Talk to the studio" opens the front desk's thread, as its "Ask the studio" does.
        ask_studio=partial(desk.press, data=front_desk.ASK) if desk.can_ask else None,
        interval=sweep_interval,
        clock=clock,
    )
    trials.listen(followups.booked)
    events = EventProcessor(
        storage,
        chain,
        funnel,
        booking_events=followups if booking_events is None else booking_events,
        lease=(policy or RetryPolicy()).lease,
        interval=sweep_interval,
        clock=clock,
    )
    keys = {club.webhook_key: club.storage_key for club in chain.clubs if club.webhook_key}
    receiver = EventReceiver(storage, keys, wake=events.wake, clock=clock) if keys else None
    return Services(
        storage,
        chain,
        outbox,
        intake,
        funnel,
        reminders,
        retention,
        trials,
        # Each feature's buttons and commands: a new feature adds its entry here.
        ButtonPresses(intake, (desk.buttons(), trials.buttons(), followups.buttons())),
        Commands(intake, {**intake_commands(intake), **desk.commands()}),
        erasure=erasure,
        events=events,
        followups=followups,
        desk=desk,
        staff=staff,
        relayer=relayer,
        event_receiver=receiver,
    )
