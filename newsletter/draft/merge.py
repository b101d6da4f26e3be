"""Re-drafting: merge what was gathered now into the draft the editor has been editing.

Three versions meet: the draft as the editor left it, the items as they were gathered
last time (the snapshot, ``.newsletter/gathered/<issue>.json``) and the items gathered
now. A field the editor did not touch takes the new value; a field the editor changed
keeps the editor's; new items are added; an item that vanished from its source is
dropped unless the editor changed it or added it by hand.

The editor may save the draft while it is being merged: the merge is written only if
the file is still what was read, else it is done again into the saved file
(:func:`write_draft`, :mod:`.save`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import ConflictError, DraftError
from ..lock import draft_lock
from ..model import Draft, Section
from .file import (
    ITEM_KEYS,
    draft_header,
    draft_node,
    dump,
    fast_dump,
    item_data,
    item_node,
    parse_text,
    section_node,
    to_plain,
    validate_node,
    yaml_scalar,
)
from .paths import draft_path
from .record import recall, remember
from .save import DraftOnDisk, load_bases, read_current, save_pair, save_snapshot

# Tries to merge optimistically (the file may change meanwhile; we then merge again);
# the last one holds the draft lock from reading to writing, so only a hand save
# landing in every try can stop a run.
ATTEMPTS = 4
# A draft that does not parse may be one an editor is writing in place right now:
# look again after this long before calling it broken.
SETTLE_SECONDS = 0.5


def write_draft(
    workspace: Path, gathered: Draft, progress: Callable[[str], None] | None = None
) -> tuple[Path, str]:
    """Write the gathered draft, merged into an existing one; returns (path, action):
    ``created``, ``updated``, or ``unchanged`` when the merge changes nothing (then the
    file is not rewritten).

    If the file is saved by someone else while it is being merged, merges again with
    the saved version (its edits win, as any editor's do). ``progress`` hears what
    happens, in words."""
    say = progress or (lambda _message: None)
    path = draft_path(workspace, gathered.issue)
    relative = path.relative_to(workspace).as_posix()
    for attempt in range(1, ATTEMPTS + 1):
        holding = draft_lock(workspace, "draft") if attempt == ATTEMPTS else nullcontext()
        with holding:
            current = read_current(path)
            if current.data is None:
                node, action = draft_node(gathered, relative), "created"
                text = fast_dump(node, draft_header(gathered, relative))
            else:
                read = current.digest or ""
                bases = load_bases(workspace, gathered.issue, read)
                if _unchanged(workspace, current, bases, gathered):
                    if _same_gathered(bases, gathered) or save_snapshot(
                        workspace, path, gathered, read
                    ):
                        return path, "unchanged"
                    say(f"{relative} was saved meanwhile; merging into the saved version")
                    continue
                count = sum(len(section.items) for section in gathered.sections)
                say(f"Merging {count} gathered item(s) into {relative}")
                try:
                    node = parse_text(current.text, str(path))
                    validate_node(node, str(path))  # never merge into a draft we cannot read
                except DraftError:
                    time.sleep(SETTLE_SECONDS)
                    if attempt == ATTEMPTS or read_current(path).digest == current.digest:
                        raise
                    say(f"{relative} is being saved; reading it again")
                    continue
                merge(node, bases, gathered)
                action, text = "updated", dump(node)
            if save_pair(workspace, path, text, gathered, current.digest):
                _remember(workspace, path, text.encode("utf-8"), node)
                return path, action
        say(f"{relative} was saved while being merged; merging again into the saved version")
    raise ConflictError(
        f"{path}: saved by another program during each of {ATTEMPTS} merges; nothing was "
        "written — run 'newsletter draft' again"
    )


def _unchanged(
    workspace: Path, current: DraftOnDisk, bases: Sequence[Draft], gathered: Draft
) -> bool:
    """Whether merging ``gathered`` would leave the draft as it is, found without YAML:
    the same merge on a copy of the plain data its record holds (:mod:`.record`).
    False when there is no record of these bytes."""
    record = recall(workspace, current.path, current.data or b"")
    if record is None or not isinstance(record.yaml, dict):
        return False
    merged = _copy(record.yaml)
    merge(merged, bases, gathered)
    return bool(merged == record.yaml)


def _same_gathered(bases: Sequence[Draft], gathered: Draft) -> bool:
    """Whether the snapshot already holds exactly ``gathered``."""
    return len(bases) == 1 and bases[0].model_dump_json() == gathered.model_dump_json()


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_copy(inner) for inner in value]
    return value


def _remember(workspace: Path, path: Path, written: bytes, node: CommentedMap) -> None:
    """Record what the file now holds (:mod:`.record`), so the next read of it and
    the next re-draft need no YAML parser."""
    plain = to_plain(node)
    try:
        draft = Draft.model_validate(plain)
    except ValueError:
        return  # left to the next reader to parse and report
    remember(workspace, path, written, plain, draft.model_dump(mode="json"))


def _json(value: Any) -> Any:
    return json.loads(json.dumps(to_plain(value), default=str))


def _three_way(node: dict[str, Any], key: str, bases: Sequence[Any], new: Any) -> None:
    """Take ``new`` unless the editor changed ``node[key]`` away from the base (from
    every candidate base, when there are two)."""
    if key not in node:
        node[key] = yaml_scalar(new)
        return
    if any(_same(node[key], base) for base in bases) and not _same(node[key], new):
        node[key] = yaml_scalar(new)


def _same(yaml_value: Any, value: Any) -> bool:
    if isinstance(yaml_value, str) and isinstance(value, str):
        return yaml_value.rstrip("\n") == value.rstrip("\n")
    if yaml_value == value:  # the usual answer, without two JSON round trips
        return True
    mine = _json(yaml_value)
    if isinstance(mine, str) and isinstance(value, str):
        return mine.rstrip("\n") == value.rstrip("\n")
    return bool(mine == _json(value))


def merge(node: dict[str, Any], bases: Sequence[Draft], new: Draft) -> None:
    """Fold ``new`` into the editor's ``node`` in place (see the module docstring).

    ``bases`` are what was gathered when the draft was last written: one snapshot, or
    two when a crash left it unknown which (:func:`.save.load_bases`), or none.
    ``approved`` is left as the editor's: if the merge changes the content, its digest
    no longer matches and the draft counts as not approved (newsletter.approval)."""
    _three_way(node, "title", [base.title for base in bases], new.title)
    window = node.get("window")
    if isinstance(window, dict):  # a CommentedMap, or plain data (write_draft's check)
        window["start"] = new.window.start.isoformat()
        window["end"] = new.window.end.isoformat()
    sections = node.setdefault("sections", CommentedSeq())
    by_id = {str(s.get("id")): s for s in sections if isinstance(s, dict)}
    base_sections = [{s.id: s for s in base.sections} for base in bases]
    for section in new.sections:
        existing = by_id.get(section.id)
        if existing is not None:
            olds = [found[section.id] for found in base_sections if section.id in found]
            _merge_section(existing, olds, section, bool(bases))
    # A section new to the config goes where the config puts it.
    added = {s.id: section_node(s) for s in new.sections if s.id not in by_id}
    _insert_in_order(sections, added, [s.id for s in new.sections])


def _merge_section(
    node: dict[str, Any], bases: list[Section], new: Section, have_base: bool
) -> None:
    _three_way(node, "title", [base.title for base in bases], new.title)
    _three_way(node, "intro", [base.intro for base in bases], new.intro)
    node["problems"] = CommentedSeq(new.problems)
    items = node.setdefault("items", CommentedSeq())
    base_items = [{item.id: item_data(item) for item in base.items} for base in bases]
    new_items = {item.id: item for item in new.items}

    for index in reversed(range(len(items))):
        current = items[index]
        item_id = str(current.get("id"))
        fresh = new_items.get(item_id)
        olds = [found[item_id] for found in base_items if item_id in found]
        if fresh is not None:
            fresh_json = item_data(fresh)
            for key in ITEM_KEYS:
                _three_way(current, key, [old[key] for old in olds], fresh_json[key])
        elif have_base and olds and _unedited(current, olds):
            del items[index]  # gone from its source and the editor never touched it

    present = {str(item.get("id")) for item in items}
    added = {item.id: item_node(item) for item in new.items if item.id not in present}
    _insert_in_order(items, added, [item.id for item in new.items])


def _insert_in_order(nodes: list[Any], added: dict[str, Any], order: list[str]) -> None:
    """Insert each of ``added`` (by id) before the first of ``nodes`` that follows it in
    ``order`` (the source's), so new entries land where the source puts them; in one
    pass over each list, however many there are."""
    if not added:
        return
    index_of: dict[str, int] = {}
    for index, existing in enumerate(nodes):
        index_of.setdefault(str(existing.get("id")), index)
    before: dict[int, list[Any]] = {}  # position in nodes -> new nodes, last first
    anchor = len(nodes)
    for entry_id in reversed(order):
        if entry_id in added:
            before.setdefault(anchor, []).append(added[entry_id])
        elif entry_id in index_of:
            anchor = index_of[entry_id]
    for position in sorted(before, reverse=True):  # from the end: earlier places hold
        for node in before[position]:
            nodes.insert(position, node)


def _unedited(node: dict[str, Any], bases: list[dict[str, Any]]) -> bool:
    return all(
        any(_same(node.get(key), base[key]) for base in bases) for key in ITEM_KEYS if key in node
    )
