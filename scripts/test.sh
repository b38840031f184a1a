#!/usr/bin/env bash
# The README's test command: set up everything on a fresh machine, then lint, type-check, test.
# Installs the locked dependencies into .venv, starts a throwaway PostgreSQL server (from the
# distribution's packages, when run as root and none is reachable) so storage tests run against
# both SQLite and PostgreSQL, installs Chromium likewise for the funnel report's render test, and
# fails when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
# The build tools (setuptools, Babel) are locked above: building needs no index.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .

if [ -z "${TEST_DATABASE_URL:-}" ] && [ -x scripts/start-postgres.sh ]; then
    TEST_DATABASE_URL="$(scripts/start-postgres.sh)"
    export TEST_DATABASE_URL
fi
scripts/install-chromium.sh

.venv/bin/ruff check .
.venv/bin/mypy
# Three workers (pytest-xdist) on the 2-core machine: most tests wait on real processes,
# sockets and a real database, so three at once keep both cores busy; an idle worker takes
# tests from another's queue (worksteal), so the long ones at the end leave no core waiting.
# TEST_WORKERS=0 runs them one after another.
.venv/bin/python -m pytest -n "${TEST_WORKERS:-3}" --dist worksteal "$@"
