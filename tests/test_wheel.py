"""A built wheel carries the templates and providers inside the newsletter namespace."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.filterwarnings("ignore")
def test_the_wheel_carries_templates_and_providers(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("newsletter-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        entry_text = archive.read(entry_points).decode()
    for required in (
        "newsletter/cli.py",
        "newsletter/py.typed",
        "newsletter/sections/blogs.py",
        "newsletter/templates/email/issue.mjml.j2",
        "newsletter/templates/markdown/sections/blogs.md.j2",
        "newsletter/templates/text/issue.txt.j2",
        "newsletter/templates/scaffold/newsletter.toml",
    ):
        assert required in names, required
    assert not any(n.startswith(("sections/", "templates/", "tests/")) for n in names)
    assert "[newsletter.sections]" in entry_text
    assert "blogs = newsletter.sections.blogs:BlogsProvider" in entry_text
