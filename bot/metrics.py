"""What an operator watches (``GET /metrics``, Prometheus text format).

One registry per process, not prometheus-client's global one, so that several bots in one test
process do not add up. Labels carry outcomes, endpoints and statuses only: never a chat id, a
name or anything else a prospect told the bot.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "leadsbot_updates",
            "Telegram updates handled (applied and answered)",
            registry=self.registry,
        )
        self.leads = Counter(
            "leadsbot_leads",
            "Delivery outcomes of confirmed leads: created, duplicate, invalid, failed, retrying, forgotten",
            ["result"],
            registry=self.registry,
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
        self.storage_failures = Counter(
            "leadsbot_storage_failures",
            "Database statements and connections that failed (unreachable, full, unwritable)",
            registry=self.registry,
        )
        self.poller = Gauge(
            "leadsbot_is_poller",
            "1 while this instance is the one calling getUpdates",
            registry=self.registry,
        )

    def observe_perfectgym(self, endpoint: str, status: str, seconds: float) -> None:
        self.perfectgym.labels(endpoint, status).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
