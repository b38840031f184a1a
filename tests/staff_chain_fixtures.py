"""A chain of studios for end-to-end tests: fake PerfectGym tenants (each its own key and
studio information), the STUDIOS_FILE naming them and the environment that points the bot at
them; the staff chats are the test's to choose (as tests/test_chain.py's fixture, with chats)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import load_config

KEYS = {"camden": "key-camden-1", "manchester": "key-manchester-2", "mitte": "key-mitte-3"}

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


class ChainSetup:
    """The tenants by studio id, and the bot's environment."""

    def __init__(self, tenants: dict[str, FakePerfectGym], env: dict[str, str]) -> None:
        self.tenants = tenants
        self.env = env

    def created(self) -> dict[str, list[dict[str, Any]]]:
        return {name: list(fake.created) for name, fake in self.tenants.items()}


@contextlib.asynccontextmanager
async def chain_setup(
    tg: FakeTelegram,
    database_url: str,
    tmp_path: Path,
    *,
    chain_chat: int | None,
    studio_chats: Mapping[str, int],
    **extra: str,
) -> AsyncIterator[ChainSetup]:
    """Camden, Manchester (both asking name and e-mail) and Mitte (asking everything); the
    chain's staff chat and each studio's in ``studio_chats`` are groups the bot is in."""
    tenants: dict[str, FakePerfectGym] = {}
    try:
        for studio_id, key in KEYS.items():
            fake = FakePerfectGym(load_config("all-inactive"), key)
            await fake.__aenter__()
            fake.studio = {"studioId": len(tenants) + 1, **STUDIOS[studio_id]}
            tenants[studio_id] = fake
        tenants["mitte"].set_config(load_config("everything"))
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
            if studio_id in studio_chats:
                lines.append(f"staff_chat_id = {studio_chats[studio_id]}")
                tg.add_group(studio_chats[studio_id], f"{studio_id} staff")
        studios_file = tmp_path / "studios.toml"
        studios_file.write_text("\n".join(lines) + "\n")
        env = {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "DATABASE_URL": database_url,
            "PERFECTGYM_TIMEOUT_SECONDS": "5",
            "STUDIOS_FILE": str(studios_file),
            **{f"KEY_{studio_id.upper()}": key for studio_id, key in KEYS.items()},
            **extra,
        }
        yield ChainSetup(tenants, env)
    finally:
        for fake in tenants.values():
            await fake.__aexit__(None, None, None)
