from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from ...config import CONFIG_NAME
from ...errors import UsageError
from ...fileio import write_atomic
from ..exits import ExitStatus

if TYPE_CHECKING:
    from ..environment import Environment

FOLDERS = ("templates", "drafts", "out")


def run(env: Environment, directory: Path, title: str) -> ExitStatus:
    target = directory if directory.is_absolute() else env.workspace / directory
    config = target / CONFIG_NAME
    if config.exists():
        raise UsageError(f"{config} already exists; not overwriting it")
    scaffold = files("newsletter.templates").joinpath("scaffold", CONFIG_NAME).read_text("utf-8")
    name = title or target.resolve().name.replace("-", " ").replace("_", " ").title()
    for folder in FOLDERS:
        (target / folder).mkdir(parents=True, exist_ok=True)
    write_atomic(config, scaffold.replace("{title}", name.replace('"', '\\"')))
    write_atomic(
        target / "templates" / "README.txt",
        "Put a template here to override the built-in one of the same path, e.g.\n"
        "email/issue.mjml.j2, markdown/sections/blogs.md.j2, text/issue.txt.j2.\n",
    )
    console = env.final
    console.print(f"Created workspace {target} ({CONFIG_NAME}, {', '.join(FOLDERS)}/)")
    console.print(f"Next: edit {config}, then run: newsletter -C {target} draft")
    return ExitStatus.OK
