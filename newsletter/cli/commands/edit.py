"""``newsletter edit``: the draft in the user's editor, validated on save, like kubectl edit.

The draft is copied to a temp file beside it and opened in ``$VISUAL``/``$EDITOR``
(default ``vi``). A valid result replaces the draft atomically. An invalid one is
reopened with the errors as ``#|`` comments on top (removed again before validating).
Saving without a change, or emptying the file, abandons the edit and leaves the draft
as it was; giving up on an invalid file keeps the text in ``<draft>.edit``. An editor
that exits with an error changes nothing either, and the command fails with status 2
(as git does), keeping any text it had written. Without a terminal, the default ``vi``
is not started (it would wait on nothing): only an editor named in the environment.

The draft is replaced only if it is still what ``edit`` read
(:mod:`newsletter.draft.save`). If it was saved meanwhile (a re-draft, ``curate``,
another editor), ``edit`` asks: merge your edit into the saved version, reopen the
saved version (yours kept in ``.edit``), or keep yours in ``.edit`` and stop — the
only choice off a terminal (exit 11).
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

from ...draft.combine import Combined, combine
from ...draft.file import dump, parse_text, validate_node
from ...draft.save import DraftOnDisk, backup_path, read_current, save_draft
from ...errors import ConflictError, DraftError, UsageError, WriteError
from ...fileio import write_atomic
from ..exits import ExitStatus
from ._choose import pick_draft

if TYPE_CHECKING:
    from rich.console import Console

    from ..environment import Environment

MARK = "#|"
_LINE = re.compile(r"^line (\d+)")


def editor_command() -> list[str] | None:
    """The user's editor as an argument list: $VISUAL, then $EDITOR; None when unset."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            return shlex.split(value)
    return None


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
    path = pick_draft(env.workspace, draft_file, env.err.print)
    current = read_current(path)
    original = current.text
    console = env.final
    command = editor_command()
    if command is None:
        if not env.interactive:
            raise UsageError(
                "edit needs a terminal for vi; set $VISUAL or $EDITOR to an editor that "
                "opens its own window (e.g. 'code --wait'), or run it in a terminal"
            )
        command = ["vi"]
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".yaml", dir=path.parent)
    os.close(fd)
    scratch = Path(name)
    try:
        text, problems = original, _problems_of(original, path)
        while True:
            shown = error_header(problems) + text if problems else text
            scratch.write_text(shown, encoding="utf-8")
            status = _open_editor(command, scratch)
            edited = strip_header(scratch.read_text(encoding="utf-8"))
            if status != 0 or not edited.strip() or edited == original:
                latest = edited if edited.strip() else text
                if latest != original:
                    _keep(path, latest, console)
                if status != 0:
                    raise UsageError(
                        f"the editor {shlex.join(command)!r} exited with status {status}; "
                        f"{path.name} is unchanged"
                    )
                console.print(f"Edit abandoned; {path.name} is unchanged.")
                return ExitStatus.OK
            if problems and edited == text:  # saved unchanged: the user gives up
                _keep(path, edited, console)
                raise DraftError(str(path), problems)
            text = edited
            problems = _problems_of(text, path)
            if problems:
                continue
            message = f"Saved {path.name}."
            while not save_draft(env.workspace, path, text, current.digest, "edit"):
                # Saved by someone else while the editor was open: never written over.
                choice = _ask(env, path)
                if choice == "copy":
                    _keep(path, text, console)
                    raise ConflictError(
                        f"{path}: saved by another program while you were editing it, so "
                        f"your edit was not written over it; it is kept in {kept_path(path)}"
                    )
                saved = read_current(path)
                if choice == "reload":
                    _keep(path, text, console)
                    current, original = saved, saved.text
                    text, problems = original, _problems_of(original, path)
                    break
                combined = _merge(path, original, text, saved)
                if combined is None:
                    _keep(path, text, console)
                    raise ConflictError(
                        f"{path}: saved by another program while you were editing it, and "
                        "the saved version is not valid, so nothing was merged; your edit "
                        f"is kept in {kept_path(path)}"
                    )
                current, original = saved, saved.text
                text, message = dump(combined.node), _merged_message(path, combined)
                problems = _problems_of(text, path)
                if problems:
                    break  # the merged draft does not validate: fix it in the editor
            else:  # the loop ended because the draft was written
                console.print(message, markup=False)
                return ExitStatus.OK
    except WriteError:  # no room for the draft: the edit must not go with the scratch file
        _rescue(scratch, path, text, console)
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            scratch.unlink()


def _ask(env: Environment, path: Path) -> str:
    """merge, reload or copy; off a terminal always copy (nothing is ever overwritten)."""
    if not env.interactive:
        return "copy"
    kept = kept_path(path).name
    env.final.print(
        f"{path.name} was saved by another program while you were editing it.\n"
        "  m  merge your edit into the saved version\n"
        f"  r  open the saved version instead (your edit is kept in {kept})\n"
        f"  c  keep your edit in {kept} and stop",
        markup=False,
    )
    while True:
        env.final.print("Merge, reload or copy? [m/r/c] ", end="", markup=False)
        try:
            answer = env.stdin.readline()
        except OSError:  # the terminal went away
            answer = ""
        if not answer:
            return "copy"
        choice = {"m": "merge", "r": "reload", "c": "copy"}.get(answer.strip().lower()[:1])
        if choice:
            return choice


def _merge(path: Path, original: str, mine: str, saved: DraftOnDisk) -> Combined | None:
    """Your edit applied to the saved version; None if that version is not valid."""
    if _problems_of(saved.text, path):
        return None
    theirs = parse_text(saved.text, str(path))
    return combine(parse_text(original, str(path)), parse_text(mine, str(path)), theirs)


def _merged_message(path: Path, combined: Combined) -> str:
    message = f"Merged your edit into the version of {path.name} saved meanwhile, and saved it."
    if combined.conflicts:
        message += (
            f" Changed on both sides, yours kept: {', '.join(combined.conflicts)}"
            f" (the saved version is in {backup_path(path)})."
        )
    return message


def _problems_of(text: str, path: Path) -> list[str]:
    try:
        validate_node(parse_text(text, str(path)), str(path))
    except DraftError as error:
        return error.problems
    return []


def _open_editor(command: list[str], path: Path) -> int:
    """Run the editor on ``path``; its exit status (not 0: the edit is abandoned)."""
    try:
        return subprocess.run([*command, str(path)], check=False).returncode
    except OSError as error:
        raise UsageError(
            f"cannot start the editor {shlex.join(command)!r}: {error.strerror or error}; "
            "set $VISUAL or $EDITOR"
        ) from None


def _keep(path: Path, text: str, console: Console) -> None:
    write_atomic(kept_path(path), text)
    console.print(f"Your text is kept in {kept_path(path)}.")


def _rescue(scratch: Path, path: Path, text: str, console: Console) -> None:
    """Keep ``text``; if even that copy finds no room, keep the editor's file by a rename
    (which needs none)."""
    try:
        write_atomic(kept_path(path), text)
    except OSError:
        os.replace(scratch, kept_path(path))
    console.print(f"Your text is kept in {kept_path(path)}.")
