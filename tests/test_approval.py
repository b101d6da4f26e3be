"""`approve` records who/when/digest; any change to the content withdraws it. `status`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsletter.draft.approval import content_digest, is_approved
from newsletter.draft.file import load_draft
from tests.drafts import item, sample_draft, write_sample


def test_approve_then_any_content_change_withdraws_it(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    assert not is_approved(load_draft(path))
    result = cli("-C", ws, "approve", "--by", "Jane Editor")
    assert result.exit_code == 0, result.output
    draft = load_draft(path)
    assert is_approved(draft)
    assert draft.approved is not None and draft.approved.by == "Jane Editor"
    text = path.read_text()
    assert text.index("approved:") < text.index("sections:")  # visible at the top
    assert "# Bar Weekly — draft of issue" in text  # the header comment is kept

    path.write_text(text.replace("# How to edit", "# A new comment\n# How to edit"))
    assert is_approved(load_draft(path))  # comments are not content
    path.write_text(text.replace("note: ''", "note: 'Nice.'", 1))
    assert not is_approved(load_draft(path))
    status = cli("-C", ws, "status")
    assert "Not approved: changed since Jane Editor" in status.stdout


def test_approving_twice_changes_nothing(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    cli("-C", ws, "approve", "--by", "a")
    before = path.read_text()
    result = cli("-C", ws, "approve", "--by", "b")
    assert "already approved by a" in result.output
    assert path.read_text() == before


def test_an_invalid_draft_cannot_be_approved(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    path.write_text(path.read_text().replace("include: true\n", "include: maybe\n", 1))
    result = cli("-C", ws, "approve")
    assert result.exit_code == 7
    assert "include" in result.output and "line " in result.output


def test_digest_ignores_problems_but_not_order() -> None:
    draft = sample_draft()
    digest = content_digest(draft)
    draft.sections[0].problems.append("feed: timed out")
    assert content_digest(draft) == digest
    draft.sections[0].items.reverse()
    assert content_digest(draft) != digest


def test_status_counts_problems_and_warnings(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace()
    draft = sample_draft()
    blogs, events = draft.sections
    blogs.problems.append("feeds/dead.rss: HTTP 404")
    blogs.items.append(item(5, url="", title="No link"))
    blogs.items.append(item(6, summary="word " * 30))
    events.items[0] = item(4, url="https://www.example.org/1/")  # same as blogs' item 1
    draft.sections.append(draft.sections[1].model_copy(update={"id": "empty", "items": []}))
    numbers = [item(7, url="", title="Commits"), item(8, url="", title="Authors")]
    draft.sections.append(draft.sections[1].model_copy(update={"id": "stats", "items": numbers}))
    write_sample(ws, draft)
    result = cli("-C", ws, "status", "--max-words", "20")
    assert result.exit_code == 0, result.output
    out = result.stdout
    rows = {cells[0]: cells[1:] for cells in _table(out)}
    assert rows["blogs"] == ["4", "5", "1", "2"]
    assert rows["events"] == ["1", "1", "0", "1"]
    assert "problem blogs: feeds/dead.rss: HTTP 404" in out
    assert "warning blogs: 'No link' has no URL" in out
    assert "warning blogs: 'Item 6': summary of 30 words (over 20)" in out
    assert "warning events: 'Item 4': same URL as an item in blogs" in out
    assert "warning empty: no item included" in out
    assert "warning stats" not in out  # a section that links nothing is not warned about
    assert "Not approved (run: newsletter approve)" in out


def _table(out: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in out.splitlines()
        if line.startswith("│")
    ]


def test_the_approver_is_the_configured_editor_else_gits_user_name(
    make_workspace: Any, cli: Any, tmp_path: Path
) -> None:
    ws = make_workspace(extra='editor = "Jane Doe"')
    path = write_sample(ws)
    assert cli("-C", ws, "approve").exit_code == 0
    approved = load_draft(path).approved
    assert approved is not None and approved.by == "Jane Doe"

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    other = make_workspace(name="other")
    path = write_sample(other)
    home = Path(os.environ["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text("[user]\n\tname = Ann Git\n")
    result = cli("-C", other, "approve")
    assert "as Ann Git" in result.output
    approved = load_draft(path).approved
    assert approved is not None and approved.by == "Ann Git"


def test_status_of_a_known_draft_needs_neither_pydantic_nor_yaml(make_workspace: Any) -> None:
    ws = make_workspace()
    write_sample(ws)

    def status() -> list[str]:
        code = (
            "import sys\n"
            "from newsletter.cli.app import main\n"
            f"sys.argv = ['newsletter', '-C', {str(ws)!r}, 'status']\n"
            "try:\n    main()\n"
            "except SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'ruamel'}))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        )
        return done.stdout.splitlines()

    first = status()  # written by the tests' helper, not by newsletter: parsed once
    assert any("Not approved" in line for line in first)
    assert first[-1] == "['pydantic', 'ruamel']"
    second = status()
    assert second[:-1] == first[:-1] and second[-1] == "[]"
