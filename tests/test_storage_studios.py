"""Storage for a chain of studios (issue 24), on SQLite and PostgreSQL alike: each studio's
caches apart, each lead with its studio, and a single-studio database upgraded in place (its
cache and its leads those of the studio ``None``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import LeadStatus, OutboxEntry, Storage, open_storage, schema
from tests.databases import BACKENDS, fresh_database_url
from tests.test_storage import catalog, create_release, release_before, run_on

NOW = 1_700_000_000.25


# --- the schema before studios, and a database of it ---------------------------------------------


def release_before_studios() -> tuple[schema.Table, ...]:
    """The tables as the release before studios described them: no ``studio_caches``, and the
    outbox without its studio (nor what came later: its campaign, the front desk's tables,
    PerfectGym's events and the customers they match, the trial reminders)."""
    return release_before(
        lambda _, column: column.name in ("studio", "campaign"),
        tables=(
            schema.STUDIO_CACHES,
            schema.STUDIO_FUNNEL_COUNTS,
            schema.THREADS,
            schema.RELAYS,
            schema.LEAD_CUSTOMERS,
            schema.PERFECTGYM_EVENTS,
            schema.TRIAL_REMINDERS,
        ),
    )


async def create_database_before_studios(url: str) -> None:
    """A database of the release before studios, with the rows its code wrote."""
    await create_release(
        url,
        release_before_studios(),
        (
            (
                "INSERT INTO config_cache (id, config, fetched_at) VALUES (1, $1, $2)",
                ('{"c": 1}', NOW),
            ),
            (
                "INSERT INTO studio_cache (id, information, fetched_at) VALUES (1, $1, $2)",
                ('{"name": "Sol"}', NOW - 60),
            ),
            (
                "INSERT INTO outbox (chat_id, payload, locale, status, next_attempt_at, "
                "created_at) VALUES (7, $1, 'de_DE', 'pending', $2, $2)",
                ('{"lead": 7}', NOW),
            ),
            (
                "INSERT INTO outbox (chat_id, payload, locale, status, next_attempt_at, "
                "created_at, lead_ref) VALUES (8, NULL, 'en', 'created', $1, $1, 'C-8')",
                (NOW - 60,),
            ),
        ),
    )


# --- caches ---------------------------------------------------------------------------------------


async def test_two_studios_caches_do_not_mix(storage: Storage) -> None:
    await storage.save_config('{"clubs": ["north"]}', NOW, studio="north")
    await storage.save_config('{"clubs": ["south"]}', NOW + 1, studio="south")
    await storage.save_studio('{"name": "North"}', NOW + 2, studio="north")
    await storage.save_cached("trial_offers", '["south trial"]', NOW + 3, studio="south")

    assert await storage.load_config(studio="north") == ('{"clubs": ["north"]}', NOW)
    assert await storage.load_config(studio="south") == ('{"clubs": ["south"]}', NOW + 1)
    assert await storage.load_studio(studio="north") == ('{"name": "North"}', NOW + 2)
    assert await storage.load_studio(studio="south") is None
    assert await storage.load_cached("trial_offers", studio="south") == ('["south trial"]', NOW + 3)
    assert await storage.load_cached("trial_offers", studio="north") is None
    # The single studio (None) is a studio of its own: none of the chain's answers are its.
    assert await storage.load_config() is None
    assert await storage.load_studio() is None
    assert await storage.load_cached("trial_offers") is None

    await storage.save_config('{"clubs": ["north", 2]}', NOW + 10, studio="north")
    await storage.save_config('{"clubs": ["one"]}', NOW + 11)
    assert await storage.load_config(studio="north") == ('{"clubs": ["north", 2]}', NOW + 10)
    assert await storage.load_config(studio="south") == ('{"clubs": ["south"]}', NOW + 1)
    assert await storage.load_config() == ('{"clubs": ["one"]}', NOW + 11)


async def test_the_config_and_studio_caches_are_kinds_of_the_generic_cache(
    storage: Storage,
) -> None:
    await storage.save_cached("config", '{"clubs": [1]}', NOW, studio="north")
    await storage.save_cached("studio", '{"name": "One"}', NOW + 1)
    assert await storage.load_config(studio="north") == ('{"clubs": [1]}', NOW)
    assert await storage.load_studio() == ('{"name": "One"}', NOW + 1)
    await storage.save_studio('{"name": "North"}', NOW + 2, studio="north")
    assert await storage.load_cached("studio", studio="north") == ('{"name": "North"}', NOW + 2)
    assert await storage.load_cached("config") is None


@pytest.mark.parametrize("studio", ["", "north-east", "x" * 25, "Zürich", "a b", "1;DROP"])
async def test_a_malformed_studio_id_is_refused_and_nothing_stored(
    storage: Storage, studio: str
) -> None:
    with pytest.raises(ValueError, match="studio id"):
        await storage.save_config("{}", NOW, studio=studio)
    with pytest.raises(ValueError, match="studio id"):
        await storage.load_cached("config", studio=studio)
    with pytest.raises(ValueError, match="studio id"):
        await storage.submit(1, "{}", None, "{}", "en", NOW, studio=studio)
    assert await storage.load_config() is None
    assert await storage.load_conversation(1) is None
    assert await storage.latest_lead(1) is None


async def test_the_longest_studio_id_is_taken(storage: Storage) -> None:
    longest = "North_Studio_2024_Berlin"
    assert len(longest) == 24
    await storage.save_config("{}", NOW, studio=longest)
    assert await storage.load_config(studio=longest) == ("{}", NOW)
    entry = await storage.submit(1, "{}", None, "{}", "en", NOW, studio=longest)
    assert entry is not None
    assert entry.studio == longest


async def test_an_upgraded_single_studio_database_keeps_its_cache(
    database_url_all_backends: str,
) -> None:
    url = database_url_all_backends
    await create_database_before_studios(url)
    storage = await open_storage(url)
    try:
        assert await storage.load_config() == ('{"c": 1}', NOW)
        assert await storage.load_studio() == ('{"name": "Sol"}', NOW - 60)
        assert await storage.load_cached("config") == ('{"c": 1}', NOW)
        # The single studio's cache is not a chain studio's.
        assert await storage.load_config(studio="north") is None

        await storage.save_config('{"c": 2}', NOW + 60)
        assert await storage.load_config() == ('{"c": 2}', NOW + 60)
        assert await storage.load_studio() == ('{"name": "Sol"}', NOW - 60)
    finally:
        await storage.close()
    # The release before, rolled back to, reads the latest config from its own table...
    await run_on(
        url,
        (
            (
                "UPDATE config_cache SET config = $1, fetched_at = $2 WHERE config = $3",
                ('{"c": "rolled back"}', NOW + 120, '{"c": 2}'),
            ),
        ),
    )
    # ...and what it wrote there since is newer than what this release wrote before.
    storage = await open_storage(url)
    try:
        assert await storage.load_config() == ('{"c": "rolled back"}', NOW + 120)
        await storage.save_config('{"c": 3}', NOW + 180)
        assert await storage.load_config() == ('{"c": 3}', NOW + 180)
    finally:
        await storage.close()


# --- the outbox -----------------------------------------------------------------------------------


async def test_outbox_entries_carry_their_studio(storage: Storage) -> None:
    north = await storage.submit(1, "{}", None, '{"lead": 1}', "de_DE", NOW, studio="north")
    single = await storage.submit(2, "{}", None, '{"lead": 2}', "en", NOW + 1)
    south = await storage.submit(3, "{}", None, '{"lead": 3}', "pl_PL", NOW + 2, studio="south")
    assert north is not None
    assert single is not None
    assert south is not None
    assert (north.studio, single.studio, south.studio) == ("north", None, "south")

    due = await storage.due_leads(NOW + 10, 10)  # across all studios
    assert [(e.id, e.studio) for e in due] == [
        (north.id, "north"),
        (single.id, None),
        (south.id, "south"),
    ]
    claimed = await storage.claim_due_leads(NOW + 10, 2, "a", NOW + 130)
    assert [(e.id, e.studio) for e in claimed] == [(north.id, "north"), (single.id, None)]
    held = await storage.claim_lead(south.id, "a", NOW + 10, NOW + 130)
    assert held is not None
    assert held.studio == "south"

    await storage.record_attempt(
        south.id, attempts=1, next_attempt_at=NOW + 70, create_sent=True, last_error="HTTP 503"
    )
    fetched = await storage.get_lead(south.id)
    assert fetched is not None
    assert (fetched.studio, fetched.attempts) == ("south", 1)
    await storage.finish_lead(north.id, LeadStatus.CREATED, "C-1", None)
    latest = await storage.latest_lead(1)
    assert latest is not None
    assert (latest.studio, latest.status, latest.payload) == ("north", LeadStatus.CREATED, None)
    latest_single = await storage.latest_lead(2)
    assert latest_single == single


async def test_a_database_before_studios_opens_and_its_leads_are_the_single_studios(
    tmp_path: Path, database_url_all_backends: str
) -> None:
    url = database_url_all_backends
    await create_database_before_studios(url)
    storage = await open_storage(url)
    try:
        pending = await storage.latest_lead(7)
        assert pending is not None
        assert pending == OutboxEntry(
            id=pending.id,
            chat_id=7,
            payload='{"lead": 7}',
            locale="de_DE",
            status=LeadStatus.PENDING,
            attempts=0,
            next_attempt_at=NOW,
            created_at=NOW,
            create_sent=False,
            last_error=None,
            lead_ref=None,
            studio=None,
        )
        created = await storage.latest_lead(8)
        assert created is not None
        assert (created.studio, created.lead_ref) == (None, "C-8")
        assert await storage.due_leads(NOW, 10) == [pending]
        assert await storage.claim_due_leads(NOW, 10, "a", NOW + 120) == [pending]
        newer = await storage.submit(9, "{}", None, "{}", "en", NOW, studio="north")
        assert newer is not None
        assert newer.id > created.id
        assert newer.studio == "north"
    finally:
        await storage.close()

    # The upgraded database is the one a new install creates.
    backend = "sqlite" if url.startswith("sqlite") else "postgres"
    async with fresh_database_url(backend, tmp_path) as new_url:
        await (await open_storage(new_url)).close()
        new = await catalog(new_url)
    assert await catalog(url) == new


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_release_before_studios_is_the_schema_less_its_studios(
    tmp_path: Path, backend: str
) -> None:
    """What the upgrade tests start from: today's schema less exactly the studio parts."""
    async with fresh_database_url(backend, tmp_path) as url:
        await create_database_before_studios(url)
        old = await catalog(url)
    assert not any("studio_caches" in repr(entry) or "'studio'" in repr(entry) for entry in old)
    assert any("config_cache" in repr(entry) for entry in old)
