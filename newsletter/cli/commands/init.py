"""``newsletter init``: a new workspace, or a copy of a bundled example."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import UsageError
from ...fileio import write_atomic
from ...workspace import CONFIG_NAME
from ..exits import ExitStatus

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from ..environment import Environment

FOLDERS = ("templates", "drafts", "out")
GITIGNORE = """\
# newsletter's working state: the HTTP cache, the run lock, and state.db (what past
# issues featured, the figures over time, the send journal). The record of every send
# is out/<issue>/sent.log: keep it with the workspace. Without state.db, send refuses
# an issue those records show, and `newsletter log --rebuild` restores the journal.
.newsletter/
# The previous draft, kept by each `newsletter draft`.
drafts/*.yaml.bak
"""
TEMPLATES_README = (
    "Put a template here to override the built-in one of the same path, e.g.\n"
    "email/issue.mjml.j2, markdown/sections/blogs.md.j2, text/issue.txt.j2.\n"
    "To change one part, extend the original and override a block:\n"
    '  {% extends "builtin:email/issue.mjml.j2" %}\n'
)
# The weeks the bundled examples cover: their sources are from that time.
EXAMPLE_WEEKS = {"openstack": "2011-W26"}


def run(env: Environment, directory: Path, title: str, example: str | None = None) -> ExitStatus:
    target = directory if directory.is_absolute() else env.workspace / directory
    config = target / CONFIG_NAME
    if config.exists():
        raise UsageError(f"{config} already exists; not overwriting it")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder")
    if example is not None:
        return _copy_example(env, example, target)

    scaffold = files("newsletter.templates").joinpath("scaffold", CONFIG_NAME).read_text("utf-8")
    name = title or target.resolve().name.replace("-", " ").replace("_", " ").title()
    for folder in FOLDERS:
        (target / folder).mkdir(parents=True, exist_ok=True)
    write_atomic(config, scaffold.replace("{title}", _toml_string(name)))
    if not (target / ".gitignore").exists():
        write_atomic(target / ".gitignore", GITIGNORE)
    write_atomic(target / "templates" / "README.txt", TEMPLATES_README)
    console = env.final
    shown = _shown(target)
    console.print(
        f"Created workspace {shown} ({CONFIG_NAME}, .gitignore, {', '.join(FOLDERS)}/)",
        highlight=False,
    )
    console.print(
        f"Next: uncomment a section in {_shown(config)} and add your sources, then run:\n"
        f"  cd {shlex.quote(shown)} && newsletter check && newsletter draft",
        markup=False,
    )
    return ExitStatus.OK


def examples() -> dict[str, Traversable]:
    """The bundled example workspaces by name."""
    root = files("newsletter.examples")
    return {
        entry.name: entry
        for entry in root.iterdir()
        if entry.is_dir() and entry.joinpath(CONFIG_NAME).is_file()
    }


def _copy_example(env: Environment, name: str, target: Path) -> ExitStatus:
    bundled = examples()
    if name not in bundled:
        raise UsageError(f"no bundled example {name!r}; there is: {', '.join(sorted(bundled))}")
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} is not empty; give a new folder for the example")
    with as_file(bundled[name]) as source:
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=_not_the_examples_own)
    for folder in FOLDERS:
        (target / folder).mkdir(parents=True, exist_ok=True)
    write_atomic(target / ".gitignore", GITIGNORE)
    _prepare(env, target)
    shown = shlex.quote(_shown(target))
    week = EXAMPLE_WEEKS.get(name, "")
    env.final.print(f"Created the {name} example in {_shown(target)}", highlight=False)
    env.final.print(
        f"Next: newsletter -C {shown} draft{f' --week {week}' if week else ''}"
        f" && newsletter -C {shown} render",
        markup=False,
    )
    return ExitStatus.OK


def _not_the_examples_own(folder: str, names: list[str]) -> set[str]:
    # What a run of the example leaves in a source checkout is not part of it.
    return {n for n in names if n in {"repos", "out", "site", ".newsletter", "__pycache__"}}


def _prepare(env: Environment, target: Path) -> None:
    """Run the example's generator of git repositories, when it has one (git is needed:
    without it the stats section reports the repositories missing)."""
    script = target / "make_repos.py"
    if not script.is_file():
        return
    if shutil.which("git") is None:
        env.err.print("Note: git is not installed, so the example's repositories were not made.")
        return
    made = subprocess.run(
        [sys.executable, str(script), str(target / "repos")],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in made.stdout.splitlines():
        env.err.print(line, markup=False, highlight=False)
    if made.returncode != 0:
        env.err.print(
            f"Note: making the example's repositories failed: {made.stderr.strip()}",
            markup=False,
        )


def _shown(path: Path) -> str:
    """``path`` as the user would type it: relative to the current folder when inside it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def _toml_string(text: str) -> str:
    """``text`` inside a TOML basic string (JSON's escapes are TOML's, but for DEL)."""
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("\x7f", "\\u007f")
