"""The draft YAML: written for the editor, read back with located errors, merged on re-draft."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.draft.file import ITEM_KEYS, draft_node, dump, load_draft, parse_text, validate_node
from newsletter.draft.merge import write_draft
from newsletter.errors import DraftError
from newsletter.model import Draft, Item, Section
from newsletter.window import week_window

WINDOW = week_window("2026-W47", ZoneInfo("Europe/Paris"))
WHEN = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


def _item(number: int, **changes: object) -> Item:
    data: dict[str, object] = {
        "id": f"post-{number}",
        "title": f"Post {number}",
        "url": f"https://blog.example/{number}",
        "summary": f"Summary of post {number}.\n\nSecond paragraph.",
        "author": "Ann",
        "published": WHEN - timedelta(hours=number),
        "source": "Blog",
        "details": {"tags": ["a", "b"]},
    }
    data.update(changes)
    return Item.model_validate(data)


def _draft(*items: Item, problems: list[str] | None = None) -> Draft:
    section = Section(
        id="blogs", title="From the blogs", provider="blogs", items=list(items),
        problems=problems or [],
    )  # fmt: skip
    return Draft(issue="2026-W47", title="Bar Weekly", window=WINDOW, sections=[section])


def test_every_key_is_written_and_reads_back(tmp_path: Path) -> None:
    draft = _draft(_item(1), _item(2, author="", published=None))
    path, action = write_draft(tmp_path, draft)
    assert action == "created" and path == tmp_path / "drafts" / "2026-W47.yaml"
    text = path.read_text()
    assert text.startswith("# Bar Weekly — draft of issue 2026-W47")
    assert "start: '2026-11-16T00:00:00+01:00'" in text
    for key in ITEM_KEYS:
        assert text.count(f" {key}:") >= 2, key
    assert "summary: |" in text  # multi-line text stays a readable block
    assert load_draft(path) == draft


def test_mistakes_are_reported_with_line_and_field(tmp_path: Path) -> None:
    text = dump(draft_node(_draft(_item(1), _item(2)), "drafts/x.yaml"))
    broken = (
        text.replace("        include: true", "        include: maybe", 1)
        .replace("  title: Post 2", "  titel: Post 2")
        .replace("start: '2026-11-16T00:00:00+01:00'", "start: yesterday")
    )
    lines = broken.splitlines()
    with pytest.raises(DraftError) as caught:
        validate_node(parse_text(broken, "drafts/x.yaml"), "drafts/x.yaml")
    problems = caught.value.problems
    include_line = next(i for i, line in enumerate(lines, 1) if "include: maybe" in line)
    typo_line = next(i for i, line in enumerate(lines, 1) if "titel:" in line)
    assert (
        f"line {include_line}, column 18: section 'blogs', item 'Post 1': "
        "sections[0].items[0].include: " in "\n".join(problems)
    )
    assert any(
        p.startswith(f"line {typo_line}") and "items[1].titel: unknown key" in p for p in problems
    )
    assert any(p.startswith("line ") and "window.start" in p for p in problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("issue: a\nissue: b\n", "duplicate"),
        ("issue: [unclosed\n", "line 2"),
        ("issue: x\n\ttitle: y\n", "line 2: a tab"),
        ("- just a list\n", "mapping"),
    ],
)
def test_broken_yaml_is_located(text: str, expected: str) -> None:
    with pytest.raises(DraftError) as caught:
        parse_text(text, "d.yaml")
    assert expected in caught.value.problems[0]


def test_a_tab_inside_a_value_is_fine() -> None:
    assert parse_text("issue: 'x\ty'\n", "d.yaml")["issue"] == "x\ty"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_redrafting_keeps_every_hand_edit(tmp_path: Path) -> None:
    path, _ = write_draft(tmp_path, _draft(_item(1), _item(2), _item(3)))
    _edit(path, "intro: ''\nsections:", "intro: Welcome to this week's issue!\nsections:")
    _edit(path, "        include: true", "        include: false  # not this week")
    _edit(path, "title: Post 2", "title: Post two, retitled")
    _edit(path, "note: ''", "note: Read this one.")
    _edit(path, "    items:\n", "    # the editor's comment\n    items:\n")

    # Upstream: post 1's summary changed, post 3 vanished, post 4 is new.
    gathered = _draft(_item(4), _item(1, summary="Updated upstream."), _item(2))
    path, action = write_draft(tmp_path, gathered)
    assert action == "updated"
    text = path.read_text()
    draft = load_draft(path)
    items = {item.id: item for item in draft.sections[0].items}
    assert [item.id for item in draft.sections[0].items] == ["post-4", "post-1", "post-2"]
    assert items["post-1"].include is False and "# not this week" in text
    assert items["post-1"].note == "Read this one."
    assert items["post-1"].summary == "Updated upstream."  # untouched field follows the source
    assert items["post-2"].title == "Post two, retitled"
    assert draft.intro == "Welcome to this week's issue!"
    assert "# the editor's comment" in text
    assert (tmp_path / "drafts" / "2026-W47.yaml.bak").read_text().count("post-3") == 1


def test_vanished_items_stay_when_edited_or_hand_written(tmp_path: Path) -> None:
    path, _ = write_draft(tmp_path, _draft(_item(1), _item(2)))
    _edit(path, "note: ''", "note: Keep me.")
    text = path.read_text().rstrip("\n") + (
        "\n      - id: mine\n        title: Hand-written\n        url: https://x.example/\n"
    )
    path.write_text(text)
    write_draft(tmp_path, _draft(problems=["feed.xml: HTTP 500"]))
    draft = load_draft(path)
    assert [item.id for item in draft.sections[0].items] == ["post-1", "mine"]
    assert draft.sections[0].problems == ["feed.xml: HTTP 500"]


def test_an_invalid_draft_is_never_merged_into(tmp_path: Path) -> None:
    path, _ = write_draft(tmp_path, _draft(_item(1)))
    _edit(path, "        include: true", "        include: [")
    before = path.read_text()
    with pytest.raises(DraftError):
        write_draft(tmp_path, _draft(_item(1), _item(2)))
    assert path.read_text() == before


def test_redrafting_an_unchanged_source_changes_nothing(tmp_path: Path) -> None:
    path, _ = write_draft(tmp_path, _draft(_item(1), _item(2)))
    _edit(path, "        include: true", "        include: false")
    once = path.read_text()
    write_draft(tmp_path, _draft(_item(1), _item(2)))
    assert path.read_text() == once


# What a draft can hold: text as gathering admits it and reading the draft cleans it
# (newsletter.sanitize.clean_text): no control character but tab and line feed, no bidi
# override, no lone surrogate.
text_values = st.text(
    st.characters(
        blacklist_categories=("Cs", "Cc"),
        blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029",
    )
    | st.sampled_from("\t\n"),
    max_size=60,
)
items = st.builds(
    Item,
    id=st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True),
    title=text_values,
    url=st.sampled_from(["", "https://a.example/x?y=1&z=2#f"]),
    summary=text_values,
    author=text_values,
    published=st.none() | st.datetimes(timezones=st.just(UTC)),
    updated=st.none() | st.datetimes(timezones=st.just(UTC)),
    source=text_values,
    include=st.booleans(),
    note=text_values,
    details=st.dictionaries(
        st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
        st.integers() | text_values | st.lists(text_values, max_size=3),
        max_size=3,
    ),
    keys=st.lists(text_values.filter(str.strip), max_size=2),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(items, max_size=4, unique_by=lambda item: item.id), text_values)
def test_any_draft_survives_the_yaml_round_trip(items: list[Item], intro: str) -> None:
    draft = _draft(*items).model_copy(update={"intro": intro})
    back = validate_node(parse_text(dump(draft_node(draft, "d.yaml")), "d.yaml"), "d.yaml")
    assert back == draft


@settings(max_examples=30, deadline=None)
@given(st.lists(items, max_size=5, unique_by=lambda item: item.id), st.data())
def test_merge_keeps_each_include_flag_the_editor_set(
    items: list[Item], data: st.DataObject
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        path, _ = write_draft(workspace, _draft(*items))
        node = parse_text(path.read_text(), str(path))
        flips = data.draw(st.lists(st.booleans(), min_size=len(items), max_size=len(items)))
        for entry, flip in zip(node["sections"][0]["items"], flips, strict=True):
            if flip:
                entry["include"] = not entry["include"]
        path.write_text(dump(node))
        expected = {
            item.id: (not item.include) if flip else item.include
            for item, flip in zip(items, flips, strict=True)
        }
        write_draft(workspace, _draft(*items))
        merged = {item.id: item.include for item in load_draft(path).sections[0].items}
        assert merged == expected


def test_a_section_new_to_the_config_lands_in_config_order(tmp_path: Path) -> None:
    def section(section_id: str) -> Section:
        return Section(id=section_id, title=section_id.title(), provider="blogs")

    first = Draft(
        issue="2026-W47", title="T", window=WINDOW, sections=[section("blogs"), section("lists")]
    )
    path, _ = write_draft(tmp_path, first)
    later = first.model_copy(
        update={
            "sections": [section("stats"), section("blogs"), section("events"), section("lists")]
        }
    )
    write_draft(tmp_path, later)
    assert [s.id for s in load_draft(path).sections] == ["stats", "blogs", "events", "lists"]


def _record(tmp_path: Path) -> Path:
    return tmp_path / ".newsletter" / "parsed" / "2026-W47.yaml.json"


def test_redrafting_what_changed_nothing_leaves_the_file_alone(tmp_path: Path) -> None:
    path, action = write_draft(tmp_path, _draft(_item(1), _item(2), problems=["a: HTTP 500"]))
    assert action == "created" and _record(tmp_path).is_file()
    _edit(path, "        include: true", "        include: false  # not this week")
    load_draft(path, tmp_path)  # an edit by hand is parsed once, then recorded
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    again = _draft(_item(1), _item(2), problems=["a: HTTP 500"])
    assert write_draft(tmp_path, again)[1] == "unchanged"
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, stamp)
    assert not path.with_name(path.name + ".bak").exists()
    # What the merge would change is still changed: the problems, a new post.
    assert write_draft(tmp_path, _draft(_item(1), _item(2)))[1] == "updated"
    assert write_draft(tmp_path, _draft(_item(3), _item(1), _item(2)))[1] == "updated"
    draft = load_draft(path)
    assert [i.id for i in draft.sections[0].items] == ["post-3", "post-1", "post-2"]
    assert draft.sections[0].problems == [] and not draft.sections[0].items[1].include


def test_the_record_is_used_only_while_the_file_is_the_same(tmp_path: Path) -> None:
    path, _ = write_draft(tmp_path, _draft(_item(1)))
    record = _record(tmp_path)
    kept = json.loads(record.read_text())
    kept["draft"]["title"] = "From the record"
    record.write_text(json.dumps(kept))
    assert load_draft(path, tmp_path).title == "From the record"  # unchanged file: no YAML
    assert load_draft(path).title == "Bar Weekly"  # no workspace, no record
    _edit(path, "title: Bar Weekly", "title: Edited by hand")
    assert load_draft(path, tmp_path).title == "Edited by hand"  # the hash tells
    assert json.loads(record.read_text())["draft"]["title"] == "Edited by hand"


@settings(max_examples=40, deadline=None)
@given(st.lists(items, max_size=4, unique_by=lambda item: item.id), text_values, st.data())
def test_what_is_recorded_is_what_the_file_holds(
    first: list[Item], intro: str, data: st.DataObject
) -> None:
    import tempfile

    from newsletter.draft.file import to_plain

    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        path, _ = write_draft(workspace, _draft(*first).model_copy(update={"intro": intro}))
        if data.draw(st.booleans()):  # and after a merge into an edited draft
            _edit(path, "\nintro: ", "\n# the editor's comment\nintro: ")
            later = data.draw(st.lists(items, max_size=4, unique_by=lambda item: item.id))
            write_draft(workspace, _draft(*later))
        kept = json.loads((workspace / ".newsletter" / "parsed" / f"{path.name}.json").read_text())
        node = parse_text(path.read_text(), str(path))
        assert kept["yaml"] == json.loads(json.dumps(to_plain(node)))
        assert kept["draft"] == validate_node(node, str(path)).model_dump(mode="json")
