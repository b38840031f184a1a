#!/usr/bin/env bash
# Makes sure a Chromium is on PATH for the funnel report's render test (scripts/render-report.sh),
# as start-postgres.sh does for PostgreSQL: as root it installs Debian's `chromium` package when
# no chromium, chromium-browser or google-chrome is found. Otherwise it only says so; the render
# test then skips locally and fails under CI=true (tests/required.py), and so does this script.
set -euo pipefail

say() { echo "install-chromium: $*" >&2; }
die() {
    say "error: $*"
    exit 1
}

found() {
    local name
    for name in chromium chromium-browser google-chrome; do
        command -v "$name" >/dev/null 2>&1 && return 0
    done
    return 1
}

found && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing Chromium from the distribution's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 chromium >&2 \
        || die "apt-get install chromium failed"
    found || die "no chromium on PATH after installing the package"
elif [ "${CI:-}" = "true" ]; then
    die "no chromium on PATH and cannot install it (needs root and apt-get)"
else
    say "no chromium on PATH: the report's render test will be skipped"
fi
