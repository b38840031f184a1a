"""The PerfectGym Next API client: one async client for the three leads endpoints, the studio's
information and the twelve trial-offer operations (models in ``bot.perfectgym.models`` and
``bot.perfectgym.trial_models``, failures in ``bot.perfectgym.errors``).

The client classifies every failure into one exception class and never retries: retry policy
(backoff, giving up, checking for a lead created by a lost answer) belongs to the caller's outbox.

Rate limits. Every request first spends one call of this key's ``RateBudget`` for its endpoint
(``bot.perfectgym.budget``): a call that does not fit waits, at most what its deadline leaves
beyond one timeout, else it fails at once with ``PerfectGymThrottled`` (unsent). A 429 pauses
that endpoint of this client for ``Retry-After`` (or the rest of the minute). Requests made
within a ``BackgroundGate.background()`` stretch also take one of the gate's slots.

Secrets and logging. The API key is added by an ``httpx.Auth`` flow, so it is in no client-level
header map and in no repr. What the libraries log, checked against httpx 0.28 / httpcore 1.0:

- ``httpx`` logs one INFO line per request: method, URL and status line. The key is a header, never
  part of the URL.
- ``httpcore`` logs at DEBUG connection events and request/response traces. The request appears as
  ``<Request [b'POST']>`` (method only); the response trace includes the *response* status line
  and headers. Request headers and bodies are never logged.
- httpx's exceptions carry the request object but their messages hold only the error text.

This module logs one DEBUG line per call (method, path, status, elapsed ms). Exception messages
hold method, path, status and the vendor's ``errorCode``/``reference``/``traceId``; the vendor's
``errorMessage`` stays on ``exc.error`` only, because it may quote the lead's personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import email.utils
import functools
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from types import TracebackType
from typing import Protocol, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.perfectgym import trial_models as trials
from bot.perfectgym.budget import OverBudget, RateBudget, background_gate
from bot.perfectgym.errors import (
    PerfectGymAuthError,
    PerfectGymError,
    PerfectGymProtocolError,
    PerfectGymRejected,
    PerfectGymThrottled,
    PerfectGymUnavailable,
)
from bot.perfectgym.models import (
    ErrorBody,
    LeadConfig,
    LeadCreated,
    LeadCreationRequest,
    StudioInformation,
    ValidationResult,
    ValidationStatus,
)
from bot.perfectgym.offers import MembershipOffers
from bot.settings import DEADLINE_PER_TIMEOUT

log = logging.getLogger(__name__)


class _ApiKeyAuth(httpx.Auth):
    """Adds the key per request, keeping it out of the client's header map and reprs."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-API-KEY"] = self._api_key
        yield request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(***)"


_KEY_CHARS = re.compile(r"[\x21-\x7e]+")
_SECONDS = re.compile(r"\d+(\.\d+)?")


def _normalise_base_url(base_url: str) -> str:
    """Accept the tenant base with or without a trailing ``/`` or ``/v1``."""
    base = base_url.strip().rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")].rstrip("/")
    try:
        url = httpx.URL(base)
    except httpx.InvalidURL:
        url = httpx.URL()
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("PerfectGym base_url must be an absolute http(s) URL")
    return base


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


def _error_body(content: bytes) -> ErrorBody | None:
    try:
        return ErrorBody.model_validate_json(content)
    except ValidationError:
        return None


