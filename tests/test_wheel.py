"""A built wheel carries every package, the templates and the providers' partials,
inside the newsletter namespace."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.wheelhouse import ROOT


def test_the_build_prints_no_warning(built_wheel: tuple[Path, str]) -> None:
    """A deprecated key or a data folder mistaken for a package warns here first;
    `make install` hides the build's chatter, so this is where it must be caught."""
    _, output = built_wheel
    assert "warning" not in output.lower(), output


def test_the_wheel_carries_every_package_templates_and_partials(
    built_wheel: tuple[Path, str],
) -> None:
    wheel, _ = built_wheel
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
