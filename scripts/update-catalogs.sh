#!/usr/bin/env bash
# Re-extract the translatable strings and merge them into every catalog in locales/.
# New or changed strings come out untranslated or fuzzy; tests/test_catalogs.py fails until a
# translator has handled them. Compiling is optional: the bot compiles catalogs in memory at start.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
"$PYBABEL" extract -F babel.cfg -k gettext -k ngettext:1,2 --no-location --sort-output \
    --project studio-leads-bot --copyright-holder "the studio-leads-bot authors" \
    -o locales/messages.pot .
"$PYBABEL" update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete
