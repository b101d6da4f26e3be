"""Re-drafting: merge what was gathered now into the draft the editor has been editing.

Three versions meet: the draft as the editor left it, the items as they were gathered
last time (the snapshot, ``.newsletter/gathered/<issue>.json``) and the items gathered
now. A field the editor did not touch takes the new value; a field the editor changed
keeps the editor's; new items are added; an item that vanished from its source is
dropped unless the editor changed it or added it by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..fileio import write_atomic
from ..model import Draft, Section
from .file import (
    ITEM_KEYS,
    draft_node,
    draft_path,
    dump,
    item_data,
    item_node,
    read_node,
    section_node,
    snapshot_path,
    to_plain,
    validate_node,
    yaml_scalar,
)


def save_snapshot(workspace: Path, draft: Draft) -> None:
    write_atomic(snapshot_path(workspace, draft.issue), draft.model_dump_json(indent=1))


def load_snapshot(workspace: Path, issue: str) -> Draft | None:
    path = snapshot_path(workspace, issue)
    try:
        return Draft.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def write_draft(workspace: Path, gathered: Draft) -> tuple[Path, str]:
    """Write the gathered draft, merged into an existing one; returns (path, action)."""
    path = draft_path(workspace, gathered.issue)
    relative = path.relative_to(workspace).as_posix()
    if path.exists():
        node = read_node(path)
        validate_node(node, str(path))  # never merge into a draft we cannot read
        base = load_snapshot(workspace, gathered.issue)
        merge(node, base, gathered)
        write_atomic(path.with_name(path.name + ".bak"), path.read_bytes())
        action = "updated"
    else:
        node = draft_node(gathered, relative)
        action = "created"
    write_atomic(path, dump(node))
    save_snapshot(workspace, gathered)
    return path, action


def _json(value: Any) -> Any:
    return json.loads(json.dumps(to_plain(value), default=str))


def _three_way(node: CommentedMap, key: str, base: Any, new: Any) -> None:
    """Take ``new`` unless the editor changed ``node[key]`` away from ``base``."""
    if key not in node:
        node[key] = yaml_scalar(new)
        return
    if base is not None and _same(node[key], base) and not _same(node[key], new):
        node[key] = yaml_scalar(new)


def _same(yaml_value: Any, value: Any) -> bool:
    mine = _json(yaml_value)
    if isinstance(mine, str) and isinstance(value, str):
        return mine.rstrip("\n") == value.rstrip("\n")
    return bool(mine == _json(value))


def merge(node: CommentedMap, base: Draft | None, new: Draft) -> None:
    """Fold ``new`` into the editor's ``node`` in place (see the module docstring).

    ``approved`` is left as the editor's: if the merge changes the content, its digest
    no longer matches and the draft counts as not approved (newsletter.approval)."""
    _three_way(node, "title", base.title if base else None, new.title)
    window = node.get("window")
    if isinstance(window, CommentedMap):
        window["start"] = new.window.start.isoformat()
        window["end"] = new.window.end.isoformat()
    sections = node.setdefault("sections", CommentedSeq())
    by_id = {str(s.get("id")): s for s in sections if isinstance(s, CommentedMap)}
    base_sections = {s.id: s for s in base.sections} if base else {}
    for position, section in enumerate(new.sections):
        existing = by_id.get(section.id)
        if existing is None:
            # A section new to the config goes where the config puts it.
            _insert_in_order(sections, section_node(section), new.sections, position)
            continue
        _merge_section(existing, base_sections.get(section.id), section, base is not None)


def _merge_section(node: CommentedMap, base: Section | None, new: Section, have_base: bool) -> None:
    _three_way(node, "title", base.title if base else None, new.title)
    _three_way(node, "intro", base.intro if base else None, new.intro)
    node["problems"] = CommentedSeq(new.problems)
    items = node.setdefault("items", CommentedSeq())
    base_items = {item.id: item_data(item) for item in base.items} if base else {}
    new_items = {item.id: item for item in new.items}

    for index in reversed(range(len(items))):
        current = items[index]
        item_id = str(current.get("id"))
        fresh = new_items.get(item_id)
        base_item = base_items.get(item_id)
        if fresh is not None:
            fresh_json = item_data(fresh)
            for key in ITEM_KEYS:
                _three_way(current, key, base_item.get(key) if base_item else None,
                           fresh_json[key])  # fmt: skip
        elif have_base and base_item is not None and _unedited(current, base_item):
            del items[index]  # gone from its source and the editor never touched it

    present = {str(item.get("id")) for item in items}
    for position, item in enumerate(new.items):
        if item.id not in present:
            _insert_in_order(items, item_node(item), new.items, position)
            present.add(item.id)


def _insert_in_order(
    nodes: CommentedSeq, node: CommentedMap, order: list[Any], position: int
) -> None:
    """Insert ``node`` (``order[position]``) before the first node of ``nodes`` that
    follows it in ``order``, so new entries land where the source puts them."""
    present = {str(existing.get("id")) for existing in nodes}
    anchor = next((later.id for later in order[position + 1 :] if later.id in present), None)
    index = next(
        (i for i, existing in enumerate(nodes) if str(existing.get("id")) == anchor),
        len(nodes),
    )
    nodes.insert(index, node)


def _unedited(node: CommentedMap, base_item: dict[str, Any]) -> bool:
    return all(_same(node.get(key), base_item[key]) for key in ITEM_KEYS if key in node)
