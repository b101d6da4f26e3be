"""A built wheel carries every package, the templates and the providers' partials,
inside the newsletter namespace."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _source_copy(target: Path) -> Path:
    """The project's files without build leftovers: setuptools reuses ./build, so a
    wheel built in the checkout can carry modules that no longer exist."""
    ignore = shutil.ignore_patterns(
        ".venv", "build", "dist", "*.egg-info", ".git", "__pycache__", ".*_cache", "tests"
    )
    return Path(shutil.copytree(ROOT, target / "src", ignore=ignore))


@pytest.mark.filterwarnings("ignore")
def test_the_wheel_carries_every_package_templates_and_partials(tmp_path: Path) -> None:
    source = _source_copy(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("newsletter-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        entry_text = archive.read(entry_points).decode()
    packages = [
        *(p.parent for p in (ROOT / "newsletter").rglob("__init__.py")),
        *(p.parent for p in (ROOT / "sections").rglob("__init__.py")),
    ]
    for package in packages:
        relative = package.relative_to(ROOT).as_posix()
        installed = relative if relative.startswith("newsletter") else f"newsletter/{relative}"
        assert f"{installed}/__init__.py" in names, f"{relative} is missing from pyproject"
    partials = [p.relative_to(ROOT).as_posix() for p in (ROOT / "sections").rglob("*.j2")]
    assert partials
    for partial in partials:
        assert f"newsletter/{partial}" in names, partial
    for required in (
        "newsletter/py.typed",
        "newsletter/templates/email/issue.mjml.j2",
        "newsletter/templates/text/issue.txt.j2",
        "newsletter/templates/scaffold/newsletter.toml",
    ):
        assert required in names, required
    assert not any(n.startswith(("sections/", "templates/", "tests/")) for n in names)
    assert "[newsletter.sections]" in entry_text
    assert "blogs = newsletter.sections.blogs:BlogsProvider" in entry_text
