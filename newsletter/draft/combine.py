"""Combining two edits of one draft: yours, and the one saved on disk meanwhile.

``curate`` and ``edit`` start from the draft as they read it (the base). When the file
changed on disk before they could save (another ``curate``, a re-draft, a hand save),
the user may merge: the saved version is taken as it is, comments and all, and each
change *you* made since the base is applied to it — a field, an item or section added
or removed, the order of a section's items. Where both sides changed the same thing
differently, yours wins and the place is listed (the saved version is kept as
``<draft>.bak`` when the result is written, :mod:`.save`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .file import to_plain

_MISSING: Any = object()


@dataclass
class Combined:
    node: CommentedMap
    """The saved version with your changes applied."""
    changes: int = 0
    """How many of your changes were applied."""
    conflicts: list[str] = field(default_factory=list)
    """Where the saved version had changed the same thing differently (yours kept)."""


def combine(base: CommentedMap, mine: CommentedMap, theirs: CommentedMap) -> Combined:
    """Apply the changes from ``base`` to ``mine`` onto ``theirs`` (changed in place)."""
    result = Combined(theirs)
    keys = [key for key in _keys(base, mine) if key != "sections"]
    _fields(theirs, base, mine, keys, "", result)
    _entries(theirs, base, mine, "sections", "", _section, result)
    return result


Merge = Callable[[CommentedMap, CommentedMap, CommentedMap, str, Combined], None]


def _section(
    out: CommentedMap, base: CommentedMap, mine: CommentedMap, where: str, result: Combined
) -> None:
    keys = [key for key in _keys(base, mine) if key != "items"]
    _fields(out, base, mine, keys, where, result)
    _entries(out, base, mine, "items", where, _item, result)


def _item(
    out: CommentedMap, base: CommentedMap, mine: CommentedMap, where: str, result: Combined
) -> None:
    _fields(out, base, mine, _keys(base, mine), where, result)


def _fields(
    out: CommentedMap,
    base: CommentedMap,
    mine: CommentedMap,
    keys: Sequence[Any],
    where: str,
    result: Combined,
) -> None:
    for key in keys:
        before, yours, saved = (
            base.get(key, _MISSING),
            mine.get(key, _MISSING),
            out.get(key, _MISSING),
        )
        if _same(yours, before):
            continue  # you did not change it: the saved version stands
        result.changes += 1
        if not _same(saved, before) and not _same(saved, yours):
            result.conflicts.append(f"{where}{key}")
        if yours is _MISSING:
            out.pop(key, None)
        elif key in out:
            out[key] = yours
        else:
            out.insert(min(list(mine).index(key), len(out)), key, yours)


def _entries(
    out: CommentedMap,
    base: CommentedMap,
    mine: CommentedMap,
    key: str,
    where: str,
    merge: Merge,
    result: Combined,
) -> None:
    """Merge a list of mappings with ids (sections, items) entry by entry."""
    before, yours, saved = base.get(key), mine.get(key), out.get(key)
    old, new, disk = _by_id(before), _by_id(yours), _by_id(saved)
    if old is None or new is None or disk is None or not isinstance(saved, CommentedSeq):
        _fields(out, base, mine, [key], where, result)  # odd shapes: the list as one field
        return
    for entry_id, entry in new.items():
        here = f"{where}{entry_id} › "
        if entry_id in disk:
            merge(disk[entry_id], old.get(entry_id, CommentedMap()), entry, here, result)
        elif entry_id not in old:  # you added it
            result.changes += 1
            _insert_after_predecessor(saved, entry, list(new), entry_id)
        elif not _same(entry, old[entry_id]):  # removed on disk, changed by you: kept
            result.changes += 1
            result.conflicts.append(f"{where}{entry_id} (removed in the saved version)")
            _insert_after_predecessor(saved, entry, list(new), entry_id)
    for entry_id in old:
        if entry_id in new or entry_id not in disk:
            continue
        if _same(disk[entry_id], old[entry_id]):  # you removed it, nobody changed it
            result.changes += 1
            saved.remove(disk[entry_id])
        else:  # you removed it, the saved version changed it: kept
            result.conflicts.append(f"{where}{entry_id} (changed in the saved version)")
    _order(saved, list(old), list(new), where, key, result)


def _order(
    saved: CommentedSeq, base: list[str], mine: list[str], where: str, key: str, result: Combined
) -> None:
    """Your order of the entries, when you changed it; entries only the saved version
    has stay after the entry they followed there."""
    disk = [str(entry.get("id")) for entry in saved]
    common = set(base) & set(mine) & set(disk)
    base_order = [i for i in base if i in common]
    my_order = [i for i in mine if i in common]
    if my_order == base_order:
        return
    result.changes += 1
    if [i for i in disk if i in common] not in (base_order, my_order):
        result.conflicts.append(f"{where}order of the {key}")
    order = [i for i in mine if i in set(disk)]
    for index, entry_id in enumerate(disk):
        if entry_id in order:
            continue
        before = next((p for p in reversed(disk[:index]) if p in order), None)
        order.insert(order.index(before) + 1 if before else 0, entry_id)
    nodes = {str(entry.get("id")): entry for entry in saved}
    del saved[:]
    saved.extend(nodes[i] for i in order)


def _insert_after_predecessor(
    saved: CommentedSeq, entry: CommentedMap, mine: list[str], entry_id: str
) -> None:
    disk = [str(node.get("id")) for node in saved]
    earlier = mine[: mine.index(entry_id)]
    before = next((p for p in reversed(earlier) if p in disk), None)
    saved.insert(disk.index(before) + 1 if before else 0, entry)


def _by_id(entries: Any) -> dict[str, CommentedMap] | None:
    """The entries by id; None when one is not a mapping or ids repeat."""
    if not isinstance(entries, CommentedSeq):
        return None
    found: dict[str, CommentedMap] = {}
    for entry in entries:
        if not isinstance(entry, CommentedMap) or str(entry.get("id")) in found:
            return None
        found[str(entry.get("id"))] = entry
    return found


def _keys(base: CommentedMap, mine: CommentedMap) -> list[Any]:
    return [*mine, *(key for key in base if key not in mine)]


def _same(one: Any, other: Any) -> bool:
    if one is _MISSING or other is _MISSING:
        return one is other
    return _canonical(one) == _canonical(other)


def _canonical(value: Any) -> str:
    plain = to_plain(value)
    if isinstance(plain, str):
        plain = plain.rstrip("\n")  # a block scalar's final line break is layout
    return json.dumps(plain, sort_keys=True, default=str)
