"""Durable storage, selected by ``DATABASE_URL``: SQLite by default, PostgreSQL on PaaS add-ons."""

from bot.storage.base import LeadStatus, OutboxEntry, Storage, open_storage

__all__ = ["LeadStatus", "OutboxEntry", "Storage", "open_storage"]
