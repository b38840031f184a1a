"""Whether the store works right now, as the backends saw it: for ``/health`` and the metrics.

A failed statement makes the store unusable until a statement that writes succeeds again: with a
full disk SQLite still answers reads, so a read's success says nothing about the next answer the
bot has to store.
"""

from __future__ import annotations

from collections.abc import Callable


class StorageHealth:
    def __init__(self, on_failure: Callable[[], None] | None = None) -> None:
        self._on_failure = on_failure
        self._cause: str | None = None

    @property
    def cause(self) -> str | None:
        """The database's message of the failure not yet followed by a successful write."""
        return self._cause

    @property
    def usable(self) -> bool:
        return self._cause is None

    def failed(self, cause: str) -> None:
        self._cause = cause
        if self._on_failure is not None:
            self._on_failure()

    def wrote(self) -> None:
        self._cause = None


def is_write(query: str) -> bool:
    """A statement that changes rows (``SELECT`` and ``PRAGMA`` reads do not)."""
    return not query.lstrip()[:6].upper().startswith(("SELECT", "PRAGMA"))
