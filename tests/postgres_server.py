"""A PostgreSQL server of a test module's own, to be stopped and started for real.

The shared test server (``scripts/start-postgres.sh``) serves every test; one a test stops must
be its own: a fresh cluster (``initdb``) in a temporary folder on a free loopback port, run as
the ``postgres`` OS user when the tests run as root, as the script does. Trust authentication
on 127.0.0.1 only: it is a throwaway.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.harness import free_port


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class PostgresServer:
    def __init__(self) -> None:
        bindir = _bindir()
        if bindir is None:
            pytest.skip("no PostgreSQL server binaries (pg_ctl, initdb)")
        self._bin = bindir
        self._root = Path(tempfile.mkdtemp(prefix="bot-pg-"))
        self._data = self._root / "data"
        self.port = free_port()
        self._as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        """The admin URL (database ``postgres``)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self._bin / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(
            command, check=True, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def create(self) -> None:
        if self._as_root:
            shutil.chown(self._root, "postgres")
        self._run(
            "initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust", "--no-sync",
            "--encoding=UTF8", "--no-locale",
        )  # fmt: skip
        settings = (
            f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
            f"unix_socket_directories = '{self._root}'\nfsync = off\n"
        )
        with (self._data / "postgresql.conf").open("a") as conf:
            conf.write(settings)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-l", str(self._root / "log"), "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: open sessions are ended, as a restarting server ends them."""
        self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self._root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.create()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
async def postgres_server_url(postgres_server: PostgresServer) -> str:
    """A fresh database on the module's own server, running (a test may have stopped it)."""
    if not await _accepting(postgres_server.url):
        postgres_server.start()
    name = f"test_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(postgres_server.url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return postgres_server.url.rsplit("/", 1)[0] + f"/{name}"


async def _accepting(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True
