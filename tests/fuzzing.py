"""How many examples a property test tries, per tier.

The full suite (the CI and README command) tries each test's own number. The fast tier
(``pytest -m "not e2e"``) loads the ``fast`` profile in ``tests/conftest.py`` and tries a quarter
of it: quick feedback while working, with the full suite behind it for the rest.
"""

from __future__ import annotations

from hypothesis import settings

FAST = "fast"
HYPOTHESIS_DEFAULT = 100  # what a test without its own number tries in the full suite
settings.register_profile(FAST, max_examples=HYPOTHESIS_DEFAULT // 4)


def examples(full: int) -> int:
    """``full`` in the full suite; the loaded profile's share of it in the fast tier."""
    return max(1, full * settings().max_examples // HYPOTHESIS_DEFAULT)
