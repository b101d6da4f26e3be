"""Exit statuses, and the one place that turns every exception into a message and one.

The statuses are the README's table. Errors raised on purpose (``NewsletterError`` and
its children) carry their own status; the operating system's refusals (a permission,
a full disk, a locked state file) get a one-line message naming the file; Ctrl-C ends
with 130 and no traceback; anything else is a bug: one line that says so and how to
see the traceback (``--traceback``), and status 1.
"""

from __future__ import annotations

import sqlite3
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import (
    ConfigError,
    ConflictError,
    DraftError,
    LockedError,
    NewsletterError,
    RenderError,
    SendError,
    SourceError,
    UsageError,
    WriteError,
)
from ..state import STATE_DIR, state_path

if TYPE_CHECKING:
    from rich.console import Console


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    """Unexpected failure (a bug): run again with --traceback and report it."""
    USAGE = 2
    """Wrong command-line arguments."""
    CONFIG = 3
    """newsletter.toml is missing or invalid."""
    PROBLEMS = 4
    """Some sources failed and --strict was given (the draft was still written)."""
    LOCKED = 5
    """Another newsletter run holds the workspace lock, or the state file."""
    SEND = 6
    """Sending failed for at least one recipient."""
    DRAFT = 7
    """The draft file is missing or invalid."""
    RENDER = 8
    """A template is missing or broken, or the web archive cannot be updated."""
    LINT = 9
    """`newsletter lint` found errors (or warnings, with --strict)."""
    FILES = 10
    """A file or folder could not be read or written (permissions, a full disk)."""
    CONFLICT = 11
    """The draft changed on disk while the command worked on it; not overwritten."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C (128 + SIGINT, as shells report it)."""


_STATUS_OF: tuple[tuple[type[NewsletterError], ExitStatus], ...] = (
    (UsageError, ExitStatus.USAGE),
    (ConfigError, ExitStatus.CONFIG),
    (SourceError, ExitStatus.PROBLEMS),
    (LockedError, ExitStatus.LOCKED),
    (SendError, ExitStatus.SEND),
    (DraftError, ExitStatus.DRAFT),
    (RenderError, ExitStatus.RENDER),
    (ConflictError, ExitStatus.CONFLICT),
    (WriteError, ExitStatus.FILES),
)


def exit_status_for(error: BaseException) -> ExitStatus:
    """The README's status for ``error``."""
    if isinstance(error, KeyboardInterrupt):
        return ExitStatus.INTERRUPTED
    for kind, status in _STATUS_OF:
        if isinstance(error, kind):
            return status
    if isinstance(error, sqlite3.OperationalError) and _busy(error):
        return ExitStatus.LOCKED
    if isinstance(error, OSError | sqlite3.DatabaseError):
        return ExitStatus.FILES
    return ExitStatus.ERROR


def show_error(console: Console, error: BaseException, workspace: Path | None = None) -> None:
    """Print ``error`` as the user should read it: what, where, and what to do."""
    from rich.text import Text

    if isinstance(error, KeyboardInterrupt):
        console.print("Interrupted.")
        return
    if isinstance(error, ConfigError | DraftError):
        console.print(Text.assemble(("Error:", "bold red"), " ", error.path))
        for problem in error.problems:
            console.print(Text.assemble("  ", ("•", "red"), " ", problem))
        return
    console.print(Text.assemble(("Error:", "bold red"), " ", describe(error, workspace)))


def describe(error: BaseException, workspace: Path | None = None) -> str:
    """One line for ``error``; ``workspace`` names the state file in full."""
    if isinstance(error, NewsletterError):
        return str(error)
    if isinstance(error, sqlite3.Error):
        return _state_error(error, state_path(workspace) if workspace else STATE_FILE)
    if isinstance(error, OSError):
        from ..fileio import room_note

        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}{room_note(error)}"
    what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return (
        f"unexpected {what}. This is a bug: run the command again with --traceback "
        "to see where, and report it."
    )


STATE_FILE = Path(STATE_DIR) / "state.db"


def _busy(error: sqlite3.Error) -> bool:
    return any(word in str(error) for word in ("locked", "busy"))


def _state_error(error: sqlite3.Error, path: Path) -> str:
    """What went wrong with the state file and the way out, in one line. SQLite is
    used for nothing else, so every SQLite error is about it."""
    text = str(error)
    if _busy(error):
        return (
            f"the state file {path} is in use by another run ({text}); try again "
            "when it has finished"
        )
    if "readonly" in text or "unable to open" in text or "access permission" in text:
        return (
            f"the state file {path} cannot be written ({text}): give this user write "
            f"access to it and to its folder {path.parent}"
        )
    name = getattr(error, "sqlite_errorname", "")
    if "full" in text or name == "SQLITE_FULL" or name.startswith("SQLITE_IOERR"):
        return (
            f"the state file {path} cannot be written ({text}): is its disk full, or a "
            "file-size limit (ulimit -f) reached?"
        )
    if isinstance(error, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text or "corrupt" in text
    ):
        return (
            f"the state file {path} is damaged ({text}): restore it from a backup, or "
            f"move it aside (mv {path} {path}.damaged) to start again without its "
            "history of sends, featured items and figures"
        )
    return f"the state file {path} cannot be used: {text}"
