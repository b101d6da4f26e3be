"""The bundled example, end to end, as ``make demo`` runs it: 2011-W25 drafted and marked
published, then 2011-W26 drafted; both issues' three formats match golden files.

Regenerate them after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_example.py``
and review the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsletter.cli.app import app
from newsletter.draft.file import load_draft
from newsletter.model import Draft
from tests.conftest import EXAMPLE

GOLDEN = Path(__file__).parent / "golden"
WEEKS = ("2011-W25", "2011-W26")


def _run(*args: object) -> Any:
    result = CliRunner().invoke(app, [str(arg) for arg in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example after the demo's sequence: W25 drafted and marked, W26 drafted."""
    copy = tmp_path_factory.mktemp("example") / "openstack"
    shutil.copytree(
        EXAMPLE, copy, ignore=shutil.ignore_patterns(".newsletter", "out", "site", "*.bak", "repos")
    )
    subprocess.run(["sh", str(copy / "prepare.sh"), sys.executable], cwd=copy, check=True)
    _run("-C", copy, "draft", "--week", "2011-W25", "--strict")
    _run("-C", copy, "publish", "--mark", "drafts/2011-W25.yaml")
    _run("-C", copy, "draft", "--week", "2011-W26", "--strict")
    return copy


def _draft(example: Path, week: str) -> Draft:
    return load_draft(example / "drafts" / f"{week}.yaml")


@pytest.mark.parametrize("week", WEEKS)
def test_the_sequence_leaves_the_committed_drafts_as_they_are(example: Path, week: str) -> None:
    committed = (EXAMPLE / "drafts" / f"{week}.yaml").read_text()
    assert (example / "drafts" / f"{week}.yaml").read_text() == committed


@pytest.mark.parametrize("week", WEEKS)
@pytest.mark.parametrize("ext", ["html", "md", "txt"])
def test_rendered_output_matches_the_golden_file(example: Path, week: str, ext: str) -> None:
    result = _run("-C", example, "render", f"drafts/{week}.yaml", "--format", ext, "--out", "-")
    golden = GOLDEN / f"openstack-{week}.{ext}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.stdout, "utf-8")
    assert result.stdout == golden.read_text("utf-8"), f"differs from {golden}"


def test_the_second_week_keeps_what_may_repeat(example: Path) -> None:
    w25, w26 = _draft(example, "2011-W25"), _draft(example, "2011-W26")
    sections = {section.id: section for section in w26.sections}
    titles = {key: [item.title for item in s.items] for key, s in sections.items()}
    # Threads of the week, and the one W25 featured back with its new messages.
    assert "Feedback on Portable Configuration Drive Blueprint" in titles["lists"]
    assert "Swift+Keystone error" in titles["lists"]
    diablo = next(i for i in sections["lists"].items if i.title == "Diablo-2 milestone schedule")
    assert (diablo.details["continued_from"], diablo.details["new_messages"]) == ("2011-W25", 2)
    # Events W25 announced are still upcoming: listed again; the meeting by its next date.
    assert "OpenStack Conference" in titles["events"]
    assert "OpenStack Events Sponsorship Webinar" in titles["events"]
    meeting = next(i for i in sections["events"].items if i.title == "OpenStack team meeting")
    assert meeting.details["when"] == "Every Tuesday, 4:00 PM CDT (9:00 PM UTC) — next: Tue Jul 5"
    # Every post of the week, whatever URL an event of W25 shared with it.
    assert len(titles["blogs"]) == 9
    # Nothing listed in W26 ended before it closed.
    for item in sections["events"].items:
        assert item.published is not None and item.published >= w26.window.end
    # The list's figures are this run's, compared with W25's.
    (traffic,) = [i for i in sections["stats"].items if i.details["kind"] == "lists"]
    messages = traffic.details["rows"][0]
    assert (messages["previous_issue"], messages["previous"]) == ("2011-W25", 3)
    (w25_traffic,) = [i for s in w25.sections for i in s.items if i.details.get("kind") == "lists"]
    assert w25_traffic.details["rows"][0]["value"] == 3


def test_the_example_keeps_the_editors_curation(example: Path) -> None:
    text = _run("-C", example, "render", "drafts/2011-W26.yaml", "--format", "txt", "--out", "-")
    assert "This weekly newsletter is a way for the community" in text.stdout
    assert "Joseph Heck has written an excellent blog post" in text.stdout
    assert "Nova – high level architecture: flags and services" in text.stdout
    assert "Please attend this webinar" not in text.stdout  # the blog post is include: false
    assert "continued: 2 new messages since the last issue, 4 in all" in text.stdout


def test_the_published_week_is_frozen(example: Path, cli: Any) -> None:
    result = cli("-C", example, "draft", "--week", "2011-W25")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "2011-W25 was marked published at" in said and "(with 'publish --mark')" in said
    assert "pass --force to gather it again" in said
