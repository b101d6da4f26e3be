#!/bin/sh
# Prepares the example's generated inputs: usage  sh prepare.sh PYTHON
set -e
PYTHON="${1:-python3}"
HERE="$(dirname "$0")"
# The stats section counts commits in git repositories made here, not committed.
"$PYTHON" "$HERE/make_repos.py" "$HERE/repos"
exit 0
