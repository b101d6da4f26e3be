"""What a draft file holds, remembered by the hash of its bytes, so that reading it
again costs a hash and a JSON load instead of a round-trip YAML parse.

ruamel's round-trip parser keeps the editor's comments at ~30 µs per YAML token: a
500-item draft takes about a second to read. Each time the draft's bytes have been
parsed and validated (or written by us, from a node we hold), the result is kept in
``.newsletter/parsed/<draft file>.json`` with the SHA-256 of those bytes:

* ``yaml`` — the file's content as plain data (what :func:`.file.to_plain` gives),
  which a re-draft merges into to learn whether anything would change;
* ``draft`` — the validated draft in its JSON form (``Draft.model_dump(mode="json")``),
  which commands that only read (``status``) use without loading pydantic or ruamel.

A record is used only while the file's bytes hash the same, so an edit by hand, by
another program or a half-written file is always parsed for real (and then recorded).
Only drafts in the workspace's ``drafts/`` folder are recorded. The record is a cache:
written atomically but not synced, and ignored when unreadable.

This module imports neither pydantic nor ruamel.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DraftError
from ..fileio import write_cache
from ..state import STATE_DIR
from .paths import DRAFTS_DIR

RECORDS_DIR = "parsed"
VERSION = 1


def digest(data: bytes) -> str:
    """The hash a draft's bytes are known by: SHA-256, hex."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Record:
    sha256: str
    yaml: Any
    draft: dict[str, Any]


def record_path(workspace: Path, path: Path) -> Path | None:
    """Where the record of the draft at ``path`` is kept, if it is one of the
    workspace's drafts."""
    try:
        inside = path.resolve().parent == (workspace / DRAFTS_DIR).resolve()
    except OSError:
        return None
    return workspace / STATE_DIR / RECORDS_DIR / f"{path.name}.json" if inside else None


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DraftError(str(path), ["no such draft; run 'newsletter draft' first"]) from None
    except OSError as error:
        raise DraftError(str(path), [f"cannot read: {error}"]) from None


def recall(workspace: Path | None, path: Path, data: bytes) -> Record | None:
    """The record of ``data`` (the draft's bytes as just read), if one was kept."""
    where = record_path(workspace, path) if workspace is not None else None
    if where is None:
        return None
    try:
        kept = json.loads(where.read_text("utf-8"))
        record = Record(str(kept["sha256"]), kept["yaml"], dict(kept["draft"]))
        if kept["version"] != VERSION:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if record.sha256 == digest(data) else None


def remember(workspace: Path | None, path: Path, data: bytes, yaml: Any, draft: Any) -> None:
    """Keep what ``data`` holds: its plain ``yaml`` and its validated ``draft`` (JSON
    form). Nothing is kept if plain data would not come back from JSON as it is."""
    where = record_path(workspace, path) if workspace is not None else None
    if where is None:
        return
    try:
        text = json.dumps(
            {"version": VERSION, "sha256": digest(data), "yaml": yaml, "draft": draft},
            ensure_ascii=False,
        )
        if json.loads(text)["yaml"] != yaml:  # e.g. a YAML set or binary value
            return
        # A lone surrogate (the editor's "\ud800") reads fine but cannot be written.
        payload = text.encode("utf-8")
    except (TypeError, ValueError):
        return
    with contextlib.suppress(OSError):  # a record that cannot be kept costs speed only
        write_cache(where, payload)


def draft_data(path: Path, workspace: Path | None = None) -> dict[str, Any]:
    """The validated draft at ``path`` in its JSON form: from the record when the file
    is unchanged, else parsed and validated (and recorded)."""
    data = read_bytes(path)
    record = recall(workspace, path, data)
    if record is not None:
        return record.draft
    from .file import load_draft

    dumped: dict[str, Any] = load_draft(path, workspace).model_dump(mode="json")
    return dumped
