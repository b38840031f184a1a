"""PostgreSQL for the benchmark: a fresh database on a real server, reached through a proxy that
adds a managed database's network delay (1 ms each way) and counts the round trips."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DELAY = 0.001


@dataclass
class LatencyProxy:
    """TCP on 127.0.0.1 to ``target``, each chunk held ``delay`` seconds in each direction.
    ``requests`` counts the chunks the bot sent: one per round trip to the server."""

    target_host: str
    target_port: int
    delay: float = DELAY
    requests: int = 0
    port: int = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        with contextlib.suppress(Exception):
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        await asyncio.gather(
            self._pump(reader, up_writer, count=True),
            self._pump(up_reader, writer, count=False),
            return_exceptions=True,
        )

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, count: bool
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if count:
                    self.requests += 1
                await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.close()


def server_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url:
        raise RuntimeError(
            "--database postgres needs a server: set BENCH_DATABASE_URL or TEST_DATABASE_URL "
            "(scripts/start-postgres.sh prints one)"
        )
    return url


@contextlib.asynccontextmanager
async def proxied_database() -> AsyncIterator[tuple[str, LatencyProxy]]:
    """A new database on the server, dropped afterwards, and its URL through the proxy."""
    base = urlsplit(server_url())
    name = f"leads_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        proxy = LatencyProxy(base.hostname or "127.0.0.1", base.port or 5432)
        await proxy.start()
        netloc = base.netloc.rsplit("@", 1)
        credentials = f"{netloc[0]}@" if len(netloc) == 2 else ""
        url = urlunsplit((base.scheme, f"{credentials}127.0.0.1:{proxy.port}", f"/{name}", "", ""))
        try:
            yield url, proxy
        finally:
            await proxy.stop()
    finally:
        with contextlib.suppress(Exception):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
