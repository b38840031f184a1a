"""Updates the bot could not store, so that Telegram is made to deliver them again.

python-telegram-bot hands a handler's exception to the error handler, not to whoever fed the
update in; the error handler notes the update here when the store failed under it, and the
webhook (answering 5xx) or the poller (not confirming it) reads the note once processing ended.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.storage import StorageUnavailable


class UnstoredUpdates:
    """Also told when an update *is* stored, before its replies go out: the poller then confirms
    it to Telegram at once instead of after the sending (rate-limited, seconds at worst)."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self.on_stored: Callable[[int], None] | None = None

    def stored(self, update_id: int) -> None:
        if self.on_stored is not None:
            self.on_stored(update_id)

    def note(self, update_id: int) -> None:
        self._ids.add(update_id)

    def take(self, update_id: int) -> bool:
        """Whether the update was left unstored; the note is gone afterwards."""
        if update_id in self._ids:
            self._ids.discard(update_id)
            return True
        return False


def storage_failure(error: BaseException | None) -> StorageUnavailable | None:
    """The store's failure behind ``error``, if that is what it was (possibly wrapped)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, StorageUnavailable):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
