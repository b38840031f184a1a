"""The one exception a storage backend raises when the database fails under it.

Whatever the backend (SQLite full or unwritable, PostgreSQL gone), callers see
``StorageUnavailable`` with the database's own message, so the handlers can leave an update to be
redelivered and an operator reads what went wrong. The message is the database's about itself
(``database or disk is full``, ``connection refused``), never a statement's parameters, so no
prospect's data can reach a log through it.
"""

from __future__ import annotations


class StorageUnavailable(Exception):
    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause

    def __str__(self) -> str:
        return self.cause


def failure_cause(exc: BaseException) -> str:
    """What a log line may say of ``exc``: a database failure with the database's own message
    (the operator's first question is why), anything else by its type alone (its text may
    quote a prospect's data)."""
    if isinstance(exc, StorageUnavailable):
        return f"{type(exc).__name__}: {exc.cause}"
    return type(exc).__name__
