"""The studio's leads configuration, cached with a TTL and persisted as the last known good copy.

Many prospects start at once during a campaign: one fetch serves them all (single flight), and an
unreachable API falls back to the stored copy instead of turning prospects away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from pydantic import ValidationError

from bot.perfectgym import LeadConfig, PerfectGymAuthError, PerfectGymClient, PerfectGymError
from bot.storage import Storage

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = 30.0


class ConfigSource(Protocol):
    async def get(self) -> LeadConfig | None: ...

    def is_fresh(self) -> bool:
        """Whether :meth:`get` answers without asking PerfectGym."""
        ...


class LeadsConfigSource:
    def __init__(
        self,
        client: PerfectGymClient,
        storage: Storage,
        *,
        ttl: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._storage = storage
        self._ttl = ttl
        self._clock = clock
        self._config: LeadConfig | None = None
        self._fresh_until = 0.0
        self._lock = asyncio.Lock()

    def is_fresh(self) -> bool:
        return self._config is not None and self._clock() < self._fresh_until

    async def get(self) -> LeadConfig | None:
        """The current config; stale or stored when the API fails; None when never seen."""
        if self._config is not None and self._clock() < self._fresh_until:
            return self._config
        async with self._lock:
            if self._config is not None and self._clock() < self._fresh_until:
                return self._config
            return await self._refresh()

    async def _refresh(self) -> LeadConfig | None:
        try:
            config = await self._client.get_config()
        except PerfectGymAuthError as exc:
            log.error(
                "PerfectGym refused the API key (%s): check PERFECTGYM_API_KEY and its "
                "LEAD_READ scope; using the last known config",
                exc,
            )
            return await self._fall_back()
        except PerfectGymError as exc:
            log.warning("leads config fetch failed (%s); using the last known config", exc)
            return await self._fall_back()
        now = self._clock()
        self._config, self._fresh_until = config, now + self._ttl
        await self._storage.save_config(config.model_dump_json(by_alias=True), now)
        return config

    async def _fall_back(self) -> LeadConfig | None:
        """Keep serving the last known config, and ask the API again only after a pause."""
        if self._config is None:
            self._config = await self._stored()
        self._fresh_until = self._clock() + RETRY_AFTER_FAILURE
        return self._config

    async def _stored(self) -> LeadConfig | None:
        stored = await self._storage.load_config()
        if stored is None:
            return None
        try:
            return LeadConfig.model_validate_json(stored[0])
        except ValidationError:
            log.error("the stored leads config no longer parses; ignoring it")
            return None
