"""Locks of a workspace, both ``flock`` on files under ``.newsletter/``.

* The **run lock** (``run.lock``): one ``draft``, ``send`` or ``publish --mark`` at a
  time. A second run does not wait: it stops at once with :class:`LockedError`.
* The **draft lock** (``draft.lock``): held only while a draft file is compared with
  what its writer read and replaced (milliseconds; see :mod:`newsletter.draft.save`).
  Writers wait for it, so ``curate`` saving while ``draft`` commits just waits a moment.

An OS-level lock is released by the kernel when the process dies, so a crash never
leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import LockedError
from .state import STATE_DIR

# How long a draft writer waits for another one to finish replacing the file. The lock
# is held for milliseconds, so running into this means something is badly stuck.
DRAFT_LOCK_WAIT = 30.0

_held: set[Path] = set()


@contextmanager
def workspace_lock(workspace: Path, command: str) -> Iterator[None]:
    """Hold the workspace's run lock, or raise :class:`LockedError` at once."""
    path = workspace / STATE_DIR / "run.lock"
    with _locked(path, command, wait=0.0):
        yield


@contextmanager
def draft_lock(workspace: Path, command: str, wait: float = DRAFT_LOCK_WAIT) -> Iterator[None]:
    """Hold the lock under which draft files are compared and replaced.

    Waits up to ``wait`` seconds for another writer. Re-entrant within a process (a
    second ``flock`` on a new descriptor would wait for ourselves)."""
    path = (workspace / STATE_DIR / "draft.lock").absolute()
    if path in _held:
        yield
        return
    with _locked(path, command, wait):
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)


@contextmanager
def _locked(path: Path, command: str, wait: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                    raise LockedError(
                        f"{path}: the workspace is busy ({holder or 'another run'}); "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"newsletter {command}, pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.close(fd)
