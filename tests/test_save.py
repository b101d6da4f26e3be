"""Saving the draft: compare and swap, merging again after a save, the draft+snapshot pair."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newsletter.draft.file import load_draft
from newsletter.draft.merge import ATTEMPTS, write_draft
from newsletter.draft.paths import snapshot_path
from newsletter.draft.record import digest
from newsletter.draft.save import load_bases, read_current, save_draft
from newsletter.errors import ConflictError
from newsletter.model import Draft, Section
from tests.drafts import item, sample_draft


def _gathered(version: str, *numbers: int) -> Draft:
    items = [
        item(n, title=f"Item {n} {version}", summary=f"About {n}, {version}.") for n in numbers
    ]
    section = Section(id="blogs", title="From the blogs", provider="blogs", items=items)
    return sample_draft(sections=[section])


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_a_save_is_refused_when_the_file_changed_since_it_was_read(tmp_path: Path) -> None:
    path, _ = write_draft(tmp_path, _gathered("v1", 1, 2))
    read = read_current(path)
    _edit(path, "note: ''", "note: Saved by hand.")
    by_hand = path.read_text()
    assert not save_draft(tmp_path, path, read.text.replace("v1", "v9"), read.digest, "test")
    assert path.read_text() == by_hand
    assert not path.with_name(path.name + ".bak").exists()
    # Against what is there now, the save goes through and keeps what it replaced.
    assert save_draft(tmp_path, path, "issue: x\n", digest(by_hand.encode()), "test")
    assert path.read_text() == "issue: x\n"
    assert path.with_name(path.name + ".bak").read_text() == by_hand
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_a_save_expecting_no_file_does_not_replace_one(tmp_path: Path) -> None:
    path = tmp_path / "drafts" / "2026-W47.yaml"
    path.parent.mkdir()
    path.write_text("mine\n")
    assert not save_draft(tmp_path, path, "theirs\n", None, "test")
    assert path.read_text() == "mine\n"


def test_a_save_during_the_merge_is_merged_again_and_wins(tmp_path: Path) -> None:
    path, _ = write_draft(tmp_path, _gathered("v1", 1, 2))
    heard: list[str] = []

    def save_by_hand_once(message: str) -> None:
        heard.append(message)
        if len(heard) == 1:  # the draft was just read: the editor saves now
            _edit(path, "title: Item 2 v1", "title: Item two, by hand")

    write_draft(tmp_path, _gathered("v2", 1, 2, 3), save_by_hand_once)
    assert heard[1] == (
        "drafts/2026-W47.yaml was saved while being merged; merging again into the saved version"
    )
    draft = load_draft(path)
    assert [(i.id, i.title) for i in draft.sections[0].items] == [
        ("i1", "Item 1 v2"),
        ("i2", "Item two, by hand"),
        ("i3", "Item 3 v2"),
    ]
    assert "Item two, by hand" in path.with_name(path.name + ".bak").read_text()
    # The snapshot is the one merged last: the next re-draft updates untouched fields.
    write_draft(tmp_path, _gathered("v3", 1, 2, 3))
    titles = [i.title for i in load_draft(path).sections[0].items]
    assert titles == ["Item 1 v3", "Item two, by hand", "Item 3 v3"]


def test_a_draft_saved_during_every_merge_is_left_to_the_editor(tmp_path: Path) -> None:
    path, _ = write_draft(tmp_path, _gathered("v1", 1, 2))
    snapshot = snapshot_path(tmp_path, "2026-W47").read_bytes()
    saves = 0

    def keep_saving(message: str) -> None:
        nonlocal saves
        if message.startswith("Merging"):
            saves += 1
            before = "note: ''" if saves == 1 else f"note: save {saves - 1}"
            _edit(path, before, f"note: save {saves}")

    with pytest.raises(ConflictError, match="nothing was written"):
        write_draft(tmp_path, _gathered("v2", 1, 2, 3), keep_saving)
    assert saves == ATTEMPTS
    assert load_draft(path).sections[0].items[0].note == f"save {ATTEMPTS}"
    assert snapshot_path(tmp_path, "2026-W47").read_bytes() == snapshot


def _pairs(tmp_path: Path) -> dict[str, bytes]:
    """Three writes of the pair, for the states a crash can leave between them."""
    path, _ = write_draft(tmp_path, _gathered("v1", 1, 2, 3))
    snapshot = snapshot_path(tmp_path, "2026-W47")
    _edit(path, "note: ''", "note: The editor's.")
    files = {"draft1": path.read_bytes(), "snap1": snapshot.read_bytes()}
    write_draft(tmp_path, _gathered("v2", 1, 2, 3))
    files |= {"draft2": path.read_bytes(), "snap2": snapshot.read_bytes()}
    return files


@pytest.mark.parametrize(
    ("state", "draft", "settled"),
    [
        ("renamed the snapshot, not yet the draft", "draft1", True),
        ("renamed the draft, not yet the snapshot", "draft2", True),
        ("renamed the draft, then a save by hand", "draft2+hand", False),
    ],
)
def test_a_pair_left_half_written_merges_correctly(
    tmp_path: Path, state: str, draft: str, settled: bool
) -> None:
    files = _pairs(tmp_path)
    path = tmp_path / "drafts" / "2026-W47.yaml"
    snapshot = snapshot_path(tmp_path, "2026-W47")
    pending = snapshot.with_name("2026-W47.next.json")
    path.write_bytes(files[draft.removesuffix("+hand")])
    snapshot.write_bytes(files["snap1"])
    pending.write_bytes(files["snap2"])
    if draft.endswith("+hand"):
        _edit(path, "title: Item 3 v2", "title: Item three, by hand")
    bases = load_bases(tmp_path, "2026-W47", read_current(path).digest)
    assert len(bases) == (1 if settled else 2), state
    assert pending.exists() is not settled

    write_draft(tmp_path, _gathered("v3", 1, 2, 3))
    items = load_draft(path).sections[0].items
    assert items[0].note == "The editor's."
    assert [i.title for i in items][:2] == ["Item 1 v3", "Item 2 v3"]
    assert [i.summary for i in items] == ["About 1, v3.", "About 2, v3.", "About 3, v3."]
    expected = "Item three, by hand" if draft.endswith("+hand") else "Item 3 v3"
    assert items[2].title == expected
    assert not pending.exists()


def test_a_snapshot_from_before_the_hashes_is_still_a_base(tmp_path: Path) -> None:
    path, _ = write_draft(tmp_path, _gathered("v1", 1, 2))
    snapshot = snapshot_path(tmp_path, "2026-W47")
    snapshot.write_text(_gathered("v1", 1, 2).model_dump_json(indent=1))  # the old format
    _edit(path, "title: Item 2 v1", "title: Mine")
    write_draft(tmp_path, _gathered("v2", 1, 2))
    assert [i.title for i in load_draft(path).sections[0].items] == ["Item 1 v2", "Mine"]
    shutil.rmtree(snapshot.parent)  # no snapshot at all: nothing is taken as untouched
    write_draft(tmp_path, _gathered("v3", 1, 2))
    assert [i.title for i in load_draft(path).sections[0].items] == ["Item 1 v2", "Mine"]