_M = TypeVar("_M", bound=BaseModel)
_T_co = TypeVar("_T_co", covariant=True)
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every studio's client: httpx would load the CA bundle for each,
    about 80 ms and 0.85 MB apiece (200 clients built in a loop: 16 s and 170 MB), before a
    chain of 200 studios could take its first update."""
    return httpx.create_ssl_context()


class PerfectGymClient:
    """One pooled connection set per studio tenant; safe for concurrent use from one event loop.

    ``timeout`` applies to each phase (connect, write, each read, pool wait) separately, so an
    answer that trickles in a byte at a time never trips it. ``deadline`` (by default
    ``DEADLINE_PER_TIMEOUT`` times ``timeout``) bounds the whole call, the answer's last byte
    included: the outbox's lease is sized from it, so no attempt outlives its lease. The wait
    for the rate ``budget`` (one per key: by default a fresh one) is part of the deadline, and
    is cut off where the request would have less than one ``timeout`` left.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        deadline: float | None = None,
        observe: Callable[[str, str, float], None] | None = None,
        budget: RateBudget | None = None,
    ) -> None:
        """``observe(endpoint, status, seconds)`` is told of every call (metrics); a call
        refused by the budget is told as status ``throttled``."""
        if not _KEY_CHARS.fullmatch(api_key):
            raise ValueError("PerfectGym api_key must be non-empty printable ASCII without spaces")
        self._base_url = _normalise_base_url(base_url)
        self.deadline = DEADLINE_PER_TIMEOUT * timeout if deadline is None else deadline
        self.budget = RateBudget() if budget is None else budget
        self._budget_wait = max(0.0, self.deadline - timeout)
        self._observe = observe
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            auth=_ApiKeyAuth(api_key),
            headers={"Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            verify=_tls(),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._base_url!r})"

    async def get_config(self) -> LeadConfig:
        """GET /v1/leads/config (scope LEAD_READ)."""
        return await self._call("GET", "/v1/leads/config", None, LeadConfig)

    async def get_studio_information(self) -> StudioInformation:
        """GET /v1/studios/information (scope STUDIO_READ, which a leads-only key may lack)."""
        return await self._call("GET", "/v1/studios/information", None, StudioInformation)

    async def membership_offers(self) -> MembershipOffers:
        """GET /v1/memberships/membership-offers: every offer the studio has. The scope is not
        stated (likely MEMBERSHIP_READ); a key without it gets 403 (PerfectGymAuthError)."""
        return await self._call("GET", "/v1/memberships/membership-offers", None, MembershipOffers)

    async def validate(self, lead: LeadCreationRequest) -> ValidationStatus:
        """POST /v1/leads/validate (scope LEAD_WRITE): a dry run; all statuses come with 200."""
        result = await self._call(
            "POST", "/v1/leads/validate", lead.to_json_bytes(), ValidationResult
        )
        return result.status

    async def create(self, lead: LeadCreationRequest) -> LeadCreated:
        """POST /v1/leads/create (scope LEAD_WRITE). Not idempotent: see PerfectGymUnavailable."""
        return await self._call("POST", "/v1/leads/create", lead.to_json_bytes(), LeadCreated)

    # --- trial offers (scopes TRIAL_OFFER_READ / TRIAL_OFFER_WRITE; models in perfectgym_trials) --

    async def class_offers(
        self, offset: str = "0", slice_size: int = 50
    ) -> trials.TrialOfferClassesSlice:
        """GET /v1/trial-offers/bookable-trial-offers/classes (scope TRIAL_OFFER_READ): one slice
        of the classes offered as trials within the next year."""
        return await self._call(
            "GET",
            "/v1/trial-offers/bookable-trial-offers/classes",
            None,
            trials.TrialOfferClassesSlice,
            params={"offset": offset, "sliceSize": _slice_size(slice_size)},
        )

    async def appointment_offers(
        self, offset: str = "0", slice_size: int = 50
    ) -> trials.BookableTrialOfferAppointmentsSlice:
        """GET /v1/trial-offers/bookable-trial-offers/appointments/bookable (scope
        TRIAL_OFFER_READ): one slice of the bookable appointments offered as trials."""
        return await self._call(
            "GET",
            "/v1/trial-offers/bookable-trial-offers/appointments/bookable",
            None,
            trials.BookableTrialOfferAppointmentsSlice,
            params={"offset": offset, "sliceSize": _slice_size(slice_size)},
        )

    def all_class_offers(self, slice_size: int = 100) -> AsyncIterator[trials.TrialOfferClass]:
        """Every class offer, slice after slice until ``hasNext`` is false."""
        return _every_slice("class offers", lambda offset: self.class_offers(offset, slice_size))

    def all_appointment_offers(
        self, slice_size: int = 100
    ) -> AsyncIterator[trials.BookableTrialOfferAppointment]:
        """Every appointment offer, slice after slice until ``hasNext`` is false."""
        return _every_slice(
            "appointment offers", lambda offset: self.appointment_offers(offset, slice_size)
        )

    async def trial_config(self, config_id: int) -> trials.TrialOfferConfig:
        """GET /v1/trial-offers/config/{configId} (scope TRIAL_OFFER_READ). There is no list of
        configs: their ids come only from the offers' ``trialOfferConfigId``."""
        return await self._call(
            "GET",
            f"/v1/trial-offers/config/{int(config_id)}",
            None,
            trials.TrialOfferConfig,
            endpoint="/v1/trial-offers/config/{configId}",
        )

    async def class_slots(
        self, class_id: int, offset: str = "0", slice_size: int = 50
    ) -> trials.ClassSlotsSlice:
        """GET /v1/trial-offers/bookable-trial-offers/classes/{classId}/slots (scope
        TRIAL_OFFER_READ): one slice of the class's slots, from one day back to 14 days ahead
        (a window the API fixes)."""
        return await self._call(
            "GET",
            f"/v1/trial-offers/bookable-trial-offers/classes/{int(class_id)}/slots",
            None,
            trials.ClassSlotsSlice,
            params={"offset": offset, "sliceSize": _slice_size(slice_size)},
            endpoint="/v1/trial-offers/bookable-trial-offers/classes/{classId}/slots",
        )

    async def appointment_slots(
        self,
        bookable_appointment_id: int,
        start: datetime.date,
        days_ahead: int = 6,
        customer_id: int | None = None,
    ) -> list[trials.BookableAppointmentSlot]:
        """GET /v1/trial-offers/bookable-trial-offers/appointments/bookable/{id}/slots (scope
        TRIAL_OFFER_READ): the free slots from ``start`` for ``days_ahead`` days (1..6, the
        API's limit; longer spans take several calls)."""
        if not 1 <= days_ahead <= 6:
            raise ValueError("days_ahead must be 1..6")
        params: dict[str, str | int] = {
            "slotWindowStartDate": start.isoformat(),
            "daysAhead": days_ahead,
        }
        if customer_id is not None:
            params["customerId"] = int(customer_id)
        slots = await self._call(
            "GET",
            "/v1/trial-offers/bookable-trial-offers/appointments/bookable/"
            f"{int(bookable_appointment_id)}/slots",
            None,
            trials.BookableAppointmentSlots,
            params=params,
            endpoint="/v1/trial-offers/bookable-trial-offers/appointments/bookable/"
            "{bookableAppointmentId}/slots",
        )
        return slots.root

    async def validate_class_booking(
        self, request: trials.ClassSlotBookingRequest
    ) -> trials.ClassBookingValidationStatus:
        """POST /v1/trial-offers/classes/booking/validate (scope TRIAL_OFFER_WRITE): a dry run;
        every refusal comes with 200 and a status."""
        result = await self._call(
            "POST",
            "/v1/trial-offers/classes/booking/validate",
            request.to_json_bytes(),
            trials.ClassSlotBookingValidationResult,
        )
        return result.validation_status

    async def validate_appointment_booking(
        self, request: trials.AppointmentBookingRequest
    ) -> trials.AppointmentBookingValidationStatus:
        """POST /v1/trial-offers/appointments/booking/validate (scope TRIAL_OFFER_WRITE)."""
        result = await self._call(
            "POST",
            "/v1/trial-offers/appointments/booking/validate",
            request.to_json_bytes(),
            trials.AppointmentBookingValidationResult,
        )
        return result.validation_status

    async def book_class(
        self, request: trials.ClassSlotBookingRequest
    ) -> trials.ClassSlotBookingResult:
        """POST /v1/trial-offers/classes/booking/book (scope TRIAL_OFFER_WRITE). Not idempotent
        and there is no way to read a booking back: validate first (CUSTOMER_ALREADY_BOOKED
        tells a lost answer that did book)."""
        return await self._call(
            "POST",
            "/v1/trial-offers/classes/booking/book",
            request.to_json_bytes(),
            trials.ClassSlotBookingResult,
        )

    async def book_appointment(
        self, request: trials.AppointmentBookingRequest
    ) -> trials.AppointmentBookingResult:
        """POST /v1/trial-offers/appointments/booking/book (scope TRIAL_OFFER_WRITE). Not
        idempotent, as for classes."""
        return await self._call(
            "POST",
            "/v1/trial-offers/appointments/booking/book",
            request.to_json_bytes(),
            trials.AppointmentBookingResult,
        )

    async def confirm_booking(self, booking_id: int) -> trials.ConfirmationStatus:
        """POST /v1/trial-offers/bookings/{bookingId}/confirm (scope TRIAL_OFFER_WRITE), no body:
        for a BOOKED_WITH_CONFIRMATION_REQUIRED booking; EXPIRED once its term has passed."""
        result = await self._call(
            "POST",
            f"/v1/trial-offers/bookings/{int(booking_id)}/confirm",
            None,
            trials.BookingConfirmationResult,
            endpoint="/v1/trial-offers/bookings/{bookingId}/confirm",
        )
        return result.status

    async def validate_trial_lead(
        self, request: trials.TrialLeadRequest
    ) -> trials.TrialLeadValidationStatus:
        """POST /v1/trial-offers/lead/validate (scope TRIAL_OFFER_WRITE). The bot makes its
        leads through /v1/leads/create; this exists for completeness of the vendor layer."""
        result = await self._call(
            "POST",
            "/v1/trial-offers/lead/validate",
            request.to_json_bytes(),
            trials.TrialLeadValidationResult,
        )
        return result.validation_status

    async def create_trial_lead(self, request: trials.TrialLeadRequest) -> trials.TrialLeadCreated:
        """POST /v1/trial-offers/lead/create (scope TRIAL_OFFER_WRITE). Not idempotent."""
        return await self._call(
            "POST",
            "/v1/trial-offers/lead/create",
            request.to_json_bytes(),
            trials.TrialLeadCreated,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        content: bytes | None,
        model: type[_M],
        *,
        params: Mapping[str, str | int] | None = None,
        endpoint: str | None = None,
    ) -> _M:
        """``params`` go in the query; ``endpoint`` (the path template, ids left out) names the
        call in metrics so that ids never become label values."""
        response = await self._send(method, path, content, params=params, endpoint=endpoint)
        return _parse(method, path, response, model)

    async def _send(
        self,
        method: str,
        path: str,
        content: bytes | None,
        *,
        params: Mapping[str, str | int] | None = None,
        endpoint: str | None = None,
    ) -> httpx.Response:
        gate = background_gate()
        async with contextlib.nullcontext() if gate is None else gate.slot():
            return await self._send_in_budget(
                method, path, content, params=params, label=f"{method} {endpoint or path}"
            )

    async def _send_in_budget(
        self,
        method: str,
        path: str,
        content: bytes | None,
        *,
        params: Mapping[str, str | int] | None,
        label: str,
    ) -> httpx.Response:
        """``label`` names the endpoint for the budget and metrics (path template, no ids)."""
        where = f"{method} {path}"
        try:
            waited = await self.budget.take(label, max_wait=self._budget_wait)
        except OverBudget as exc:
            log.debug("%s -> throttled for %.1f s", where, exc.wait)
            if self._observe is not None:
                self._observe(label, "throttled", 0.0)
            raise PerfectGymThrottled(
                f"{where}: over this key's rate budget", retry_after=exc.wait
            ) from None
        headers = None if content is None else {"Content-Type": "application/json"}
        outcome: int | str = "-"
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.deadline - waited):
                response = await self._http.request(
                    method, path, content=content, headers=headers, params=params
                )
            outcome = response.status_code
        except TimeoutError as exc:
            # The request may have been sent and acted on: a create must be checked before
            # it is sent again, like after a lost answer.
            outcome = "deadline"
            raise PerfectGymUnavailable(
                f"{where}: no complete answer within {self.deadline:g} s", maybe_processed=True
            ) from exc
        except httpx.TransportError as exc:
            outcome = type(exc).__name__
            raise PerfectGymUnavailable(
                f"{where}: {outcome}", maybe_processed=not isinstance(exc, _NEVER_SENT)
            ) from exc
        except httpx.RequestError as exc:
            outcome = type(exc).__name__
            raise PerfectGymProtocolError(f"{where}: {outcome}") from exc
        finally:
            elapsed = time.perf_counter() - started
            log.debug("%s %s -> %s in %.0f ms", method, path, outcome, elapsed * 1000)
            if self._observe is not None:
                self._observe(label, str(outcome), elapsed)
        if response.status_code == 429:
            self.budget.pause(label, _retry_after(response.headers.get("Retry-After")))
        _raise_for_status(where, response)
        return response


