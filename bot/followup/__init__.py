"""Reminders before a booked trial session, and the one follow-up after it (issue 26)."""
