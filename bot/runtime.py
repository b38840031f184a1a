"""Assembling the long-lived services and running the bot until SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Update

from bot.chain.build import build_chain
from bot.chain.club import Standing
from bot.chain.roster import Roster, roster_from_settings
from bot.composition import assemble
from bot.events.booking_events import BookingEvents
from bot.events.endpoint import PATH as EVENTS_PATH
from bot.events.endpoint import route as events_route
from bot.intake.outbox import RetryPolicy
from bot.marketing.staff_report import ReportScopes
from bot.metrics import Metrics
from bot.settings import AddressForm, RunMode, Settings, StaffNoticeDetails
from bot.storage import StorageHealth, open_storage
from bot.studio.information import StudioFallback
from bot.studio.texts import StudioTexts
from bot.telegram.application import (
    TelegramHandlers,
    TelegramSender,
    add_handlers,
    build_application,
    register_commands,
)
from bot.telegram.desk import TelegramCourier
from bot.telegram.polling import Poller
from bot.telegram.refusals import RefusalLog
from bot.telegram.resend import Resender
from bot.telegram.unstored import UnstoredUpdates
from bot.telegram.webhook import HealthServer, WebhookServer

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


@dataclass(frozen=True)
class Listener:
    """One web server the bot starts: where it binds and what it serves besides /health."""

    port: int
    host: str
    metrics: bool  # GET /metrics
    events: bool  # PerfectGym's webhook route


@dataclass(frozen=True)
class WebPorts:
    """The web port (``PORT``: Telegram's webhook, a web process's health check) and the metrics
    port (``METRICS_PORT``), as far as this run has them, and what is said about them at start."""

    web: Listener | None
    own: Listener | None
    warnings: tuple[str, ...]


def web_ports(settings: Settings, *, events: bool) -> WebPorts:
    """Where /health, /metrics and PerfectGym's webhook (``events``: a webhook key is set) are
    served.

    The business figures in /metrics never go where the public reaches without the token:
    ``PORT`` serves them only with ``METRICS_TOKEN`` (whatever it binds, a proxy in front of it
    makes it public); ``METRICS_PORT`` binds ``METRICS_LISTEN_HOST`` (this machine alone by
    default) and serves them with the token when set, without it only where an operator asked
    for it: on this machine, or on another address with a WARNING, but never beside PerfectGym's
    webhook, which the public reaches by design."""
    token = settings.metrics_token is not None
    web_port: int | None = None
    if settings.run_mode is RunMode.WEBHOOK or "port" in settings.model_fields_set:
        web_port = settings.port
    own_port = settings.metrics_port if settings.metrics_port != web_port else None
    warnings: list[str] = []
    web = None
    if web_port is not None:
        web = Listener(web_port, settings.webhook_listen_host, metrics=token, events=events)
    own = None
    if own_port is not None:
        host = settings.metrics_listen_host
        carries_events = events and web is None
        public = not _is_loopback(host)
        metrics = token or not (public and carries_events)
        own = Listener(own_port, host, metrics=metrics, events=carries_events)
        if not metrics:
            warnings.append(
                f"GET /metrics is not served on port {own_port}: it takes PerfectGym's events "
                f"on {host}, so anyone could read the studio's figures there; set METRICS_TOKEN "
                "so that a scraper with the token sees them"
            )
        elif public and not token:
            warnings.append(
                f"GET /metrics on port {own_port} is public (the studio's lead and funnel "
                "figures): set METRICS_TOKEN so that only a scraper with the token sees it"
            )
    if web is not None and not token and (own is None or not own.metrics):
        warnings.append(
            f"GET /metrics is not served on port {web.port} without METRICS_TOKEN (the "
            "studio's lead and funnel figures): set METRICS_TOKEN, or METRICS_PORT for a port "
            "of its own on this machine"
        )
    return WebPorts(web, own, tuple(warnings))


async def run(settings: Settings, texts: StudioTexts, roster: Roster) -> None:
    """Serve until SIGTERM or SIGINT, then finish in-flight updates and close cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(settings, texts, stop, roster=roster)


