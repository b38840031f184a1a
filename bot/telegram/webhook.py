"""Webhook mode: a small HTTP server for Telegram's pushes and the platform's health checks.

Not python-telegram-bot's built-in server, for three reasons: it has no health endpoint, it
answers Telegram before the update is processed (a crash then loses an update Telegram will not
resend), and its body size is not limited. Here an update is answered only once processed
(through the same per-chat update processor as polling), so Telegram redelivers on a crash and
the conversation's update id makes the redelivery harmless. An update the bot could not store
(the database away) is answered 503 for the same reason: Telegram delivers it again later.

Refused requests (a wrong secret, a body too large, a body that is not an update) are counted
and logged in one line a minute (``refusals.py``); ``/metrics`` may require a bearer token.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import tornado.routing
import tornado.web
from telegram import Bot, Update
from tornado.httpserver import HTTPServer

from bot.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from bot.metrics import Metrics
from bot.storage import StorageHealth
from bot.telegram.application import AnyApplication
from bot.telegram.refusals import Refusal, RefusalLog
from bot.telegram.unstored import UnstoredUpdates

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
# A refused body up to this size is read and dropped so that the connection stays usable.
DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Liveness = Callable[[], str | None]
"""Why the bot cannot take updates now (polling stopped), or None while it can."""
# What each refusal of a webhook request is counted as.
REFUSALS = {403: Refusal.WRONG_SECRET, 413: Refusal.TOO_LARGE, 400: Refusal.NOT_AN_UPDATE}


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    """Checks the secret before the body is used, refuses bodies over the limit with 413 and
    any body that is not an update object with 400.

    A refused request still leaves its connection in a known state, so a keep-alive client's
    next request on it is served: a body of up to ``DRAIN_LIMIT_BYTES`` is read and thrown
    away before the refusal is sent (the connection stays open); a larger one, or a malformed
    length, is refused at once with ``Connection: close`` (a client that sent
    ``Expect: 100-continue`` has sent no body yet) and the connection is closed.
    """

    def initialize(
        self,
        bot_application: AnyApplication,
        secret: str,
        unstored: UnstoredUpdates,
        refusals: RefusalLog,
    ) -> None:
        self._application = bot_application
        self._secret = secret
        self._unstored = unstored
        self._refusals = refusals
        self._body = bytearray()
        self._refusal: int | None = None

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            self._refusal = 403
        declared = self.request.headers.get("Content-Length")
        if declared is None:  # chunked: data_received counts
            return
        if not declared.isdigit() or int(declared) > DRAIN_LIMIT_BYTES:
            self._refuse_and_close(self._refusal or 413)
        elif int(declared) > MAX_BODY_BYTES:
            self._refusal = self._refusal or 413

    def _refuse_and_close(self, status: int) -> None:
        # Tornado closes a connection whose request body was not read, but only says so in the
        # response when it knew before the headers went out.
        self.set_status(status)
        self.set_header("Connection", "close")
        self.finish()

    def data_received(self, chunk: bytes) -> None:
        if self._refusal is None and len(self._body) + len(chunk) > MAX_BODY_BYTES:
            self._refusal = 413
            self._body.clear()
        if self._refusal is None:
            self._body.extend(chunk)

    async def post(self) -> None:
        if self._refusal is not None:
            raise tornado.web.HTTPError(self._refusal)
        update = _update_of(bytes(self._body), self._application.bot)
        if update is None:
            raise tornado.web.HTTPError(400)
        app = self._application
        await app.update_processor.process_update(update, app.process_update(update))
        if self._unstored.take(update.update_id):
            raise tornado.web.HTTPError(503)  # the body was read: the connection stays usable
        self.set_status(200)
        self.finish()

    def on_finish(self) -> None:
        refusal = REFUSALS.get(self.get_status())
        if refusal is not None:
            self._refusals.refused(refusal)

    def log_exception(self, typ: object, value: object, tb: object) -> None:
        if isinstance(value, tornado.web.HTTPError):
            return
        log.error("webhook handler failed: %s", type(value).__name__)


def _update_of(body: bytes, bot: Bot) -> Update | None:
    """The update ``body`` carries, or None for anything else: Telegram always sends an object
    with an integer ``update_id``, and python-telegram-bot fails on other shapes in ways of its
    own (AttributeError on a list or a string where it expects an object)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    try:
        return Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


