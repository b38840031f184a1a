"""What the funnel counts: campaigns (Telegram's rule for a link's payload) and stages, buffered and stored without personal data."""
