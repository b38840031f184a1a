"""PerfectGym's webhook events (issue 26): taken on ``POST /perfectgym/webhook``, stored at once
and answered, processed afterwards: a check-in or a contract of a customer the bot created
counts in the funnel, a trial booking cancelled or moved is passed on to ``BookingEvents``, a
deleted customer is silenced, and studio changes refresh the cached studio information."""
