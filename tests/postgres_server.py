"""A PostgreSQL server of one test's own, to stop and start for real while the bot runs.

The shared server of ``TEST_DATABASE_URL`` serves every test at once and must stay up, so a test
that takes the database away (a failover, a restart of the add-on) starts its own: ``initdb`` in a
fresh directory under /tmp, served on a free loopback port by the binaries under
``/usr/lib/postgresql/*/bin``, as the ``postgres`` OS user when the tests run as root (as
``scripts/start-postgres.sh`` does). It listens on 127.0.0.1 only and trusts whoever connects
there, and it is removed, data and all, when the test ends.

Use the ``postgres_server`` fixture (it skips without server binaries, and fails in CI)::

    async def test_...(postgres_server: PostgresServer) -> None:
        env = bot_environment(tg, pg, postgres_server.url)
        ...
        await postgres_server.stop()  # the bot's connections are cut, new ones refused
        await postgres_server.start()  # the same database on the same port again
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import asyncpg
import pytest

from tests.harness import free_port

DATABASE = "bot"
USER = "bot"


def server_binaries() -> Path | None:
    """The newest installed server's ``bin`` directory, or None."""
    found = [
        path
        for path in sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if (path / "initdb").exists() and (path / "pg_ctl").exists()
    ]
    found.sort(key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0)
    return found[-1] if found else None


class PostgresServer:
    """One cluster: ``start``/``stop`` it like the operating system would; ``url`` stays valid
    across restarts."""

    def __init__(self, binaries: Path, root: Path, port: int) -> None:
        self._binaries = binaries
        self._root = root
        self.port = port
        self.url = f"postgres://{USER}@127.0.0.1:{port}/{DATABASE}"
        # As root, the server must run as an unprivileged user: PostgreSQL refuses root.
        self._as_server: Sequence[str] = (
            ("runuser", "-u", "postgres", "--") if os.geteuid() == 0 else ()
        )

    @property
    def _data(self) -> Path:
        return self._root / "data"

    @classmethod
    async def create(cls) -> PostgresServer:
        """A new, running cluster with an empty database ``bot`` owned by ``bot``."""
        binaries = server_binaries()
        if binaries is None:
            if os.environ.get("CI") == "true":
                pytest.fail("CI must test PostgreSQL: no server binaries for a test's own server")
            pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql")
        root = Path(tempfile.mkdtemp(prefix="test-postgres-"))
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(root, account.pw_uid, account.pw_gid)
        server = cls(binaries, root, free_port())
        try:
            await server._run(
                "initdb",
                "-D",
                str(server._data),
                "--no-sync",
                "--encoding=UTF8",
                "--no-locale",
                f"--username={USER}",
                "--auth=trust",
            )
            await server.start()
            admin = await asyncpg.connect(f"postgres://{USER}@127.0.0.1:{server.port}/postgres")
            try:
                await admin.execute(f'CREATE DATABASE "{DATABASE}" OWNER "{USER}"')
            finally:
                await admin.close()
        except BaseException:
            await server.destroy()
            raise
        return server

    async def start(self) -> None:
        """Serve (again), and return once connections are accepted."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self._root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        await self._run(
            "pg_ctl", "-D", str(self._data), "-l", str(self._root / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    async def stop(self, mode: str = "fast") -> None:
        """Stop serving: ``fast`` ends every session at once (their connections see the server
        close them), ``immediate`` as if the machine had died."""
        await self._run("pg_ctl", "-D", str(self._data), "-m", mode, "-w", "-t", "60", "stop")

    async def destroy(self) -> None:
        if (self._data / "postmaster.pid").exists():
            await self.stop("immediate")
        shutil.rmtree(self._root, ignore_errors=True)

    def log(self) -> str:
        path = self._root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def _run(self, program: str, *args: str) -> None:
        process = await asyncio.create_subprocess_exec(
            *self._as_server,
            str(self._binaries / program),
            *args,
            cwd="/",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 120)
        if process.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({process.returncode}):\n{output.decode(errors='replace')}\n"
                f"{self.log()}"
            )


@pytest.fixture
async def postgres_server() -> AsyncIterator[PostgresServer]:
    """A PostgreSQL server of the test's own, running, removed afterwards."""
    server = await PostgresServer.create()
    try:
        yield server
    finally:
        await server.destroy()
