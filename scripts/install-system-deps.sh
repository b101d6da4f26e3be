#!/bin/sh
# System packages the test suite uses, installed when missing and when we may
# (root with apt). Tests that need one skip with a reason when it is absent.
set -e
need=""
command -v git >/dev/null 2>&1 || need="$need git"
# `newsletter curate` is tested in a real 80x24 terminal.
command -v tmux >/dev/null 2>&1 || need="$need tmux"
# The email's real-browser tests drive Debian's Chromium with Playwright
# (Playwright's own browser download cannot work offline). It is large, so it
# is only installed where we may install system packages at all.
[ -x /usr/bin/chromium ] || need="$need chromium"
# The public-inbox archive tests run a real public-inbox (init, mda, index, httpd).
command -v public-inbox-httpd >/dev/null 2>&1 || need="$need public-inbox"
[ -n "$need" ] || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages:$need"
  # One apt at a time on a shared machine: wait for the others' lock when flock exists.
  lock=""
  command -v flock >/dev/null 2>&1 && lock="flock /tmp/apt.lock"
  $lock apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $lock apt-get install -y -qq $need >/dev/null
else
  echo "Missing system packages (tests using them will skip):$need" >&2
fi
