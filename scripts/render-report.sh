#!/usr/bin/env bash
# Renders the HTML funnel report (python -m bot report --html FILE) to a PNG in headless
# Chromium, to look at or attach where HTML cannot go. The page is self-contained, so the
# browser is kept off the network (no updates, sync or component downloads) and sandboxless,
# which is what works as root in a container.
# Usage: scripts/render-report.sh REPORT.html OUT.png
# One studio of a chain: write its page first with python -m bot report --studio ID --html FILE.
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 REPORT.html OUT.png" >&2
    exit 2
fi
if [ ! -f "$1" ]; then
    echo "no such report: $1" >&2
    exit 2
fi

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$browser" ]; then
    echo "install Chromium first: apt-get install -y chromium" >&2
    exit 1
fi

page="$(realpath "$1")"
out="$(realpath -m "$2")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
rm -f "$out"

# Chromium logs harmless noise (dbus, GPU) on stderr; keep it for when no PNG comes out.
if ! "$browser" --headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$profile" --screenshot="$out" --window-size=1280,1600 \
    "file://$page" >"$profile/log" 2>&1 || [ ! -s "$out" ]; then
    cat "$profile/log" >&2
    echo "Chromium wrote no screenshot to $out" >&2
    exit 1
fi
echo "$out"
