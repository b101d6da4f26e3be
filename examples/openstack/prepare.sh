#!/bin/sh
# Prepares the example's generated inputs: usage  sh prepare.sh [PYTHON]
set -e
PYTHON="${1:-python3}"
HERE="$(dirname "$0")"
# The stats section counts commits in git repositories made here, not committed.
"$PYTHON" "$HERE/make_repos.py" "$HERE/repos"
# The developer list's archive (also committed; a test checks the two agree).
"$PYTHON" "$HERE/make_mbox.py"
