"""Delivery of confirmed leads to PerfectGym: validate, then create, retried until it lands.

A lead is stored (``Storage.submit``) before its first attempt, so neither a restart nor an API
outage loses it. Timeouts, connection errors, 5xx, 429 and auth failures (an operator can fix the
key) are retried with exponential backoff and full jitter until ``give_up_after`` seconds have
passed since the prospect confirmed. Other 4xx answers are final: recorded and reported to staff.

Exactly one lead per submission, as far as the API allows. The API has no idempotency key and no
lookup by ``thirdPartyId``. So before a create request leaves, the entry is marked ``create_sent``
in storage. If the answer is then lost (timeout, dropped connection, crash), the next attempt asks
``validate`` first: ``DUPLICATE_CUSTOMER`` for an entry whose create may have landed means it did,
and the entry is closed as created instead of creating a second lead. The remaining gap, a studio
whose duplicate check does not match on this lead's data, is documented in the README.

So that gap is only ever reached by a crash, an outcome PerfectGym has given is never asked for
again while this process lives: an entry is attempted by one coroutine at a time (``_in_flight``,
whatever its lease says), the lease is renewed while the attempt runs, every call ends by the
client's deadline (a third of the lease at most), and a result the database cannot take right
now is kept and stored again and again until it can, the lease still renewed meanwhile, before
the prospect is told. Nothing raised in an attempt escapes into an unobserved task.

/forget deletes the entry. An attempt that finds it gone before its create stops there; one
whose create was already on its way lets PerfectGym answer, and its report says the chat was
forgotten: the answer is then only what staff need to erase the person in PerfectGym too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from bot.metrics import Metrics
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import (
    PerfectGymAuthError,
    PerfectGymError,
    PerfectGymProtocolError,
    PerfectGymRejected,
    PerfectGymUnavailable,
)
from bot.perfectgym.models import LeadCreationRequest, ValidationStatus
from bot.settings import LEASE_PER_DEADLINE
from bot.storage.errors import failure_cause
from bot.storage.lead_customers import LeadCustomerRecords
from bot.storage.outbox import CreatedCustomer, LeadStatus, OutboxEntry, OutboxRecords
from bot.studio.leads_config import ConfigProblem

log = logging.getLogger(__name__)

BATCH = 50
# Storing a known result is tried again this often at most while the database is away.
STORE_RETRY_MAX = 5.0


@dataclass(frozen=True)
class RetryPolicy:
    """How patiently a lead is retried. The vendor's rate limit resets within a minute."""

    give_up_after: float = 72 * 3600.0
    base_delay: float = 5.0
    max_delay: float = 15 * 60.0
    rate_limit_delay: float = 60.0
    # How long one attempt holds an entry unless renewed: validate and create at their
    # deadlines, with room (renewed every third of it while the attempt runs).
    lease: float = 60.0

    @property
    def poll_interval(self) -> float:
        return min(2.0, max(0.05, self.base_delay / 2))

    def delay(
        self, attempts: int, *, rng: Callable[[], float] = random.random, floor: float = 0.0
    ) -> float:
        """Exponential backoff with jitter (between half and all of the ceiling), at least ``floor``."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempts, 30))
        return max(floor, ceiling * (0.5 + rng() / 2))


class Delivery(StrEnum):
    """What one attempt achieved, from the prospect's point of view."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    RETRYING = "retrying"
    FAILED = "failed"
    FORGOTTEN = "forgotten"  # the chat was forgotten before its create left: nothing sent


@dataclass(frozen=True)
class DeliveryReport:
    entry: OutboxEntry
    result: Delivery
    lead: LeadCreationRequest | None
    lead_ref: str | None = None
    detail: str | None = None
    dropped_campaign: str | None = None  # refused by PerfectGym, so the lead went without it
    customer_id: int | None = None  # PerfectGym's customer, for CREATED (a trial booking's)
    forgotten: bool = False  # /forget came while PerfectGym was answering: tell nobody but staff

    @property
    def campaign(self) -> str | None:
        """The campaign the prospect came from, even if the lead had to go without it."""
        if self.dropped_campaign is not None or self.lead is None:
            return self.dropped_campaign
        return self.lead.external_identifier


OnDelivered = Callable[[DeliveryReport], Awaitable[None]]


ClientFor = Callable[[str | None], PerfectGymClient]
"""The PerfectGym tenant a lead goes to, by the studio it was taken for (None: the one studio)."""

OnTenant = Callable[[str | None, ConfigProblem | None, str], Awaitable[None]]
"""Told what an attempt learnt of a studio's tenant: its key refused (401/403), no answer (none,
or a 5xx), or (None) a lead that went through; with the error for the log. A chain takes the
studio out of the choice, or brings it back."""


class DeliveryRecords(OutboxRecords, LeadCustomerRecords, Protocol):
    """What delivering a lead writes: its outbox entry, and the customer it became."""


class Outbox:
    def __init__(
        self,
        storage: DeliveryRecords,
        client: PerfectGymClient | ClientFor,
        *,
        policy: RetryPolicy,
        on_delivered: OnDelivered | None = None,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
        on_tenant: OnTenant | None = None,
    ) -> None:
        self._client_for: ClientFor = (
            (lambda _studio: client) if isinstance(client, PerfectGymClient) else client
        )
        deadline = self._client_for(None).deadline
        if deadline * LEASE_PER_DEADLINE > policy.lease:
            raise ValueError(
                f"an outbox lease of {policy.lease:g} s is shorter than validate, create and "
                f"storing at a PerfectGym deadline of {deadline:g} s"
            )
        self._storage = storage
        self._policy = policy
        self._on_delivered = on_delivered
        self._metrics = metrics
        self._clock = clock
        self._on_tenant = on_tenant
        # Studios whose key was refused, until one of their leads goes through: the ERROR is
        # logged once, not at every attempt of every lead waiting for the key to be fixed.
        self._refused: set[str | None] = set()
        # Entries an attempt of this process is on, from its claim until its result is stored.
        self._in_flight: set[int] = set()
        # Campaign codes PerfectGym refused, until the lead's outcome is reported to staff.
        self._dropped: dict[int, str] = {}
        # Leases in the database name their holder: this process, unique across restarts.
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._soon: set[asyncio.Task[DeliveryReport]] = set()
        self._worker: asyncio.Task[None] | None = None

    def deliver_soon(self, entry: OutboxEntry) -> None:
        """A first attempt right away, without keeping the caller waiting for PerfectGym."""
        task = asyncio.create_task(self.deliver(entry), name=f"lead {entry.id}")
        self._soon.add(task)
        task.add_done_callback(self._soon.discard)

    async def deliver(self, entry: OutboxEntry) -> DeliveryReport:
        """One attempt for ``entry`` if no other attempt (here or in another instance on the
        same database) holds it; never raises (a task nobody awaits runs it)."""
        if entry.id in self._in_flight:
            return DeliveryReport(entry, Delivery.RETRYING, None)
        self._in_flight.add(entry.id)
        try:
            now = self._clock()
            claimed = await self._storage.claim_lead(
                entry.id, self._owner, now, now + self._policy.lease
            )
            if claimed is None:
                return DeliveryReport(entry, Delivery.RETRYING, None)
            return await self._attempt_claimed(claimed)
        except Exception as exc:
            log.warning(
                "lead %s: not attempted now, the database failed (%s)", entry.id, failure_cause(exc)
            )
            return DeliveryReport(entry, Delivery.RETRYING, None)
        finally:
            self._in_flight.discard(entry.id)

    async def _attempt_claimed(self, entry: OutboxEntry) -> DeliveryReport:
        """The attempt for an entry this process holds the lease of (and has put in
        ``_in_flight``); the lease is kept while it runs and released at the end."""
        renewing = asyncio.create_task(self._keep_lease(entry.id), name=f"lease {entry.id}")
        try:
            if entry.payload is None:
                return DeliveryReport(entry, Delivery.RETRYING, None)
            lead = LeadCreationRequest.model_validate_json(entry.payload)
            return await self._attempt(entry, lead)
        except Exception as exc:
            # A storage failure before any outcome was known (the entry records all that was
            # sent): the next attempt goes on from the stored state, validate first.
            log.warning(
                "lead %s: attempt broken off (%s); tried again later", entry.id, failure_cause(exc)
            )
            return DeliveryReport(entry, Delivery.RETRYING, None)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            with contextlib.suppress(Exception):  # an unreleased lease simply runs out
                await self._storage.release_lead(entry.id, self._owner)

    async def _keep_lease(self, entry_id: int) -> None:
        """Renew the lease every third of its length until cancelled: a slow attempt, or a
        result waiting for the database, is never taken over by another instance."""
        while True:
            await asyncio.sleep(self._policy.lease / 3)
            try:
                held = await self._storage.renew_lease(
                    entry_id, self._owner, self._clock() + self._policy.lease
                )
            except Exception as exc:
                log.warning("lead %s: lease not renewed (%s)", entry_id, failure_cause(exc))
                continue
            if not held:
                log.warning("lead %s: lease lost to another instance while attempting", entry_id)

    async def _attempt(self, entry: OutboxEntry, lead: LeadCreationRequest) -> DeliveryReport:
        create_sent = entry.create_sent
        client = self._client_for(entry.studio)  # the tenant of the studio the lead is for
        try:
            status = await client.validate(lead)
            if status is ValidationStatus.DUPLICATE_CUSTOMER and create_sent:
                log.info("lead %s: earlier create landed (validate reports duplicate)", entry.id)
                return await self._finish(entry, lead, Delivery.CREATED, None)
            if status is ValidationStatus.DUPLICATE_CUSTOMER:
                return await self._finish(entry, lead, Delivery.DUPLICATE, None)
            if status is ValidationStatus.INVALID_LEAD_DATA:
                return await self._finish(entry, lead, Delivery.INVALID, None)
            if status is not ValidationStatus.POSSIBLE:
                return await self._fail(entry, lead, "validate returned an unknown status")
            if not await self._storage.record_attempt(
                entry.id,
                attempts=entry.attempts,
                next_attempt_at=entry.next_attempt_at,
                create_sent=True,
                last_error=entry.last_error,
            ):
                log.info("lead %s: its chat was forgotten; not created", entry.id)
                return await self._report(DeliveryReport(entry, Delivery.FORGOTTEN, lead))
            create_sent = True
            created = await client.create(lead)
        except PerfectGymProtocolError as exc:
            if create_sent:
                log.warning(
                    "lead %s: create answered 2xx with an unreadable body (%s); "
                    "treating it as created",
                    entry.id,
                    exc,
                )
                return await self._finish(entry, lead, Delivery.CREATED, None)
            return await self._retry(entry, lead, exc, create_sent)
        except (PerfectGymUnavailable, PerfectGymAuthError) as exc:
            if isinstance(exc, PerfectGymAuthError):
                first = entry.studio not in self._refused
                self._refused.add(entry.studio)
                log.log(
                    logging.ERROR if first else logging.WARNING,
                    "PerfectGym refused the API key (%s): check %s and its "
                    "LEAD_WRITE scope; lead %s will be retried",
                    exc,
                    f"studio {entry.studio}'s key" if entry.studio else "PERFECTGYM_API_KEY",
                    entry.id,
                )
                await self._heard(entry.studio, ConfigProblem.KEY_REFUSED, exc)
            elif exc.status is None or exc.status >= 500:  # not 408, 409 or 429: no answer
                await self._heard(entry.studio, ConfigProblem.NO_ANSWER, exc)
            if isinstance(exc, PerfectGymUnavailable) and not exc.maybe_processed:
                create_sent = entry.create_sent
            return await self._retry(entry, lead, exc, create_sent)
        except PerfectGymRejected as exc:
            if exc.status in (400, 404) and lead.external_identifier:
                return await self._without_campaign(entry, lead, exc)
            return await self._fail(entry, lead, str(exc))
        except PerfectGymError as exc:
            return await self._retry(entry, lead, exc, create_sent)
        ref = created.customer_number or str(created.id)
        log.info("lead %s created in PerfectGym as lead id %s", entry.id, created.id)
        return await self._finish(entry, lead, Delivery.CREATED, ref, created.customer_id)

    async def _without_campaign(
        self, entry: OutboxEntry, lead: LeadCreationRequest, exc: PerfectGymRejected
    ) -> DeliveryReport:
        """A mistyped campaign link must not cost the lead: send it once more without its
        ``externalIdentifier``, stored first so a restart does not bring the code back."""
        campaign = lead.external_identifier
        log.warning("lead %s: refused with its campaign code (%s); retrying without", entry.id, exc)
        bare = lead.model_copy(update={"external_identifier": None})
        payload = bare.model_dump_json(by_alias=True, exclude_none=True)
        await self._storage.replace_payload(entry.id, payload)
        self._dropped[entry.id] = campaign or ""
        return await self._attempt(replace(entry, payload=payload), bare)

    async def _finish(
        self,
        entry: OutboxEntry,
        lead: LeadCreationRequest,
        result: Delivery,
        ref: str | None,
        customer_id: int | None = None,
    ) -> DeliveryReport:
        status = {
            Delivery.CREATED: LeadStatus.CREATED,
            Delivery.DUPLICATE: LeadStatus.DUPLICATE,
            Delivery.INVALID: LeadStatus.INVALID,
        }[result]
        created = None
        if result is Delivery.CREATED and customer_id is not None:
            campaign = self._dropped.get(entry.id, lead.external_identifier)
            created = CreatedCustomer(customer_id, campaign or None, self._clock(), ref)
        stored = await self._store_result(entry.id, status, ref, None, created)
        self._refused.discard(entry.studio)
        await self._heard(entry.studio, None, None)
        return await self._report(
            DeliveryReport(entry, result, lead, ref, customer_id=customer_id, forgotten=not stored)
        )

    async def _heard(
        self, studio: str | None, problem: ConfigProblem | None, exc: PerfectGymError | None
    ) -> None:
        """Tell ``on_tenant``; its failure is logged and never costs the lead its attempt."""
        if self._on_tenant is None:
            return
        try:
            await self._on_tenant(studio, problem, "" if exc is None else str(exc))
        except Exception:
            log.exception("reporting studio %s's answer failed", studio)

    async def _store_result(
        self,
        entry_id: int,
        status: LeadStatus,
        ref: str | None,
        why: str | None,
        customer: CreatedCustomer | None = None,
    ) -> bool:
        """Store an outcome PerfectGym gave, however long the database is away: sent again,
        a create that landed could make a second lead. The created ``customer`` is kept first,
        so that no crash loses which chat and campaign it came from. The caller's attempt (in
        flight, its lease renewed) holds the entry meanwhile. False: the entry is gone
        (/forget)."""
        delay = self._policy.poll_interval
        answered = self._clock()
        while True:
            try:
                if customer is not None:
                    await self._storage.remember_customer(entry_id, customer)
                    customer = None
                stored = await self._storage.finish_lead(entry_id, status, ref, why, at=answered)
            except Exception as exc:
                log.warning(
                    "lead %s: %s in PerfectGym, but storing that failed (%s); "
                    "trying again in %.1f s",
                    entry_id,
                    status.value,
                    failure_cause(exc),
                    delay,
                )
            else:
                return stored
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                log.error(
                    "lead %s: %s in PerfectGym, not stored before shutdown; "
                    "the next attempt validates first",
                    entry_id,
                    status.value,
                )
                raise
            delay = min(STORE_RETRY_MAX, delay * 2)

    async def _retry(
        self, entry: OutboxEntry, lead: LeadCreationRequest, exc: PerfectGymError, create_sent: bool
    ) -> DeliveryReport:
        now = self._clock()
        if now - entry.created_at >= self._policy.give_up_after:
            return await self._fail(
                entry, lead, f"gave up after {entry.attempts + 1} attempts: {exc}"
            )
        floor = 0.0
        if isinstance(exc, PerfectGymUnavailable):
            floor = exc.retry_after or (self._policy.rate_limit_delay if exc.status == 429 else 0.0)
        delay = self._policy.delay(entry.attempts, floor=floor)
        log.warning(
            "lead %s: attempt %d failed (%s); retrying in %.1f s",
            entry.id,
            entry.attempts + 1,
            exc,
            delay,
        )
        try:
            recorded = await self._storage.record_attempt(
                entry.id,
                attempts=entry.attempts + 1,
                next_attempt_at=now + delay,
                create_sent=create_sent,
                last_error=str(exc),
            )
        except Exception as failure:
            # Nothing is lost: ``create_sent`` was stored before any create left, and the
            # entry is simply due again once its lease is gone.
            log.warning("lead %s: attempt not recorded (%s)", entry.id, failure_cause(failure))
            recorded = True
        if not recorded:
            log.info("lead %s: its chat was forgotten; not retried", entry.id)
            return await self._report(DeliveryReport(entry, Delivery.FORGOTTEN, lead))
        return await self._report(DeliveryReport(entry, Delivery.RETRYING, lead))

    async def _fail(
        self, entry: OutboxEntry, lead: LeadCreationRequest, why: str
    ) -> DeliveryReport:
        log.error("lead %s not delivered: %s", entry.id, why)
        stored = await self._store_result(entry.id, LeadStatus.FAILED, None, why)
        return await self._report(
            DeliveryReport(entry, Delivery.FAILED, lead, detail=why, forgotten=not stored)
        )

    async def _report(self, report: DeliveryReport) -> DeliveryReport:
        if self._metrics is not None:
            self._metrics.lead(report.result.value, studio=report.entry.studio)
        if report.entry.id in self._dropped:
            final = report.result is not Delivery.RETRYING
            campaign = (self._dropped.pop if final else self._dropped.get)(report.entry.id)
            report = replace(report, dropped_campaign=campaign)
        if self._on_delivered is not None:
            try:
                await self._on_delivered(report)
            except Exception:
                log.exception("delivery listener failed for lead %s", report.entry.id)
        return report

    # --- background worker ---------------------------------------------------------------------

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="outbox")

    async def stop(self, grace: float = 5.0) -> None:
        """Let first attempts in flight finish for ``grace`` seconds; an entry cut short stays
        pending and is retried, validate first, after the restart."""
        if self._soon:
            await asyncio.wait(set(self._soon), timeout=grace)
            for task in self._soon:
                task.cancel()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def _measure(self) -> None:
        if self._metrics is None:
            return
        now = self._clock()
        pending, oldest_due = await self._storage.outbox_stats(now)
        self._metrics.outbox_depth.set(pending)
        self._metrics.outbox_oldest_due.set(0.0 if oldest_due is None else now - oldest_due)

    async def run_due(self) -> int:
        """Attempt every due entry no other attempt holds; returns how many were attempted."""
        now = self._clock()
        due = await self._storage.claim_due_leads(now, BATCH, self._owner, now + self._policy.lease)
        # An attempt of this process still on an entry (its lease ran out under a moved clock,
        # or its result waits for the database) keeps it: the claim only renewed its lease.
        fresh = [entry for entry in due if entry.id not in self._in_flight]
        self._in_flight.update(entry.id for entry in fresh)
        await asyncio.gather(*(self._attempt_fresh(entry) for entry in fresh))
        return len(fresh)

    async def _attempt_fresh(self, entry: OutboxEntry) -> DeliveryReport:
        try:
            return await self._attempt_claimed(entry)
        finally:
            self._in_flight.discard(entry.id)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_due()
                await self._measure()
            except Exception:
                log.exception("outbox pass failed")
            await asyncio.sleep(self._policy.poll_interval)
