#!/bin/sh
# Prepares the example's generated inputs. $1: the Python to run with (default python3).
set -e
"${1:-python3}" "$(dirname "$0")/make_mbox.py"
exit 0
