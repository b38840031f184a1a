"""Every studio the bot serves, and which of them a prospect can choose now.

A chain's clubs load in the background with bounded concurrency (200 studios must not mean 400
requests at once at start), so the bot answers prospects meanwhile; a club whose key PerfectGym
refuses, or that does not answer, drops out of the choice with one ERROR line and one staff
message, and comes back by itself once its configuration can be read again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from bot.chain.club import Club, Standing
from bot.periodic import Periodic
from bot.studio.leads_config import ConfigProblem
from conversations.clubs import ClubCard

log = logging.getLogger(__name__)

# At most this many studios load at once at start and in each health round.
LOAD_CONCURRENCY = 8
# How long the choice's cards are reused: built on every update of a chain, they change only
# when a club's information or standing does.
CARDS_SECONDS = 5.0

OnStanding = Callable[[Club], Awaitable[None]]


class Chain:
    """The clubs by id in the roster's order (the first is the one rows without a studio
    belong to), the chain's brand and staff chat, and each club's standing."""

    def __init__(
        self,
        clubs: Sequence[Club],
        *,
        brand: str | None = None,
        staff_chat_id: int | None = None,
        health_interval: float = 60.0,
        gate: asyncio.Semaphore | None = None,
    ) -> None:
        """``gate``: what the clubs' background refreshes share with the loading and the
        health rounds."""
        if not clubs:
            raise ValueError("a chain has at least one club")
        self._clubs = {club.id: club for club in clubs}
        self._first = clubs[0]
        self.brand = brand
        self.staff_chat_id = staff_chat_id
        self._on_standing: OnStanding | None = None
        self._gate = gate or asyncio.Semaphore(LOAD_CONCURRENCY)
        self._health = Periodic("studio health check", health_interval, self.tend)
        self._loading: asyncio.Task[None] | None = None
        self._cards: tuple[ClubCard, ...] = ()
        self._cards_until = 0.0

    @property
    def is_chain(self) -> bool:
        """Whether the prospect chooses a club (a chain of one asks nothing)."""
        return len(self._clubs) > 1

    @property
    def clubs(self) -> tuple[Club, ...]:
        return tuple(self._clubs.values())

    def ids(self) -> tuple[str, ...]:
        return tuple(self._clubs)

    def club(self, studio: str | None) -> Club:
        """The club a conversation or a lead belongs to; rows from before the chain (and the
        single studio's) have none and belong to the first."""
        if studio is None:
            return self._first
        return self._clubs.get(studio) or self._first

    def find(self, studio: str | None) -> Club | None:
        return None if studio is None else self._clubs.get(studio)

    def cards(self) -> tuple[ClubCard, ...]:
        """The clubs a prospect can choose from now."""
        now = time.monotonic()
        if now >= self._cards_until:
            clubs = self._clubs.values()
            # Cards read what is known and ask for nothing: the health round refreshes.
            self._cards = tuple(c.card() for c in clubs if c.standing is not Standing.DOWN)
            self._cards_until = now + CARDS_SECONDS
        return self._cards

    def staff_chats(self, studio: str | None) -> tuple[int, ...]:
        """Where staff hear of a club's leads: its own chat, and the chain's."""
        chats = [self.club(studio).staff_chat_id, self.staff_chat_id]
        return tuple(dict.fromkeys(chat for chat in chats if chat is not None))

    def set_on_standing(self, on_standing: OnStanding) -> None:
        """Who hears of a club dropping out or coming back (the staff notices, built after
        the chain)."""
        self._on_standing = on_standing

    async def load(self) -> None:
        """Every club's information and configuration, a few at a time."""

        async def load(club: Club) -> None:
            await club.directory.start()
            await self.check(club)

        await self.each(load)

    def load_soon(self) -> None:
        """:meth:`load` in the background: prospects are answered meanwhile."""
        self._loading = asyncio.get_running_loop().create_task(self._load_quietly())

    async def _load_quietly(self) -> None:
        try:
            await self.load()
        except Exception:
            log.exception("loading the studios failed; the health check tries again")

    async def check(self, club: Club) -> None:
        """Ask for the club's leads configuration (a club out of the choice now, whatever the
        cache says); a change of standing is reported once. A club whose leads PerfectGym
        refused stays out until one of its leads goes through (:meth:`heard`)."""
        down = club.standing is Standing.DOWN
        config = await (club.config.refresh() if down else club.config.get())
        up = config is not None and club.config.answered() and not club.leads_refused
        await self.standing(club, up)

    async def tend(self) -> None:
        """The health round, every ``health_interval``, all through the one gate: every club's
        standing checked, then studio information that is due refreshed. A chain of one
        offers no choice: its round only refreshes."""
        await self.check_round()
        await asyncio.gather(*(club.directory.refresh_if_due() for club in self._clubs.values()))
        self._cards_until = 0.0

    async def check_round(self) -> None:
        """Clubs out of the choice are asked again; the others only once their cached config
        runs out (no request otherwise), so one that fell silent without a lead to show it
        drops out too. A chain of one offers no choice, and has nothing to check."""
        if not self.is_chain:
            return
        await self.each(self.check)

    async def each(self, work: Callable[[Club], Awaitable[object]]) -> None:
        """``work`` for every club, through the one gate the clubs' own refreshes share: all
        background work of a chain (loading, health, offers, trial scopes) together stays
        within LOAD_CONCURRENCY requests, however many studios."""

        async def one(club: Club) -> None:
            async with self._gate:
                await work(club)

        await asyncio.gather(*(one(club) for club in self._clubs.values()))

    async def heard(self, studio: str | None, problem: ConfigProblem | None, why: str) -> None:
        """What the outbox learnt of a club's tenant. A refused key (401/403 on validate or
        create) or no answer takes the club out of the choice at once, reported once however
        many leads wait; a lead that went through brings it back if its config is readable."""
        if not self.is_chain:
            return
        club = self.club(studio)
        if problem is None:
            club.leads_refused = False
            if club.standing is Standing.DOWN and club.config.answered():
                await self.standing(club, True)
            return
        if problem is ConfigProblem.KEY_REFUSED:
            club.leads_refused = True
        await self.standing(club, False, f"{problem} ({why})")

    async def standing(self, club: Club, up: bool, why: str = "") -> None:
        new = Standing.UP if up else Standing.DOWN
        if club.standing is new or (club.standing is Standing.UNKNOWN and up):
            club.standing = new
            return
        club.standing = new
        self._cards_until = 0.0
        if up:
            log.info("studio %s takes leads again", club.id)
        else:
            log.error(
                "studio %s is out of the choice: %s; its pending leads wait in the outbox",
                club.id,
                why or club.config.last_problem(),
            )
        if self._on_standing is not None:
            try:
                await self._on_standing(club)
            except Exception:
                log.exception("telling staff that studio %s changed standing failed", club.id)

    def start(self) -> None:
        self._health.start()

    async def close(self) -> None:
        await self._health.stop()
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
            await asyncio.gather(self._loading, return_exceptions=True)
        for club in self._clubs.values():
            await club.directory.close()
            await club.client.aclose()
