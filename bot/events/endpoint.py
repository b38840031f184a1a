"""``POST /perfectgym/webhook``: the HTTP side of :class:`~bot.events.receiver.EventReceiver`,
served on the bot's web port next to ``/health`` (bot/telegram/webhook.py takes it as a route)."""

from __future__ import annotations

from typing import Any

import tornado.web

from bot.events.receiver import EventReceiver

PATH = "/perfectgym/webhook"
API_KEY_HEADER = "x-api-key"


class _EventHandler(tornado.web.RequestHandler):
    def initialize(self, receiver: EventReceiver) -> None:
        self._receiver = receiver

    async def post(self) -> None:
        answer = await self._receiver.receive(
            self.request.headers.get(API_KEY_HEADER), self.request.body
        )
        self.set_status(answer.status)
        self.finish()

    def log_exception(self, typ: object, value: object, tb: object) -> None:
        """Nothing of the request in the log (its body may name a customer)."""


def route(receiver: EventReceiver) -> tuple[Any, ...]:
    """The tornado route of the endpoint, for the web server the runtime starts."""
    return (PATH, _EventHandler, {"receiver": receiver})
