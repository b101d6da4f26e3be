"""Saving the draft without losing anyone's edit.

Several programs write the same draft: ``newsletter draft`` (from cron, merging for
seconds), ``curate``, ``edit``, ``approve``, and the editor saving the YAML by hand.
Each reads the file, works on it, then writes. Every write of ours is a compare and
swap: the new text goes to a synced temp file first (the slow part, and where a full
disk fails, before anything changes); then, under the draft lock
(:func:`newsletter.lock.draft_lock`), the file on disk is hashed and compared with the
hash of what the writer read, and only if they match is the temp file renamed over it.
Otherwise nothing is written and the writer hears so: ``draft`` merges again against
the saved file, ``curate`` and ``edit`` ask what to do, ``approve`` refuses.
The version replaced is kept as ``<draft>.bak`` (a hard link to it when the file
system allows: an editor writing in place at that very moment writes into the backup,
not into nothing).

The draft and its gathered snapshot (the base of the next re-draft's three-way merge,
:mod:`.merge`) are one unit. The snapshot records the hash of the draft it belongs to
and of the draft that draft replaced, and a pair is committed in three renames: the
snapshot to ``<issue>.next.json``, the draft (the commit point), then ``.next.json``
over ``<issue>.json``. Whoever reads the pair after a crash between two renames
settles it by the draft's hash (:func:`load_bases`): the new draft's → the commit
happened; the replaced draft's → it did not; neither (the file was saved by hand
since) → both snapshots are candidate bases, and a field equal to either one counts
as untouched by the editor.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from ..errors import DraftError, WriteError
from ..fileio import discard, replace, room_note, sync_dir, write_atomic, write_temp
from ..lock import draft_lock
from ..model import Draft
from .paths import snapshot_path
from .record import digest

_KEPT = "the draft is as it was"
_PAIR_KEPT = "the draft and its gathered snapshot are as they were"


@dataclass(frozen=True)
class DraftOnDisk:
    """A draft file's bytes as one read saw them (``None``: there was no file)."""

    path: Path
    data: bytes | None

    @cached_property
    def digest(self) -> str | None:
        return None if self.data is None else digest(self.data)

    @property
    def text(self) -> str:
        if self.data is None:
            raise DraftError(str(self.path), ["no such draft; run 'newsletter draft' first"])
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DraftError(str(self.path), [f"cannot read: {error}"]) from None


def read_current(path: Path) -> DraftOnDisk:
    """Read the draft once: its text and the hash a later save compares with."""
    try:
        return DraftOnDisk(path, path.read_bytes())
    except FileNotFoundError:
        return DraftOnDisk(path, None)
    except OSError as error:
        raise DraftError(str(path), [f"cannot read: {error.strerror or error}"]) from None


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def save_draft(workspace: Path, path: Path, text: str, expected: str | None, command: str) -> bool:
    """Replace the draft with ``text`` if it is still what the caller read (its hash is
    ``expected``; ``None``: there was no file). False, with nothing written, if not."""
    return _swap(workspace, command, path, expected, _prepare(path, text, path), path)


def save_pair(
    workspace: Path, path: Path, text: str, gathered: Draft, expected: str | None
) -> bool:
    """Replace the draft with ``text`` and its snapshot with ``gathered``, both or
    neither, if the draft is still what the caller read (see :func:`save_draft`)."""
    snapshot = snapshot_path(workspace, gathered.issue)
    pending = _pending(snapshot)
    record = _snapshot_record(digest(text.encode("utf-8")), expected, gathered)
    draft_tmp = _prepare(path, text, path, _PAIR_KEPT)
    try:
        snapshot_tmp = _prepare(pending, record, path, _PAIR_KEPT)
    except WriteError:
        discard(draft_tmp)
        raise
    committed = False
    try:
        with draft_lock(workspace, "draft"):
            if _digest_now(path) != expected:
                return False
            _backup(path)
            replace(snapshot_tmp, pending)
            try:
                replace(draft_tmp, path)
            except OSError:
                discard(pending)
                raise
            committed = True
            replace(pending, snapshot)
    except OSError as error:
        if committed:
            raise  # the pair is settled by the next read (load_bases)
        raise _unwritten(error, path, _PAIR_KEPT) from error
    finally:
        discard(draft_tmp)
        discard(snapshot_tmp)
    return True


