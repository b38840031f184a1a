"""Who the studio is: its information from PerfectGym (cached, with the environment's fallback) and its own texts."""
