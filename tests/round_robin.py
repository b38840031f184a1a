"""A round-robin HTTP proxy on 127.0.0.1, as a PaaS router spreads webhook requests over the
instances of an app (aiohttp, keep-alive on both sides)."""

from __future__ import annotations

import itertools
from collections import Counter
from types import TracebackType

import aiohttp
from aiohttp import web


class RoundRobinProxy:
    def __init__(self, targets: list[str]) -> None:
        self._targets = itertools.cycle(targets)
        self._pinned: str | None = None
        self.served: Counter[str] = Counter()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pin(self, target: str | None) -> None:
        """Send every request to ``target`` (a sticky session) until pinned to None."""
        self._pinned = target

    async def __aenter__(self) -> RoundRobinProxy:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._runner.cleanup()
        await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        target = self._pinned or next(self._targets)
        self.served[target] += 1
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() not in ("host", "content-length", "connection")
        }
        async with self._session.request(
            request.method, target + request.path_qs, data=await request.read(), headers=headers
        ) as answer:
            body = await answer.read()
            return web.Response(
                status=answer.status,
                body=body,
                content_type=answer.content_type if body else None,
            )
