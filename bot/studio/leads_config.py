"""The studio's leads configuration, cached with a TTL and persisted as the last known good copy.

Many prospects start at once during a campaign: one fetch serves them all (single flight), and an
unreachable API falls back to the stored copy instead of turning prospects away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Protocol

from pydantic import ValidationError

from bot.perfectgym.adapter import unsatisfiable_fields
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import PerfectGymAuthError, PerfectGymError
from bot.perfectgym.models import LeadConfig
from bot.storage.cache import ConfigCache

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = 30.0


class ConfigProblem(StrEnum):
    """Why the config could not be read when last asked: what staff are told."""

    KEY_REFUSED = "PerfectGym refused the API key"  # 401, or 403 without LEAD_READ
    NO_ANSWER = "PerfectGym did not answer"  # timeouts, connection errors, 5xx


class ConfigSource(Protocol):
    async def get(self) -> LeadConfig | None: ...

    def is_fresh(self) -> bool:
        """Whether :meth:`get` answers without asking PerfectGym."""
        ...


class LeadsConfigSource:
    def __init__(
        self,
        client: PerfectGymClient,
        storage: ConfigCache,
        *,
        ttl: float,
        clock: Callable[[], float] = time.time,
        on_unsatisfiable: Callable[[tuple[int, ...]], Awaitable[None]] | None = None,
        studio: str | None = None,
    ) -> None:
        self._client = client
        self._studio = studio  # the cache's key and the logs' name; None: the one studio
        self._problem: ConfigProblem | None = None
        self._detail = ""
        self._on_unsatisfiable = on_unsatisfiable
        self._reported: tuple[int, ...] = ()
        self._storage = storage
        self._ttl = ttl
        self._clock = clock
        self._config: LeadConfig | None = None
        self._fresh_until = 0.0
        self._lock = asyncio.Lock()

    def is_fresh(self) -> bool:
        return self._config is not None and self._clock() < self._fresh_until

    def expire(self) -> None:
        """The studio changed its leads configuration (PerfectGym said so): the next
        :meth:`get` asks PerfectGym again, the copy held meanwhile still answers till then."""
        self._fresh_until = 0.0

    def report_unsatisfiable(
        self, on_unsatisfiable: Callable[[tuple[int, ...]], Awaitable[None]]
    ) -> None:
        """Who hears of a config that no lead can satisfy (staff, wired after construction)."""
        self._on_unsatisfiable = on_unsatisfiable

    def answered(self) -> bool:
        """Whether PerfectGym gave the config when last asked (not a stored or stale copy)."""
        return self._problem is None

    def problem(self) -> ConfigProblem | None:
        """Why the last fetch failed; None when it did not."""
        return self._problem

    def last_problem(self) -> str:
        """Why the last fetch failed, for logs (no key, no personal data)."""
        return f"{self._problem} ({self._detail})" if self._problem else ""

    async def get(self) -> LeadConfig | None:
        """The current config; stale or stored when the API fails; None when never seen."""
        if self._config is not None and self._clock() < self._fresh_until:
            return self._config
        async with self._lock:
            if self._config is not None and self._clock() < self._fresh_until:
                return self._config
            return await self._refresh()

    async def refresh(self) -> LeadConfig | None:
        """Ask PerfectGym now, whatever the cache says: a chain's health check of a studio out
        of the choice must learn that it is back before a cached copy runs out."""
        async with self._lock:
            return await self._refresh()

    async def _refresh(self) -> LeadConfig | None:
        try:
            config = await self._client.get_config()
        except PerfectGymAuthError as exc:
            # An ERROR when the key is first refused; each fetch after it (a chain's health
            # check asks every minute) a WARNING, until it is accepted again.
            again = self._problem is ConfigProblem.KEY_REFUSED
            self._problem, self._detail = ConfigProblem.KEY_REFUSED, str(exc)
            log.log(
                logging.WARNING if again else logging.ERROR,
                "%sPerfectGym refused the API key (%s): check %s and its "
                "LEAD_READ scope; using the last known config",
                self._prefix,
                exc,
                "its key variable" if self._studio else "PERFECTGYM_API_KEY",
            )
            return await self._fall_back()
        except PerfectGymError as exc:
            self._problem, self._detail = ConfigProblem.NO_ANSWER, str(exc)
            log.warning(
                "%sleads config fetch failed (%s); using the last known config", self._prefix, exc
            )
            return await self._fall_back()
        self._problem = None
        now = self._clock()
        self._config, self._fresh_until = config, now + self._ttl
        await self._storage.save_config(
            config.model_dump_json(by_alias=True), now, studio=self._studio
        )
        await self._check(config)
        return config

    async def _check(self, config: LeadConfig) -> None:
        """Report, once per fetched config, one that no lead can satisfy; staff hear of each
        new problem once, not at every refresh."""
        fields = unsatisfiable_fields(config)
        if fields:
            log.error(
                "the leads config asks for mandatory additional fields the bot cannot ask "
                "(unknown type, or a LIST without values): %s; no lead can be taken until the "
                "studio fixes them in PerfectGym",
                ", ".join(map(str, fields)),
            )
        if fields == self._reported:
            return
        self._reported = fields
        if fields and self._on_unsatisfiable is not None:
            try:
                await self._on_unsatisfiable(fields)
            except Exception:
                log.exception("telling the staff about the unusable leads config failed")

    async def _fall_back(self) -> LeadConfig | None:
        """Keep serving the last known config, and ask the API again only after a pause."""
        if self._config is None:
            self._config = await self._stored()
        self._fresh_until = self._clock() + RETRY_AFTER_FAILURE
        return self._config

    @property
    def _prefix(self) -> str:
        return f"studio {self._studio}: " if self._studio else ""

    async def _stored(self) -> LeadConfig | None:
        return await stored_config(self._storage, studio=self._studio)


async def stored_config(storage: ConfigCache, *, studio: str | None = None) -> LeadConfig | None:
    """The last leads config PerfectGym gave, as stored (for tools that do not call the API)."""
    stored = await storage.load_config(studio=studio)
    if stored is None:
        return None
    try:
        return LeadConfig.model_validate_json(stored[0])
    except ValidationError:
        log.error("the stored leads config no longer parses; ignoring it")
        return None
