"""The load benchmark still runs end to end: a quick run creates every lead with 2 API calls each.

Only what the run proves about behaviour is checked here, never its timings: those are
measurements, printed by ``python -m bench`` and kept in BENCHMARKS.md.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.processes import ROOT

pytestmark = pytest.mark.e2e  # a benchmark run


def test_a_quick_benchmark_run_creates_every_lead() -> None:
    run = subprocess.run(
        # PerfectGym answering at once: its latency is a measurement, not what this checks.
        [sys.executable, "-m", "bench", "--quick", "--latency", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = run.stdout
    assert "leads created                          10 / 10" in report
    assert "conversations stored in progress       50" in report
    for target in (
        "PASS  0 config calls per conversation once cached",
        "PASS  2 API calls per lead (validate + create)",
        "PASS  every prospect finished and every lead was created",
    ):
        assert target in report, report


def test_a_quick_chain_benchmark_run_gives_every_studio_its_own_leads() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--studios", "12", "--quick", "--latency", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = run.stdout
    assert "12 / 12, 12 of 12 studios got leads" in report, report
    assert "each studio its own: yes" in report, report
    assert "PASS  every studio got its own leads" in report, report
    assert "club button" in report, report  # the club question's presses were timed
