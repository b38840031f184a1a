"""The PerfectGym test double: the demo stand-in plus scripted faults."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime
import hmac
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, cast

from tornado.http1connection import HTTP1Connection
from tornado.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from tornado.iostream import StreamClosedError

from bot.standin.leads import (
    PerfectGymStandIn,
    StandInReply,
    StandInRequest,
    read_request,
    write_reply,
)
from bot.standin.trials import TrialStudio

BOOKINGS = frozenset({"class_book", "appointment_book"})


@dataclass
class Hold:
    """A request kept waiting: ``arrived`` is set when it comes in, and it is answered (for
    real) once the test sets ``released``."""

    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Trickle:
    """An answer sent slowly: headers at once, then the body a byte every ``interval`` seconds.
    ``started`` is set with the headers; ``ended`` once the body is out or the client left."""

    interval: float
    started: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    completed: bool = False


@dataclass
class InFlight:
    """Requests being answered now and the most at once; one may be shared by several fakes
    (the tenants of a chain) to see the concurrency across all of them."""

    now: int = 0
    peak: int = 0


class FakePerfectGym(PerfectGymStandIn):
    """Faults are queued per endpoint ("config", "validate", "create", "studio",
    "membership_offers" (served from ``offers``; None answers 403), or a trial-offer endpoint
    of ``TRIAL_ROUTES``: "class_offers", "class_slots", "class_validate", "class_book",
    "appointment_slots", "appointment_book", "confirm", ...) and used up in order.

    ``calls`` counts requests per endpoint; a fault may also hang up without answering. The
    trial studio (``trials``) can be changed directly; the switches below cover the cases a
    real studio produces on its own: a key without the trial scopes, a slot someone else takes
    between listing and booking, a customer the studio refuses, a booking answer that is lost.

    Each instance is one tenant (its own key and port): a chain is several of them. With
    ``rate_limit_per_minute`` it counts the requests its key makes per endpoint in each minute
    of ``rate_clock`` and, once over, answers 429 with ``Retry-After`` (the rest of that minute)
    as the vendor does. ``arrivals`` is every request as (endpoint, ``rate_clock`` time).
    """

    def __init__(
        self,
        config: dict[str, Any],
        api_key: str,
        *,
        latency: float = 0.0,
        trials: TrialStudio | None = None,
        rate_limit_per_minute: int | None = None,
        rate_clock: Callable[[], float] = time.time,
        in_flight: InFlight | None = None,
    ) -> None:
        super().__init__(config, api_key, trials=trials)
        self.latency = latency
        self.rate_limit_per_minute = rate_limit_per_minute
        self.rate_clock = rate_clock
        self.in_flight = InFlight() if in_flight is None else in_flight
        self.arrivals: list[tuple[str, float]] = []
        # Requests per (endpoint, minute number) of ``rate_clock``.
        self._counted: collections.Counter[tuple[str, int]] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.queries: list[tuple[str, dict[str, str]]] = []
        # Where each request came from, (endpoint, (ip, port)) as it arrived: which process
        # sent a request the fake holds.
        self.peers: list[tuple[str, tuple[str, int]]] = []
        # Every answer given: (endpoint, status, body), for the contract test.
        self.responses: list[tuple[str, int, bytes]] = []
        # Indexes into ``responses`` of the answers ``fail_next`` scripted (not the stand-in's).
        self.injected: set[int] = set()
        self._failures: dict[str, collections.deque[StandInReply]] = collections.defaultdict(
            collections.deque
        )
        self._hangs: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self._lost_creates: collections.deque[bool] = collections.deque()
        self._holds: dict[str, collections.deque[Hold]] = collections.defaultdict(collections.deque)
        self._trickles: dict[str, collections.deque[Trickle]] = collections.defaultdict(
            collections.deque
        )
        self.duplicates_match = True
        self._lost_bookings: collections.deque[bool] = collections.deque()
        self._takes: dict[str, int] = collections.Counter()
        self._stopping = asyncio.Event()
        # Set while answers flow; cleared by ``hold`` until ``release``.
        self._released = asyncio.Event()
        self._released.set()
        self._held: collections.Counter[str] = collections.Counter()
        self._held_more = asyncio.Event()

    def set_config(self, config: dict[str, Any]) -> None:
        self.config = config

    def fail_next(
        self,
        endpoint: str,
        status: int,
        body: str | bytes | None = None,
        times: int = 1,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``status`` with ``body`` (default: a vendor ErrorBody) instead of the real thing."""
        if body is None:
            body = json.dumps({"errorMessage": "Injected failure", "errorCode": f"FAKE_{status}"})
        raw = body.encode() if isinstance(body, str) else body
        reply = _Injected(status, raw, tuple((headers or {}).items()))
        self._failures[endpoint].extend([reply] * times)

    def clear_failures(self, endpoint: str) -> None:
        """Drop the failures ``fail_next`` still has in store for ``endpoint``."""
        self._failures[endpoint].clear()

    def hang_next(self, endpoint: str, seconds: float) -> None:
        """Delay the next answer on ``endpoint`` (cut short, unanswered, if the fake stops)."""
        self._hangs[endpoint].append(seconds)

    def hold_next(self, endpoint: str) -> Hold:
        """Keep the next request on ``endpoint`` waiting until the test releases it."""
        hold = Hold()
        self._holds[endpoint].append(hold)
        return hold

    def trickle_next(self, endpoint: str, interval: float) -> Trickle:
        """Give the next answer on ``endpoint`` for real (a create creates the lead), but send
        its body a byte every ``interval`` seconds: each read is quick, the whole is not."""
        trickle = Trickle(interval)
        self._trickles[endpoint].append(trickle)
        return trickle

    def match_duplicates(self, matching: bool) -> None:
        """Off: a studio whose duplicate check does not recognise the person, so validate says
        POSSIBLE and create makes another lead for an e-mail it already has."""
        self.duplicates_match = matching

    def _check(self, lead: dict[str, Any]) -> None:
        if self.duplicates_match:
            super()._check(lead)
            return
        created, self.created = self.created, []
        try:
            super()._check(lead)
        finally:
            self.created = created

    def hold(self) -> None:
        """Hold every answer from now on until ``release``: PerfectGym as slow as a test needs it
        to be, without a clock (a held answer is cut short, unanswered, if the fake stops)."""
        self._released.clear()

    def release(self) -> None:
        """Answer what ``hold`` held, and everything after it at once."""
        self._released.set()

    async def holding(self, endpoint: str, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Returns once a request to ``endpoint`` is held by ``hold`` (the timeout only guards
        against a hung test)."""
        async with asyncio.timeout(timeout):
            while not self._held[endpoint]:
                self._held_more.clear()
                await self._held_more.wait()

    def create_then_fail(self, times: int = 1, *, hang_up: bool = False) -> None:
        """Record the lead for real, then answer 500 or (``hang_up``) drop the connection."""
        self._lost_creates.extend([hang_up] * times)

    def lack_trial_scopes(self, lacking: bool = True) -> None:
        """Answer 403 on all twelve trial-offer operations, as for a leads-only key."""
        self.trial_scopes = not lacking

    def take_slot_before(self, step: str = "validate", times: int = 1) -> None:
        """Just before the next ``step`` ("validate" or "book") of a class or appointment, someone
        else takes the slot named in its body (places and waiting list, or the coach)."""
        if step not in ("validate", "book"):
            raise ValueError("step is validate or book")
        self._takes[step] += times

    def refuse_customers(self, *customer_ids: int) -> None:
        """The studio refuses these customers (everyone if none given): NO_CONTINGENT."""
        if customer_ids:
            self.trials.refused.update(customer_ids)
        else:
            self.trials.refuse_everyone = True

    def book_then_fail(self, times: int = 1, *, hang_up: bool = False) -> None:
        """Make the booking for real, then answer 500 or (``hang_up``) drop the connection."""
        self._lost_bookings.extend([hang_up] * times)

    def advance_clock(self, delta: datetime.timedelta) -> None:
        """Move the trial studio's time (confirmation terms, booking windows) by ``delta``."""
        clock = self.trials.clock
        self.trials.clock = lambda: clock() + delta

    async def go_down(self) -> None:
        await self.stop()

    async def come_up(self) -> None:
        await self.start()

    async def stop(self) -> None:
        self._stopping.set()
        await super().stop()
        self._stopping.clear()

    async def _serve(self, request: HTTPServerRequest) -> None:
        self.in_flight.now += 1
        self.in_flight.peak = max(self.in_flight.peak, self.in_flight.now)
        try:
            await self._serve_counted(request)
        finally:
            self.in_flight.now -= 1

    async def _serve_counted(self, request: HTTPServerRequest) -> None:
        incoming = read_request(request)
        if incoming.endpoint is not None:
            self.calls[incoming.endpoint] += 1
        address = getattr(cast(HTTP1Connection, request.connection).context, "address", None)
        if isinstance(address, tuple):
            self.peers.append((incoming.endpoint or incoming.path, (address[0], address[1])))
        try:
            reply = self._over_rate_limit(incoming) or await self._respond_or_hang_up(incoming)
        except Exception:
            reply = StandInReply.error(500, "Unexpected system error.", "INTERNAL_ERROR")
        if reply is None:
            cast(HTTP1Connection, request.connection).stream.close()
        else:
            if isinstance(reply, _Injected):
                self.injected.add(len(self.responses))
            endpoint = incoming.endpoint or incoming.path
            self.responses.append((endpoint, reply.status, reply.body))
            if self._trickles[endpoint]:
                await self._trickle(request, reply, self._trickles[endpoint].popleft())
            else:
                write_reply(request, reply)

    def _over_rate_limit(self, request: StandInRequest) -> StandInReply | None:
        """The vendor's limit per key and endpoint: a 429 for the rest of the minute once the
        key has made more than ``rate_limit_per_minute`` calls of the endpoint in it."""
        endpoint = request.endpoint or request.path
        now = self.rate_clock()
        self.arrivals.append((endpoint, now))
        if self.rate_limit_per_minute is None or not _same_key(request.api_key, self._api_key):
            return None
        minute = math.floor(now / 60)
        self._counted[endpoint, minute] += 1
        if self._counted[endpoint, minute] <= self.rate_limit_per_minute:
            return None
        self.requests.append((endpoint, _json_object(request.body)))
        self.queries.append((endpoint, dict(request.query)))
        rest = max(1, math.ceil((minute + 1) * 60 - now))
        reply = StandInReply.error(429, "Access denied - rate limit is exceeded.", "RATE_LIMITED")
        return StandInReply(reply.status, reply.body, (("Retry-After", str(rest)),))

    async def _trickle(self, request: HTTPServerRequest, reply: StandInReply, how: Trickle) -> None:
        connection = cast(HTTP1Connection, request.connection)
        headers = HTTPHeaders(
            {"Content-Type": "application/json", "Content-Length": str(len(reply.body))}
        )
        start = ResponseStartLine("HTTP/1.1", reply.status, HTTPStatus(reply.status).phrase)
        try:
            connection.write_headers(start, headers)
            how.started.set()
            for index in range(len(reply.body)):
                if not await self._pause(how.interval):
                    return
                await connection.write(reply.body[index : index + 1])
            connection.finish()
            how.completed = True
        except StreamClosedError:
            pass
        finally:
            how.ended.set()

    async def _respond_or_hang_up(self, request: StandInRequest) -> StandInReply | None:
        endpoint = request.endpoint or request.path
        self.requests.append((endpoint, _json_object(request.body)))
        self.queries.append((endpoint, dict(request.query)))
        if self.latency and not await self._pause(self.latency):
            return None
        if self._hangs[endpoint] and not await self._pause(self._hangs[endpoint].popleft()):
            return None
        if not self._released.is_set() and not await self._held_back(endpoint):
            return None
        if self._holds[endpoint]:
            hold = self._holds[endpoint].popleft()
            hold.arrived.set()
            if not await self._released_or_stopped(hold.released):
                return None  # the fake stopped first: the request goes unanswered
        if self._failures[endpoint]:
            return self._failures[endpoint].popleft()
        self._take_slot(endpoint, request.body)
        reply = await super().respond(request)
        lost = endpoint == "create" and reply is not None and reply.status == 200
        if lost and self._lost_creates:
            hang_up = self._lost_creates.popleft()
            return None if hang_up else StandInReply.error(500, "Lost.", "FAKE_LOST")
        if endpoint in BOOKINGS and reply.status == 200 and self._lost_bookings:
            hang_up = self._lost_bookings.popleft()
            return None if hang_up else StandInReply.error(500, "Lost.", "FAKE_LOST")
        return reply

    def _take_slot(self, endpoint: str, body: bytes) -> None:
        kind, _, step = endpoint.partition("_")
        if kind not in ("class", "appointment") or not self._takes[step]:
            return
        sent = _json_object(body)
        if kind == "class" and sent.get("classSlotId") in self.trials.class_slots:
            self.trials.take_class_slot(sent["classSlotId"])
        elif kind == "appointment" and isinstance(sent.get("startDateTime"), str):
            try:
                start = datetime.datetime.fromisoformat(sent["startDateTime"].partition("[")[0])
            except ValueError:
                return  # the stand-in answers 400 for it
            self.trials.take_appointment(start.astimezone(self.trials.zone))
        else:
            return
        self._takes[step] -= 1

    async def _pause(self, seconds: float) -> bool:
        """Sleep; False if the fake was stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
            return False
        return True

    async def _held_back(self, endpoint: str) -> bool:
        """Wait for ``release``; False if the fake was stopped meanwhile."""
        self._held[endpoint] += 1
        self._held_more.set()
        return await self._released_or_stopped(self._released)

    async def _released_or_stopped(self, released: asyncio.Event) -> bool:
        """Wait for ``released``; False if the fake was stopped first."""
        waiting = asyncio.ensure_future(released.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        stopping.cancel()
        return released.is_set()


class _Injected(StandInReply):
    """A scripted answer, which a contract check of the stand-in's own answers leaves out."""


def _same_key(sent: str | None, key: str) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode(), key.encode())


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body) if body else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