def _slice_size(size: int) -> int:
    """The API's sliceSize bounds (10..100); outside them it would answer 400."""
    if not 10 <= size <= 100:
        raise ValueError("slice_size must be 10..100")
    return size


def _next_offset(what: str, current: str, following: str) -> str:
    """A slice that says there is more but does not move on would be asked for forever."""
    if following == current:
        raise PerfectGymProtocolError(f"{what}: hasNext with an unchanged offset")
    return following


class _Slice(Protocol[_T_co]):
    """A sliced result: ``offset`` is where the next slice starts."""

    @property
    def result(self) -> Sequence[_T_co]: ...

    @property
    def has_next(self) -> bool: ...

    @property
    def offset(self) -> str: ...


async def _every_slice(
    what: str, fetch: Callable[[str], Awaitable[_Slice[_T_co]]]
) -> AsyncIterator[_T_co]:
    offset = "0"
    while True:
        page = await fetch(offset)
        for item in page.result:
            yield item
        if not page.has_next:
            return
        offset = _next_offset(what, offset, page.offset)


def _raise_for_status(where: str, response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    error = _error_body(response.content)
    if status in (401, 403):
        raise PerfectGymAuthError(where, status=status, error=error)
    # 409 "Concurrent modification detected" is the vendor's own "try again": like a 5xx,
    # the request may or may not have taken effect, so a retry validates first.
    if status in (408, 409, 429) or status >= 500:
        raise PerfectGymUnavailable(
            where,
            status=status,
            error=error,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            maybe_processed=status >= 500 or status == 409,
        )
    if 400 <= status < 500:
        raise PerfectGymRejected(where, status=status, error=error)
    raise PerfectGymError(f"{where}: unexpected status, check the base URL", status=status)


def _parse(method: str, path: str, response: httpx.Response, model: type[_M]) -> _M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_input=False, include_context=False)
        raise PerfectGymProtocolError(
            f"{method} {path}: {_describe(problems)}", status=response.status_code
        ) from None


def _describe(problems: list[ErrorDetails]) -> str:
    """Where the body broke the schema, without echoing any of its values."""
    if any(problem["type"] == "json_invalid" for problem in problems):
        return "body is not valid JSON"
    return "body does not match the schema: " + "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or '$'} {problem['type']}"
        for problem in problems[:5]
    )
