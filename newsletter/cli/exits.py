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
    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        return ExitStatus.LOCKED
    if isinstance(error, OSError | sqlite3.DatabaseError):
        return ExitStatus.FILES
    return ExitStatus.ERROR


def show_error(console: Console, error: BaseException) -> None:
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
    console.print(Text.assemble(("Error:", "bold red"), " ", describe(error)))


def describe(error: BaseException) -> str:
    """One line for ``error``."""
    if isinstance(error, NewsletterError):
        return str(error)
    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        return (
            "the state file (.newsletter/state.db) is in use by another run for too long; "
            "try again when it has finished"
        )
    if isinstance(error, sqlite3.DatabaseError):
        name = getattr(error, "sqlite_errorname", "")
        hint = ""
        if name == "SQLITE_FULL" or name.startswith("SQLITE_IOERR"):
            hint = " (is its disk full, or a file-size limit, ulimit -f, reached?)"
        return f"the state file (.newsletter/state.db) cannot be used: {error}{hint}"
    if isinstance(error, OSError):
        from ..fileio import room_note

        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}{room_note(error)}"
    what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return (
        f"unexpected {what}. This is a bug: run the command again with --traceback "
        "to see where, and report it."
    )
