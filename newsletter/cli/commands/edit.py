"""``newsletter edit``: the draft in the user's editor, validated on save, like kubectl edit.

The draft is copied to a temp file beside it and opened in ``$VISUAL``/``$EDITOR``
(default ``vi``). A valid result replaces the draft atomically. An invalid one is
reopened with the errors as ``#|`` comments on top (removed again before validating).
Saving without a change, or emptying the file, abandons the edit and leaves the draft
as it was; giving up on an invalid file keeps the text in ``<draft>.edit``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ...draft.file import parse_text, validate_node
from ...errors import DraftError, UsageError
from ...fileio import write_atomic
from ..exits import ExitStatus
from ._choose import pick_draft

if TYPE_CHECKING:
    from rich.console import Console

    from ..environment import Environment

MARK = "#|"
_LINE = re.compile(r"^line (\d+)")


def editor_command() -> list[str]:
    """The user's editor as an argument list: $VISUAL, then $EDITOR, then vi."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            return shlex.split(value)
    return ["vi"]


def error_header(problems: list[str]) -> str:
    """The comment block put on top of an invalid file; its line numbers count it too."""
    lines = [
        "This draft is not valid and was not saved. Fix it and save to try again;",
        "save it unchanged to give up (your text is then kept beside the draft).",
    ]
    shift = len(lines) + len(problems) + 1
    lines += [f"  {_LINE.sub(lambda m: f'line {int(m[1]) + shift}', p)}" for p in problems]
    lines.append("(These lines starting with #| are removed when you save.)")
    return "".join(f"{MARK} {line}\n" for line in lines)


def strip_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith(MARK):
        start += 1
    return "".join(lines[start:])


def kept_path(path: Path) -> Path:
    return path.with_name(path.name + ".edit")


def run(env: Environment, draft_file: Path | None) -> ExitStatus:
    path = pick_draft(env.workspace, draft_file)
    try:
        original = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DraftError(str(path), ["no such draft; run 'newsletter draft' first"]) from None
    console = env.final
    command = editor_command()
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".yaml", dir=path.parent)
    os.close(fd)
    scratch = Path(name)
    try:
        text, problems = original, _problems_of(original, path)
        while True:
            shown = error_header(problems) + text if problems else text
            scratch.write_text(shown, encoding="utf-8")
            finished = _open_editor(command, scratch)
            edited = strip_header(scratch.read_text(encoding="utf-8"))
            if not finished or not edited.strip() or edited == original:
                latest = edited if edited.strip() else text
                if latest != original:
                    _keep(path, latest, console)
                console.print(f"Edit abandoned; {path.name} is unchanged.")
                return ExitStatus.OK
            if problems and edited == text:  # saved unchanged: the user gives up
                _keep(path, edited, console)
                raise DraftError(str(path), problems)
            text = edited
            problems = _problems_of(text, path)
            if problems:
                continue
            if path.read_text(encoding="utf-8") != original:
                _keep(path, text, console)
                raise DraftError(
                    str(path),
                    [
                        "changed on disk while you were editing it; your edit was not "
                        f"saved over it and is kept in {kept_path(path)}"
                    ],
                )
            write_atomic(path, text)
            console.print(f"Saved {path.name}.")
            return ExitStatus.OK
    finally:
        with contextlib.suppress(FileNotFoundError):
            scratch.unlink()


def _problems_of(text: str, path: Path) -> list[str]:
    try:
        validate_node(parse_text(text, str(path)), str(path))
    except DraftError as error:
        return error.problems
    return []


def _open_editor(command: list[str], path: Path) -> bool:
    """Run the editor on ``path``; False when it exits with an error (edit abandoned)."""
    try:
        return subprocess.run([*command, str(path)], check=False).returncode == 0
    except OSError as error:
        raise UsageError(
            f"cannot start the editor {shlex.join(command)!r}: {error.strerror or error}; "
            "set $VISUAL or $EDITOR"
        ) from None


def _keep(path: Path, text: str, console: Console) -> None:
    write_atomic(kept_path(path), text)
    console.print(f"Your text is kept in {kept_path(path)}.")
