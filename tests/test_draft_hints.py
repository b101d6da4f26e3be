"""Slips in the hand-edited draft get a hint naming the right line and showing the fix;
value errors name the section and the item's title, not only the parser's path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.draft.file import draft_node, dump, parse_text, validate_node
from newsletter.errors import DraftError
from tests.drafts import sample_draft, write_sample

TEXT = dump(draft_node(sample_draft(), "drafts/2026-W47.yaml"))
LINES = TEXT.splitlines()
TITLE = next(n for n, line in enumerate(LINES) if line.strip() == "title: Item 2")
INDENT = LINES[TITLE][: len(LINES[TITLE]) - len(LINES[TITLE].lstrip())]


def _with_line(line: str, number: int = TITLE) -> str:
    lines = list(LINES)
    lines[number] = line
    return "\n".join(lines) + "\n"


def _problems(text: str) -> list[str]:
    try:
        validate_node(parse_text(text, "d.yaml"), "d.yaml")
    except DraftError as error:
        return error.problems
    return []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("title: Bar 2.0: released!",
         'quote the title: title: "Bar 2.0: released!" (a \': \' inside a value ends the key)'),
        ("title: [RFC] a new API", 'quote the title: title: "[RFC] a new API"'),
        ("title: *bold* claims", 'quote the title: title: "*bold* claims"'),
        ("title: @home", 'quote the title: title: "@home"'),
        ("title: 'it's here'", "use double quotes: title: \"it's here\""),
        ("title Bar 2.0 released",
         "a ':' is missing after 'title'; write: title: Bar 2.0 released"),
        ('title: "Bar 2.0', 'the " that opens the title is never closed'),
    ],
)  # fmt: skip
def test_a_slip_gets_a_hint_on_its_own_line(line: str, expected: str) -> None:
    (problem,) = _problems(_with_line(INDENT + line))
    assert problem.startswith(f"line {TITLE + 1}: "), problem  # not the line after, nor 700 on
    assert expected in problem


def test_a_misindented_line_says_by_how_much() -> None:
    (problem,) = _problems(_with_line(INDENT[:-1] + "title: Item 2"))
    assert problem == (
        f"line {TITLE + 1}: indented by {len(INDENT) - 1} spaces, the line above by "
        f"{len(INDENT)}; line the keys of one item up with each other"
    )


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
               min_size=1, max_size=40).map(str.strip).filter(bool))  # fmt: skip
def test_the_suggested_fix_reads_back_as_the_title_typed(title: str) -> None:
    """Whatever the editor typed after 'title: ', the hint's line, pasted in, gives
    back exactly that title."""
    problems = _problems(_with_line(f"{INDENT}title: {title}"))
    if not problems:
        return  # YAML took it as it is (or as something else: nothing to hint)
    # The suggestion is double-quoted; what follows it (the why) has no double quote.
    suggested = re.search(r'(?:quote the title|use double quotes): (title: ".*")', problems[0])
    if suggested is None:
        return
    fixed = parse_text(_with_line(INDENT + suggested[1]), "d.yaml")
    # '…' around a title with an apostrophe inside: the title is what is between them.
    meant = title[1:-1] if "an apostrophe inside '…'" in problems[0] else title
    assert fixed["sections"][0]["items"][1]["title"] == meant


def test_value_errors_name_the_section_and_the_items_title() -> None:
    lines = _with_line(INDENT + "title: A post about YAML").splitlines()
    assert lines[TITLE - 1].strip() == "include: true"
    lines[TITLE - 1] = INDENT + "include: yes"
    problems = _problems("\n".join(lines) + "\n")
    assert any(
        "section 'blogs', item 'A post about YAML': sections[0].items[1].include: "
        "write true or false, not 'yes'" in p
        for p in problems
    ), problems


def test_the_cli_shows_the_hint(tmp_path: Path, cli: Any) -> None:
    path = write_sample(tmp_path)
    path.write_text(path.read_text().replace("title: Item 2", "title: Bar 2.0: released!"))
    result = cli("-C", tmp_path, "status", path)
    assert result.exit_code == 7
    assert 'quote the title: title: "Bar 2.0: released!"' in " ".join(result.output.split())