class _HealthHandler(tornado.web.RequestHandler):
    """200 while the bot can store what it is told and take updates; 503 with the reason (the
    database's own, or why polling stopped) when not."""

    def initialize(self, health: StorageHealth | None, liveness: Liveness | None) -> None:
        self._health = health
        self._liveness = liveness

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        cause = self._health.cause if self._health is not None else None
        if cause is not None:
            self.set_status(503)
            self.finish({"status": "unavailable", "reason": f"storage: {cause}"})
            return
        stuck = self._liveness() if self._liveness is not None else None
        if stuck is not None:
            self.set_status(503)
            self.finish({"status": "unavailable", "reason": stuck})
            return
        self.finish({"status": "ok"})


def webhook_path(webhook_url: str) -> str:
    return urlsplit(webhook_url).path or "/"


class _MetricsHandler(tornado.web.RequestHandler):
    """Prometheus text format; nothing in it names a chat or a prospect, but the studio's
    business figures are in it: with a token, only a scraper that sends it sees them."""

    def initialize(self, metrics: Metrics, token: str | None) -> None:
        self._metrics = metrics
        self._token = token

    def get(self) -> None:
        if self._token is not None and not self._authorized(self._token):
            self.set_status(401)
            self.set_header("WWW-Authenticate", 'Bearer realm="metrics"')
            self.finish()
            return
        self.set_header("Content-Type", METRICS_CONTENT_TYPE)
        self.finish(self._metrics.exposition())

    def _authorized(self, token: str) -> bool:
        scheme, _, given = self.request.headers.get("Authorization", "").partition(" ")
        # Compared in constant time, so the answer's timing tells nothing of the token.
        matches = hmac.compare_digest(given.strip().encode(), token.encode())
        return scheme.lower() == "bearer" and matches


class HealthServer:
    """``GET /health`` (and ``routes``, e.g. PerfectGym's webhook, and ``/metrics`` when given
    ``metrics``): a polling bot on a platform that expects its web process to bind ``$PORT`` (a
    PaaS stops a web process that never does), or the metrics port of its own."""

    def __init__(
        self,
        *,
        port: int,
        host: str = "0.0.0.0",
        metrics: Metrics | None = None,
        metrics_token: str | None = None,
        health: StorageHealth | None = None,
        liveness: Liveness | None = None,
        routes: Sequence[tornado.routing.Rule | tuple[Any, ...]] = (),
        refusals: RefusalLog | None = None,
    ) -> None:
        """``routes``: more endpoints on the same port (PerfectGym's webhook); ``refusals``:
        where refused requests are counted (shared with those routes), else a log of its own;
        ``metrics``: None to serve no ``/metrics`` here (the runtime decides where it is
        served)."""
        self._metrics = metrics
        self._metrics_token = metrics_token
        self._health = health
        self._liveness = liveness
        self._extra = list(routes)
        self.refusals = refusals or RefusalLog()
        self._app = tornado.web.Application(self._routes(), log_function=lambda handler: None)
        self._host = host
        self._port = port
        self._server: HTTPServer | None = None

    def _routes(self) -> list[tornado.routing.Rule | tuple[Any, ...]]:
        routes: list[tornado.routing.Rule | tuple[Any, ...]] = [
            *self._extra,
            ("/health", _HealthHandler, {"health": self._health, "liveness": self._liveness}),
        ]
        if self._metrics is not None:
            routes.append(
                (
                    "/metrics",
                    _MetricsHandler,
                    {"metrics": self._metrics, "token": self._metrics_token},
                )
            )
        return routes

    async def start(self) -> None:
        self._server = HTTPServer(self._app, max_body_size=DRAIN_LIMIT_BYTES, xheaders=True)
        self._server.listen(self._port, self._host)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
        self.refusals.close()


class WebhookServer(HealthServer):
    """Telegram's pushes on the webhook URL's path, and ``GET /health``."""

    def __init__(
        self,
        application: AnyApplication,
        *,
        webhook_url: str,
        secret: str,
        port: int,
        host: str = "0.0.0.0",
        metrics: Metrics | None = None,
        metrics_token: str | None = None,
        health: StorageHealth | None = None,
        unstored: UnstoredUpdates | None = None,
        routes: Sequence[tornado.routing.Rule | tuple[Any, ...]] = (),
        refusals: RefusalLog | None = None,
    ) -> None:
        refusals = refusals or RefusalLog()
        self._hook = (
            webhook_path(webhook_url),
            _UpdateHandler,
            {
                "bot_application": application,
                "secret": secret,
                "unstored": unstored or UnstoredUpdates(),
                "refusals": refusals,
            },
        )
        super().__init__(
            port=port,
            host=host,
            metrics=metrics,
            metrics_token=metrics_token,
            health=health,
            routes=routes,
            refusals=refusals,
        )

    def _routes(self) -> list[tornado.routing.Rule | tuple[Any, ...]]:
        return [self._hook, *super()._routes()]
