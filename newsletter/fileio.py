"""Atomic writes: a crash at any moment leaves either the old file or the new one.

A write is two steps, which callers that replace several files as one unit (the draft
and its snapshot, :mod:`newsletter.draft.save`) use apart: :func:`write_temp` puts the
data in a synced temp file beside the target — a full disk or a size limit fails here,
before anything the user has is touched — and :func:`replace` renames it over the
target. A failed write raises ``OSError`` naming the target, not the temp file.
A cache, which may be lost but must never be read half-written, skips the syncs
(:func:`write_cache`).

The new file gets the permissions a plain ``open()`` would give it: the old file's mode
when it replaces one, else 0666 less the umask (0644 under the usual 022), so a web
server can read the published site and co-editors the drafts. ``mkstemp`` alone would
make every file 0600. Files that hold what others must not read (cached answers of
authenticated APIs, messages addressed to subscribers) ask for ``private``: 0600.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

# The errors that say "there is no room": the disk is worth naming in the message.
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_umask_lock = threading.Lock()


def write_atomic(path: Path, data: str | bytes, private: bool = False) -> None:
    """Write ``data`` to ``path`` through a synced temp file renamed over it."""
    tmp = write_temp(path, data, private)
    try:
        replace(tmp, path)
    except BaseException:
        discard(tmp)
        raise


def write_temp(path: Path, data: str | bytes, private: bool = False) -> Path:
    """``data`` in a new, synced temp file in ``path``'s folder, with the mode ``path``
    should get; its path."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    mode = 0o600 if private else _mode_for(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _naming(error, path) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode != 0o600:
                os.fchmod(handle.fileno(), mode)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as error:
        discard(Path(tmp))
        if isinstance(error, OSError):
            raise _naming(error, path) from None
        raise
    return Path(tmp)


def replace(tmp: Path, path: Path) -> None:
    """Rename the temp file ``tmp`` over ``path`` and make the rename durable."""
    try:
        os.replace(tmp, path)
    except OSError as error:
        raise _naming(error, path) from None
    sync_dir(path.parent)


def write_cache(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file renamed over it, not synced: for a
    cache, which a crash may lose but never leaves half-written. Private (mkstemp's
    0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        discard(Path(tmp))


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process's umask. Linux tells it in /proc; elsewhere it can only be read by
    setting it, which the lock keeps from racing with another writer of ours."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def discard(tmp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


def sync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _naming(error: OSError, path: Path) -> OSError:
    """The same error, naming ``path`` (a write to an open file names no file at all)."""
    if error.errno is None:
        return error
    return type(error)(error.errno, error.strerror or str(error), str(path))


def room_note(error: OSError) -> str:
    """`` (the disk mounted at /srv has 0 B free)`` when ``error`` says there is no room
    for its file; else nothing."""
    if error.errno not in NO_ROOM or not error.filename:
        return ""
    note = disk_note(error.filename)
    if error.errno == errno.EFBIG:
        return f" (a file-size limit, ulimit -f, stopped it; {note})"
    return f" ({note})"


def disk_note(path: str | Path) -> str:
    """Which disk holds ``path`` and how much room is left there:
    ``the disk mounted at /srv has 0 B free``."""
    where = Path(os.path.abspath(path))
    while not where.exists() and where != where.parent:
        where = where.parent
    mount = where
    while not os.path.ismount(mount) and mount != mount.parent:
        mount = mount.parent
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return f"the disk mounted at {mount}"
    return f"the disk mounted at {mount} has {_size(free)} free"


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
