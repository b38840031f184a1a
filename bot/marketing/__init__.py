"""Marketing on top of the intake: the funnel report for staff, campaign links, the one reminder and retention."""