async def serve(
    settings: Settings,
    texts: StudioTexts,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
    clock: Callable[[], float] = time.time,
    *,
    roster: Roster | None = None,
    booking_events: BookingEvents | None = None,
) -> None:
    """Run the bot until ``stop`` is set; ``ready`` is set once updates are being received.
    ``clock`` is the time the services go by (tests move it instead of waiting);
    ``booking_events`` hears of PerfectGym's events of trial bookings."""
    metrics = Metrics()
    health = StorageHealth(on_failure=metrics.storage_failures.inc)
    storage = await open_storage(settings.database_url, health, wait=settings.database_wait_seconds)
    unstored = UnstoredUpdates()
    chain = build_chain(
        roster or roster_from_settings(settings, os.environ),
        storage,
        texts=texts,
        timeout=settings.perfectgym_timeout_seconds,
        deadline=settings.perfectgym_deadline_seconds,
        observe=metrics.observe_perfectgym,
        config_ttl=settings.config_ttl_seconds,
        health_interval=settings.studio_health_seconds,
        clock=clock,
        rate_limit_pause=settings.outbox_rate_limit_seconds,
    )
    metrics.watch_studios(
        lambda: [(club.storage_key, club.standing is Standing.DOWN) for club in chain.clubs]
    )
    app = build_application(settings, metrics.updates.inc)
    sender = TelegramSender(app.bot, storage, clock)
    services = assemble(
        storage,
        None,
        sender,
        chain=chain,
        texts=texts,
        default_locale=settings.default_locale,
        staff_chat_id=chain.staff_chat_id,  # STAFF_CHAT_ID, or STUDIOS_FILE's own
        staff_contact_details=settings.staff_notice_details is StaffNoticeDetails.FULL,
        config_ttl=settings.config_ttl_seconds,
        min_age=settings.min_age,
        studio=StudioFallback.from_settings(settings),
        formal=settings.address_form is AddressForm.FORMAL,
        metrics=metrics,
        reminder_after=settings.reminder_after_hours * 3600,
        retention_days=settings.retention_days,
        sweep_interval=settings.sweep_seconds,
        trial_booking=settings.trial_booking,
        courier=TelegramCourier(app.bot),
        booking_events=booking_events,
        trial_reminders=settings.trial_reminder_offsets,
        clock=clock,
        policy=RetryPolicy(
            give_up_after=settings.outbox_give_up_hours * 3600,
            base_delay=settings.outbox_retry_base_seconds,
            lease=settings.outbox_lease_seconds,
            rate_limit_delay=settings.outbox_rate_limit_seconds,
        ),
    )
    reports = ReportScopes(chain, services.funnel)
    resender = Resender(storage, sender.send_kept, services.intake.delivered, clock=clock)
    sender.on_kept = resender.wake
    add_handlers(
        app,
        TelegramHandlers(
            services.intake,
            sender,
            settings.default_locale,
            services.buttons,
            services.commands,
            reports,
            unstored,
            services.erasure,
            services.desk,
            services.staff,
        ),
        reports.ids(),
        services.staff.staff_chats if services.staff is not None else (),
    )
    metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    receiver = services.event_receiver
    ports = web_ports(settings, events=receiver is not None)
    refusals = RefusalLog(clock=clock, on_refused=lambda why: metrics.refused(why.name.lower()))
    routes = [] if receiver is None else [events_route(receiver, refusals.perfectgym)]
    servers: list[HealthServer] = []
    poller: Poller | None = None
    try:
        await services.prepare()
        async with app:
            await register_commands(
                app.bot,
                settings.default_locale,
                formal=settings.address_form is AddressForm.FORMAL,
                chain=chain.is_chain,
                answers=services.desk.answers.offered(),
                ask=services.desk.can_ask,
            )
            await app.start()
            services.start()
            resender.start()
            web = ports.web
            listeners = [web, ports.own]  # polling: /health on both, where they are set
            if settings.webhook_url and settings.webhook_secret and web is not None:
                listeners = [ports.own]
                servers.append(
                    WebhookServer(
                        app,
                        webhook_url=settings.webhook_url,
                        port=web.port,
                        secret=settings.webhook_secret.get_secret_value(),
                        host=web.host,
                        metrics=metrics if web.metrics else None,
                        metrics_token=metrics_token,
                        health=health,
                        unstored=unstored,
                        routes=routes if web.events else (),
                        refusals=refusals,
                    )
                )
                await servers[-1].start()
                await app.bot.set_webhook(
                    settings.webhook_url,
                    secret_token=settings.webhook_secret.get_secret_value(),
                    allowed_updates=ALLOWED_UPDATES,
                )
                log.info("serving webhook on port %d", web.port)
            else:
                await app.bot.delete_webhook()
                poller = Poller(
                    app,
                    storage,
                    allowed_updates=ALLOWED_UPDATES,
                    unstored=unstored,
                    on_change=lambda leading: metrics.poller.set(1 if leading else 0),
                )
                await poller.start()
            liveness = None if poller is None else poller.problem
            for listener in listeners:
                if listener is None:
                    continue
                servers.append(
                    HealthServer(
                        port=listener.port,
                        host=listener.host,
                        metrics=metrics if listener.metrics else None,
                        metrics_token=metrics_token,
                        health=health,
                        liveness=liveness,
                        routes=routes if listener.events else (),
                        refusals=refusals,
                    )
                )
                await servers[-1].start()
                log.info(
                    "serving /health%s on %s port %d",
                    " and /metrics" if listener.metrics else "",
                    listener.host,
                    listener.port,
                )
            for warning in ports.warnings:
                log.warning("%s", warning)
            if routes and servers:
                log.info("taking PerfectGym's events on %s", EVENTS_PATH)
            elif routes:
                log.warning(
                    "a PerfectGym webhook key is set, but polling serves no web port: set "
                    "PORT (or METRICS_PORT) for PerfectGym's events to reach %s",
                    EVENTS_PATH,
                )
            # Everything built so far (modules, catalogs, the application) lives as long as the
            # process; freezing it keeps full collections from walking it again: under load they
            # took about 50 ms each, stalling every chat.
            gc.freeze()
            if ready is not None:
                ready.set()
            await stop.wait()
            log.info("stopping")
            for server in servers:
                await server.stop()
            if poller is not None:
                await poller.stop()
            await resender.stop()
            if services.relayer is not None:  # its sends under way finish while the bot can
                await services.relayer.stop()
            await app.stop()
    finally:
        with contextlib.suppress(Exception):
            await services.close()


def _is_loopback(host: str) -> bool:
    """Whether only this machine can reach a server bound to ``host``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
