"""One run at a time per workspace: ``draft`` and ``send`` hold ``.newsletter/run.lock``.

An OS-level lock (``flock``) is released by the kernel when the process dies, so a
crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import LockedError
from .state import STATE_DIR


@contextmanager
def workspace_lock(workspace: Path, command: str) -> Iterator[None]:
    """Hold the workspace's run lock, or raise :class:`LockedError` at once."""
    path = workspace / STATE_DIR / "run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another run"
            raise LockedError(
                f"{path}: the workspace is busy ({holder}); try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"newsletter {command}, pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.close(fd)
