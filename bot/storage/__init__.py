"""Durable storage, selected by ``DATABASE_URL``: SQLite by default, PostgreSQL on PaaS add-ons."""

from bot.storage.base import ChatMessages, LeadStatus, OutboxEntry, Storage

__all__ = ["ChatMessages", "LeadStatus", "OutboxEntry", "Storage", "open_storage"]


async def open_storage(url: str) -> Storage:
    # Imported here, so a SQLite deployment never loads asyncpg.
    if url.startswith(("postgres://", "postgresql://")):
        from bot.storage.postgres import PostgresStorage

        return await PostgresStorage.connect(url)
    from bot.storage.sqlite import SqliteStorage

    return SqliteStorage.open(url)
