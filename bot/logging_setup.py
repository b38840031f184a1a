"""Structured logs, one line per event, that can never carry the bot token or the API key.

Telegram's Bot API puts the token in every request URL, and httpx logs URLs at INFO; so the
secrets are masked in every formatted record (message, arguments and traceback) by a filter on
the handler, whatever logger produced it. httpx and httpcore are kept at WARNING because their
lines say nothing an operator needs that ours do not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sys
import time
import traceback
from collections.abc import Iterable

_chat_key = secrets.token_bytes(16)


def chat_ref(chat_id: int) -> str:
    """A short opaque stand-in for a chat id, so log lines can be correlated without it."""
    return hashlib.blake2b(str(chat_id).encode(), digest_size=4, key=_chat_key).hexdigest()


QUIET_LIBRARIES = ("httpx", "httpcore", "telegram", "tornado.access", "apscheduler")


class Masked:
    """Keeps secrets out of any text shown (PTB, for one, quotes the token it was given)."""

    def __init__(self, *secrets: str) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


class RedactingFormatter(logging.Formatter):
    """JSON lines; any known secret in the rendered text becomes ``***``."""

    def __init__(self, secret_values: Iterable[str]) -> None:
        super().__init__()
        self._redact = Masked(*secret_values)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": self._redact(record.getMessage()),
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = self._redact(_stack_without_messages(record.exc_info[1]))
        return json.dumps(entry, ensure_ascii=False)


def _stack_without_messages(exc: BaseException) -> str:
    """The traceback with exception *types* only: messages may quote a prospect's input."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        lines.append(f"{type(current).__module__}.{type(current).__qualname__}")
        lines.extend(f"  at {f.filename}:{f.lineno} in {f.name}" for f in frames)
        current = current.__cause__ or current.__context__
    return "\n".join(lines)


def configure_logging(level: str, secret_values: Iterable[str]) -> None:
    """Set up JSON logging; chat references stay stable across restarts (keyed by the secrets)."""
    global _chat_key
    values = list(secret_values)
    _chat_key = hashlib.blake2b("".join(values).encode(), digest_size=16).digest()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(values))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
