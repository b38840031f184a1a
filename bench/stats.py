"""Percentiles of reply latency, and the sets of updates that are compared with the floor."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.conversation import Kind
from bench.prospects import Sample


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest rank: the smallest value with at least ``p`` percent of values at or below it."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class Latencies:
    """Reply latency in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    worst: float

    @classmethod
    def of(cls, samples: Iterable[Sample]) -> Latencies:
        values = sorted(s.seconds * 1000 for s in samples)
        return cls(
            count=len(values),
            p50=percentile(values, 50),
            p95=percentile(values, 95),
            p99=percentile(values, 99),
            worst=values[-1] if values else math.nan,
        )

    def row(self, label: str) -> str:
        return (
            f"  {label:<34}{self.count:>6}  {self.p50:>8.1f}  {self.p95:>8.1f}  "
            f"{self.p99:>8.1f}  {self.worst:>8.1f}"
        )


HEADER = f"  {'reply latency, ms':<34}{'n':>6}  {'p50':>8}  {'p95':>8}  {'p99':>8}  {'max':>8}"


def comparable(samples: Iterable[Sample]) -> list[Sample]:
    """All but the confirmation, where the real bot waits for PerfectGym by design."""
    return [s for s in samples if s.kind is not Kind.CONFIRM]


def by_kind(samples: Sequence[Sample]) -> dict[Kind, Latencies]:
    return {
        kind: Latencies.of(s for s in samples if s.kind is kind)
        for kind in Kind
        if any(s.kind is kind for s in samples)
    }
