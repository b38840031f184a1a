"""Command-line tools: the terminal demo, the configuration check, campaign links and the funnel report."""
