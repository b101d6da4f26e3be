"""What import-linter cannot see: sections/ installs as newsletter.sections, a name
that does not exist in the source tree it analyses (`make layers`)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


def test_the_core_never_imports_a_provider() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in (ROOT / "newsletter").rglob("*.py")
        for line, name in _imports(path)
        if name.split(".")[:2] == ["newsletter", "sections"] or name.split(".")[0] == "sections"
    ]
    assert offending == []


def test_providers_import_only_the_public_api_and_their_own_modules() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in (ROOT / "sections").rglob("*.py")
        for line, name in _imports(path)
        if name.startswith(("newsletter.", "sections"))
    ]
    assert offending == [], "use `from newsletter import …` and relative imports"
