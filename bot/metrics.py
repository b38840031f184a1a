"""What an operator watches (``GET /metrics``, Prometheus text format).

One registry per process, not prometheus-client's global one, so that several bots in one test
process do not add up. Labels carry outcomes, endpoints, statuses and studio ids only: never a
chat id, a name or anything else a prospect told the bot.

A chain's studios are told apart by a ``studio`` label on what happens per studio (the leads'
outcomes, the PerfectGym calls' count, whether the studio is out of the choice): the studio's
id, ``main`` for the single studio (studio id ``None``). The latency histogram keeps its labels:
per studio its buckets would be a dozen series per endpoint and status for each of 200 studios,
where the count of calls by status is what tells one studio's refused key from the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST

SINGLE_STUDIO = "main"
"""The ``studio`` label of the single studio (studio id ``None``)."""


def studio_label(studio: str | None) -> str:
    return SINGLE_STUDIO if studio is None else studio


class PerStudio:
    """A counter with ``studio`` as its last label, filled in from a keyword: its
    ``labels(*values)`` without a studio is the single studio's, as before chains."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def labels(self, *values: str, studio: str | None = None) -> Counter:
        return self.counter.labels(*values, studio_label(studio))


Standings = Callable[[], Iterable[tuple[str | None, bool]]]
"""Each studio's id and whether it is out of the prospects' choice now."""


class StudiosDown(Collector):
    """``leadsbot_studio_down{studio}``, read from the chain when scraped: 1 while a studio is
    out of the choice (its key refused, or PerfectGym not answering), else 0."""

    def __init__(self, standings: Standings) -> None:
        self._standings = standings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "leadsbot_studio_down",
            "1 while a studio is out of the prospects' choice (PerfectGym refuses its key or "
            "does not answer)",
            labels=["studio"],
        )
        for studio, down in self._standings():
            family.add_metric([studio_label(studio)], 1.0 if down else 0.0)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "leadsbot_updates",
            "Telegram updates handled (applied and answered)",
            registry=self.registry,
        )
        self.leads = PerStudio(
            Counter(
                "leadsbot_leads",
                "Delivery outcomes of confirmed leads per studio: created, duplicate, invalid, "
                "failed, retrying, forgotten",
                ["result", "studio"],
                registry=self.registry,
            )
        )
        self.outbox_depth = Gauge(
            "leadsbot_outbox_pending", "Leads waiting for delivery", registry=self.registry
        )
        self.outbox_oldest_due = Gauge(
            "leadsbot_outbox_oldest_due_age_seconds",
            "Age of the oldest lead that is due for an attempt (0 when none)",
            registry=self.registry,
        )
        self.perfectgym = Histogram(
            "leadsbot_perfectgym_request_seconds",
            "PerfectGym calls by endpoint and HTTP status (or transport error)",
            ["endpoint", "status"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=self.registry,
        )
        self.perfectgym_calls = PerStudio(
            Counter(
                "leadsbot_perfectgym_requests",
                "PerfectGym calls per studio by endpoint and HTTP status (or transport error)",
                ["endpoint", "status", "studio"],
                registry=self.registry,
            )
        )
        self.storage_failures = Counter(
            "leadsbot_storage_failures",
            "Database statements and connections that failed (unreachable, full, unwritable)",
            registry=self.registry,
        )
        self.webhook_refusals = Counter(
            "leadsbot_webhook_refusals",
            "Webhook requests refused (Telegram's and PerfectGym's), by reason",
            ["reason"],
            registry=self.registry,
        )
        self.poller = Gauge(
            "leadsbot_is_poller",
            "1 while this instance is the one calling getUpdates",
            registry=self.registry,
        )

    def lead(self, result: str, *, studio: str | None = None) -> None:
        """One confirmed lead's delivery outcome, counted for its studio."""
        self.leads.labels(result, studio=studio).inc()

    def observe_perfectgym(
        self, endpoint: str, status: str, seconds: float, *, studio: str | None = None
    ) -> None:
        """One PerfectGym call of ``studio``'s client: its time, and its count for the studio."""
        self.perfectgym.labels(endpoint, status).observe(seconds)
        self.perfectgym_calls.labels(endpoint, status, studio=studio).inc()

    def refused(self, reason: str) -> None:
        """One refused webhook request (a wrong secret or key, a body too large or malformed)."""
        self.webhook_refusals.labels(reason).inc()

    def watch_studios(self, standings: Standings) -> None:
        """Expose ``leadsbot_studio_down`` per studio, read from ``standings`` at each scrape."""
        self.registry.register(StudiosDown(standings))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
