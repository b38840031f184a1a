"""A chain of studios to run the real bot against: fake PerfectGym tenants (each its own key,
leads configuration and trial studio in its own time zone) and the STUDIOS_FILE naming them.

Shared by the chain's end-to-end tests (``tests/test_chain.py``, the tests of what follows the
lead, ``tests/test_chain_after_lead.py``, and of its staff, ``tests/test_staff_chain.py``, and the chain's tools, ``tests/test_chain_cli.py``); each
builds its fixture with :func:`fake_chain`.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.standin.trials import TrialStudio
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import load_config

KEYS = {"camden": "key-camden-1", "manchester": "key-manchester-2", "mitte": "key-mitte-3"}
CHAIN_CHAT = -1001000000001
CAMDEN_CHAT = -1001000000002
MITTE_CHAT = -1001000000003

STUDIOS: dict[str, dict[str, Any]] = {
    "camden": {
        "name": "Studio Sol Camden",
        "countryCode": "GB",
        "street": "Camden High Street",
        "houseNumber": "12",
        "zip": "NW1 8AB",
        "city": "London",
        "location": {"latitude": 51.5390, "longitude": -0.1426},
    },
    "manchester": {
        "name": "Studio Sol Manchester",
        "countryCode": "GB",
        "zip": "M1 1AA",
        "city": "Manchester",
        "location": {"latitude": 53.4808, "longitude": -2.2426},
    },
    "mitte": {
        "name": "Studio Sol Mitte",
        "countryCode": "DE",
        "zip": "10115",
        "city": "Berlin",
        "location": {"latitude": 52.5321, "longitude": 13.3849},
    },
}
# Where each studio is, as the bot reckons it from the country: its trial studio's clock too.
ZONES = {"camden": "Europe/London", "manchester": "Europe/London", "mitte": "Europe/Berlin"}


class ChainOfFakes:
    def __init__(self, tenants: dict[str, FakePerfectGym], env: dict[str, str]) -> None:
        self.tenants = tenants
        self.env = env

    def created(self) -> dict[str, list[dict[str, Any]]]:
        return {name: list(fake.created) for name, fake in self.tenants.items()}


@contextlib.asynccontextmanager
async def fake_chain(
    tg: FakeTelegram,
    database_url: str,
    tmp_path: Path,
    *,
    studios: Sequence[str] = tuple(KEYS),
    configs: Mapping[str, str] | None = None,
    staff_chats: Mapping[str, int] | None = None,
    chain_chat: int | None = CHAIN_CHAT,
    named: bool = False,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], datetime.datetime] | None = None,
    webhook_keys: Mapping[str, str] | None = None,
) -> AsyncIterator[ChainOfFakes]:
    """The tenants of ``studios`` (in the file's order: the first is the chain's first club),
    each with the ``all-inactive`` leads config unless ``configs`` names another, and its
    own staff chat where ``staff_chats`` gives one (by default Camden alone has one); the
    chain's staff chat is ``chain_chat`` (None: none); a ``named`` file names each studio
    too; ``env`` adds to the bot's environment; ``clock``, when given, is the time the trial
    studios plan their slots by and go by (the bot's, passed to ``running_bot`` too), else the
    wall clock; ``webhook_keys`` gives studios a PerfectGym webhook key (none by default)."""
    configs = configs or {}
    staff_chats = {"camden": CAMDEN_CHAT} if staff_chats is None else staff_chats
    tenants: dict[str, FakePerfectGym] = {}
    try:
        for studio_id in studios:
            zone = ZoneInfo(ZONES[studio_id])
            trials = (
                TrialStudio(zone=zone) if clock is None else TrialStudio(clock=clock, zone=zone)
            )
            fake = FakePerfectGym(
                load_config(configs.get(studio_id, "all-inactive")), KEYS[studio_id], trials=trials
            )
            await fake.__aenter__()
            fake.studio = {"studioId": len(tenants) + 1, **STUDIOS[studio_id]}
            tenants[studio_id] = fake
        lines = ['brand = "Studio Sol"']
        if chain_chat is not None:
            lines.append(f"staff_chat_id = {chain_chat}")
            tg.add_group(chain_chat, "Studio Sol staff")
        for studio_id, fake in tenants.items():
            lines += [
                "[[studio]]",
                f'id = "{studio_id}"',
                f'perfectgym_api_url = "{fake.url}"',
                f'perfectgym_api_key_env = "KEY_{studio_id.upper()}"',
            ]
            if named:
                lines.append(f'name = "{STUDIOS[studio_id]["name"]}"')
            if studio_id in (webhook_keys or {}):
                lines.append(f'perfectgym_webhook_key_env = "HOOK_{studio_id.upper()}"')
            if studio_id in staff_chats:
                lines.append(f"staff_chat_id = {staff_chats[studio_id]}")
                tg.add_group(staff_chats[studio_id], f"{STUDIOS[studio_id]['name']} staff")
        studios_file = tmp_path / "studios.toml"
        studios_file.write_text("\n".join(lines) + "\n")
        environment = {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "DATABASE_URL": database_url,
            "PERFECTGYM_TIMEOUT_SECONDS": "5",
            "STUDIOS_FILE": str(studios_file),
            **{f"KEY_{studio_id.upper()}": KEYS[studio_id] for studio_id in studios},
            **{f"HOOK_{studio_id.upper()}": key for studio_id, key in (webhook_keys or {}).items()},
            **(env or {}),
        }
        yield ChainOfFakes(tenants, environment)
    finally:
        for fake in tenants.values():
            await fake.__aexit__(None, None, None)
