"""Studios of a chain, as storage names them: by their id, the one studio of a single-studio
deployment by ``None`` (in a key column, where NULL cannot be, the empty string)."""

from __future__ import annotations

import re

STUDIO_ID = re.compile(r"[A-Za-z0-9_]{1,24}")
# The key of the studio whose id is None: no id matches it, so no studio can take its rows.
DEFAULT_STUDIO_KEY = ""


def checked_studio(studio: str | None) -> str | None:
    """``studio`` as given; a malformed id is a programming error, refused before it is a key."""
    if studio is not None and not STUDIO_ID.fullmatch(studio):
        raise ValueError(f"not a studio id: {studio!r}")
    return studio


def studio_key(studio: str | None) -> str:
    """The studio's value in a key column."""
    checked = checked_studio(studio)
    return DEFAULT_STUDIO_KEY if checked is None else checked