def save_snapshot(workspace: Path, path: Path, gathered: Draft, expected: str) -> bool:
    """Replace the snapshot alone with ``gathered``, the draft staying as it is, if it is
    still what the caller read (a re-draft whose merge changed nothing in the file)."""
    snapshot = snapshot_path(workspace, gathered.issue)
    tmp = _prepare(snapshot, _snapshot_record(expected, expected, gathered), path)
    return _swap(workspace, "draft", path, expected, tmp, snapshot)


def _swap(
    workspace: Path, command: str, path: Path, expected: str | None, tmp: Path, target: Path
) -> bool:
    """Under the draft lock, if the draft at ``path`` still hashes ``expected``, rename
    the prepared ``tmp`` over ``target`` (over the draft itself: keeping the version it
    replaces as the backup). The temp file is gone afterwards either way."""
    try:
        with draft_lock(workspace, command):
            if _digest_now(path) != expected:
                return False
            if target == path:
                _backup(path)
            replace(tmp, target)
    except OSError as error:
        raise _unwritten(error, path) from error
    finally:
        discard(tmp)
    return True


def _snapshot_record(draft: str, replaces: str | None, gathered: Draft) -> str:
    return (
        f'{{"draft_sha256": {json.dumps(draft)}, "replaces": {json.dumps(replaces)}, '
        f'"gathered": {gathered.model_dump_json()}}}'
    )


class _Record(NamedTuple):
    draft: str | None
    """The hash of the draft this snapshot was written with."""
    replaces: str | None
    """The hash of the draft that draft replaced (None: it was the first)."""
    gathered: Draft


def load_bases(workspace: Path, issue: str, current: str | None) -> list[Draft]:
    """The gathered snapshot the draft (whose hash is ``current``) was merged from: one
    draft, or two when a crash left that unknowable (see the module docstring), or none.
    Settles a pair a crash left half-renamed."""
    snapshot = snapshot_path(workspace, issue)
    pending = _pending(snapshot)
    last = _read_record(snapshot)
    bases = [last.gathered] if last else []
    upcoming = _read_record(pending)
    if upcoming is None:
        return bases
    if current is not None and current == upcoming.draft:
        with contextlib.suppress(OSError):
            replace(pending, snapshot)  # finish the commit that was under way
        return [upcoming.gathered]
    if current == upcoming.replaces:
        discard(pending)  # the draft was never replaced: forget the half-done commit
        sync_dir(pending.parent)
        return bases
    return [upcoming.gathered, *bases]


def _pending(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name.removesuffix(".json") + ".next.json")


def _read_record(path: Path) -> _Record | None:
    try:
        data = json.loads(path.read_bytes())
        if isinstance(data, dict) and "gathered" in data:
            return _Record(
                data.get("draft_sha256"),
                data.get("replaces"),
                Draft.model_validate(data["gathered"]),
            )
        return _Record(None, None, Draft.model_validate(data))  # written before the hashes
    except (OSError, ValueError):
        return None


def _prepare(target: Path, text: str, draft: Path, kept: str = _KEPT) -> Path:
    try:
        return write_temp(target, text)
    except OSError as error:
        raise _unwritten(error, draft, kept) from error


def _digest_now(path: Path) -> str | None:
    try:
        return digest(path.read_bytes())
    except FileNotFoundError:
        return None


def _backup(path: Path) -> None:
    """Keep the version about to be replaced as ``<draft>.bak``."""
    if not path.exists():
        return
    bak = backup_path(path)
    link = bak.with_name(f".{bak.name}.{os.getpid()}.link")
    discard(link)
    try:
        os.link(path, link)
    except OSError:  # a file system without hard links: copy it
        write_atomic(bak, path.read_bytes())
        return
    try:
        replace(link, bak)
    finally:
        discard(link)


def _unwritten(error: OSError, draft: Path, kept: str = _KEPT) -> WriteError:
    where = error.filename or draft
    what = error.strerror or str(error)
    return WriteError(f"cannot write {where}: {what}{room_note(error)}; {kept}")
