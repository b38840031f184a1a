"""A chain of studios served by one bot: which studios (``roster``), and which one a deep link
chose (``links``)."""
