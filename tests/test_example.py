"""The bundled example, end to end: the three rendered formats match golden files.

Regenerate them after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_example.py``
and review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE

GOLDEN = Path(__file__).parent / "golden"
WEEK = "2011-W26"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("example") / "openstack"
    shutil.copytree(
        EXAMPLE, copy, ignore=shutil.ignore_patterns(".newsletter", "out", "*.bak", "repos")
    )
    prepare = copy / "prepare.sh"
    if prepare.exists():
        import subprocess
        import sys

        subprocess.run(["sh", str(prepare), sys.executable], cwd=copy, check=True)
    return copy


def test_the_example_week_drafts_and_renders(example: Path, cli: Any) -> None:
    result = cli("-C", example, "draft", "--week", WEEK, "--strict")
    assert result.exit_code == 0, result.output
    result = cli("-C", example, "render")
    assert result.exit_code == 0, result.output
    for ext in ("html", "md", "txt"):
        assert (example / "out" / f"{WEEK}.{ext}").stat().st_size > 1000


def test_redrafting_the_committed_draft_changes_nothing(example: Path, cli: Any) -> None:
    committed = (EXAMPLE / "drafts" / f"{WEEK}.yaml").read_text()
    cli("-C", example, "draft", "--week", WEEK)
    assert (example / "drafts" / f"{WEEK}.yaml").read_text() == committed


@pytest.mark.parametrize("ext", ["html", "md", "txt"])
def test_rendered_output_matches_the_golden_file(example: Path, cli: Any, ext: str) -> None:
    result = cli("-C", example, "render", "--format", ext, "--out", "-")
    assert result.exit_code == 0, result.output
    golden = GOLDEN / f"openstack-{WEEK}.{ext}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.stdout, "utf-8")
    assert result.stdout == golden.read_text("utf-8"), f"differs from {golden}"


def test_the_example_keeps_the_editors_curation(example: Path, cli: Any) -> None:
    text = cli("-C", example, "render", "--format", "txt", "--out", "-").stdout
    assert "This weekly newsletter is a way for the community" in text
    assert "Joseph Heck has written an excellent blog post" in text
    assert "Nova – high level architecture: flags and services" in text
    assert "Please attend this webinar" not in text  # the blog post is include: false
