"""What a test needs from the machine: a skip on a developer's machine, a failure in CI.

The test command (``scripts/test.sh``) installs PostgreSQL and Chromium from the distribution's
packages, so under ``CI=true`` anything missing is a broken setup, and a skip would let it pass
as green. Locally a developer may run a subset without them.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def missing(what: str) -> NoReturn:
    """Skip the test for want of ``what``, or fail it under CI=true."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run this test, but {what}")
    pytest.skip(what)


def require_tool(*names: str) -> str:
    """The path of the first of ``names`` on PATH (alternative names of one tool)."""
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    missing(f"no {' or '.join(names)} on PATH")
