"""PerfectGym Next API: the HTTP client, its wire models and date-time forms, and the adapter to the dialogue's terms."""
