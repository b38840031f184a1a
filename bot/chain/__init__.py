"""A chain of studios served by one bot: which studios (``roster``, from STUDIOS_FILE or the
environment), one studio's tenant, directory, config and texts (``club``), the clubs together
and which of them a prospect can choose (``chain``), building them (``build``), and which club
a deep link chose (``links``)."""
