"""``POST /perfectgym/webhook``: the HTTP side of :class:`~bot.events.receiver.EventReceiver`,
served on the bot's web port next to ``/health`` (bot/telegram/webhook.py takes it as a route)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tornado.web

from bot.events.receiver import EventReceiver

PATH = "/perfectgym/webhook"
API_KEY_HEADER = "x-api-key"
# The answers that refuse a request: anyone may send those, so the web server counts them
# (one line a minute) instead of a line for each.
REFUSED = frozenset({401, 413, 400})


class _EventHandler(tornado.web.RequestHandler):
    def initialize(self, receiver: EventReceiver, refused: Callable[[int], None]) -> None:
        self._receiver = receiver
        self._refused = refused

    async def post(self) -> None:
        answer = await self._receiver.receive(
            self.request.headers.get(API_KEY_HEADER), self.request.body
        )
        self.set_status(answer.status)
        self.finish()

    def on_finish(self) -> None:
        if self.get_status() in REFUSED:
            self._refused(self.get_status())

    def log_exception(self, typ: object, value: object, tb: object) -> None:
        """Nothing of the request in the log (its body may name a customer)."""


def route(receiver: EventReceiver, refused: Callable[[int], None]) -> tuple[Any, ...]:
    """The tornado route of the endpoint, for the web server the runtime starts; ``refused``
    hears the status of each refusal (``RefusalLog.perfectgym``)."""
    return (PATH, _EventHandler, {"receiver": receiver, "refused": refused})
