"""Combining your edit of a draft with the version saved on disk meanwhile."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.draft.combine import combine
from newsletter.draft.file import draft_node, dump, parse_text, to_plain, validate_node
from newsletter.model import Draft
from tests.drafts import sample_draft

FIELDS = ("title", "summary", "note", "include", "url")


def _node(draft: Draft | None = None) -> Any:
    return parse_text(dump(draft_node(draft or sample_draft(), "drafts/2026-W47.yaml")), "d")


def _items(node: Any, section: int = 0) -> list[tuple[str, str]]:
    return [(str(i["id"]), str(i["title"])) for i in node["sections"][section]["items"]]


def test_changes_on_both_sides_are_kept_and_the_saved_comments_too() -> None:
    base = _node()
    mine, theirs = copy.deepcopy(base), _node()
    mine["sections"][0]["items"][0]["note"] = "Mine."
    mine["intro"] = "My intro."
    theirs["sections"][0]["items"][1]["title"] = "Theirs"
    theirs["sections"][0]["items"][1].yaml_add_eol_comment("their comment", "title")
    combined = combine(base, mine, theirs)
    assert combined.conflicts == [] and combined.changes == 2
    draft = validate_node(combined.node, "merged")
    assert draft.sections[0].items[0].note == "Mine."
    assert draft.sections[0].items[1].title == "Theirs"
    assert draft.intro == "My intro."
    assert "# their comment" in dump(combined.node)


def test_the_same_field_changed_on_both_sides_keeps_yours_and_says_where() -> None:
    base = _node()
    mine, theirs = copy.deepcopy(base), _node()
    mine["sections"][0]["items"][0]["title"] = "Mine"
    theirs["sections"][0]["items"][0]["title"] = "Theirs"
    combined = combine(base, mine, theirs)
    assert combined.conflicts == ["blogs › i1 › title"]
    assert combined.node["sections"][0]["items"][0]["title"] == "Mine"


def test_added_removed_and_reordered_items_on_both_sides() -> None:
    base = _node()
    mine, theirs = copy.deepcopy(base), _node()
    blogs_mine = mine["sections"][0]["items"]
    blogs_mine.insert(1, _node(sample_draft())["sections"][1]["items"][0])  # i4, after i1
    blogs_mine[1]["id"] = "mine"
    blogs_mine.append(blogs_mine.pop(0))  # i1 to the end: [mine, i2, i3, i1]
    theirs_items = theirs["sections"][0]["items"]
    theirs_items.insert(2, copy.deepcopy(theirs_items[0]))
    theirs_items[2]["id"] = "theirs"  # after i2: [i1, i2, theirs, i3]
    del theirs["sections"][1]["items"][0]  # i4 removed from events on disk
    combined = combine(base, mine, theirs)
    assert combined.conflicts == []
    ids = [i for i, _ in _items(combined.node)]
    assert ids == ["mine", "i2", "theirs", "i3", "i1"]
    assert _items(combined.node, 1) == []


def test_an_item_you_changed_but_they_removed_comes_back_as_a_conflict() -> None:
    base = _node()
    mine, theirs = copy.deepcopy(base), _node()
    mine["sections"][1]["items"][0]["note"] = "Keep this."
    del theirs["sections"][1]["items"][0]
    combined = combine(base, mine, theirs)
    assert combined.conflicts == ["events › i4 (removed in the saved version)"]
    assert combined.node["sections"][1]["items"][0]["note"] == "Keep this."


# ------------------------------------------------------------- properties

edits = st.dictionaries(
    st.tuples(st.integers(0, 3), st.sampled_from(FIELDS)),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
    max_size=6,
)


def _edited(base: Any, changes: dict[tuple[int, str], str]) -> Any:
    node = copy.deepcopy(base)
    items = [*node["sections"][0]["items"], *node["sections"][1]["items"]]
    for (index, key), value in changes.items():
        if key == "include":
            items[index][key] = not items[index][key]
        elif key == "url":
            items[index][key] = f"https://example.net/{len(value)}"
        else:
            items[index][key] = value
    return node


@settings(max_examples=60, deadline=None)
@given(mine=edits, theirs=edits)
def test_edits_to_different_fields_all_survive(
    mine: dict[tuple[int, str], str], theirs: dict[tuple[int, str], str]
) -> None:
    theirs = {key: value for key, value in theirs.items() if key not in mine}
    base = _node()
    expected = _edited(_edited(base, theirs), mine)
    combined = combine(base, _edited(base, mine), _edited(base, theirs))
    assert combined.conflicts == []
    assert to_plain(combined.node) == to_plain(expected)


@settings(max_examples=40, deadline=None)
@given(changes=edits)
def test_with_no_change_on_one_side_the_other_side_is_the_result(
    changes: dict[tuple[int, str], str],
) -> None:
    base = _node()
    edited = _edited(base, changes)
    assert to_plain(combine(base, copy.deepcopy(base), copy.deepcopy(edited)).node) == (
        to_plain(edited)
    )
    assert to_plain(combine(base, copy.deepcopy(edited), copy.deepcopy(base)).node) == (
        to_plain(edited)
    )


def test_an_item_added_on_both_sides_under_one_id_is_one_item() -> None:
    base = _node()
    mine, theirs = copy.deepcopy(base), _node()
    for node, title in ((mine, "Mine"), (theirs, "Theirs")):
        added = _node(sample_draft(sections=[sample_draft().sections[0]]))
        new = added["sections"][0]["items"][0]
        new["id"], new["title"] = "hand-1", title
        node["sections"][0]["items"].append(new)
    combined = combine(base, mine, theirs)
    assert [i for i, _ in _items(combined.node)].count("hand-1") == 1
    assert combined.conflicts == ["blogs › hand-1 › title"]
