"""Where a command's output goes and how it looks, decided once per run.

Like httpie's ``Environment``: the streams, ``-q``, colour and whether a person is at a
terminal are settled when the command starts, and every command prints through the
three consoles here rather than choosing its own:

* ``out`` — the command's answer on stdout (a table, a listing); never silenced;
* ``err`` — progress and notes on stderr; silenced by ``-q``;
* ``final`` — the final result line and errors on stderr; ``-q`` keeps it.

Off a terminal (cron, pipes) the consoles are plain: no colour, no animation, and a log
line stays one line however long.

Nothing printed is read as rich markup (``markup=False``): what we print holds text from
strangers (a submission's ``[/]``, a feed title dressed as a log line), and markup would
restyle it, fake lines with it, or crash on it. Our own colours are rich ``Text`` styles:
``console.print(Text.assemble(("error", "red"), " ", message))``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


def _stdin() -> TextIO:
    return sys.stdin


def _stdout() -> TextIO:
    return sys.stdout


def _stderr() -> TextIO:
    return sys.stderr


@dataclass
class Environment:
    """The global options and the streams of one run."""

    workspace: Path = field(default_factory=Path)
    quiet: bool = False
    traceback: bool = False
    stdin: TextIO = field(default_factory=_stdin)
    stdout: TextIO = field(default_factory=_stdout)
    stderr: TextIO = field(default_factory=_stderr)

    @property
    def interactive(self) -> bool:
        """A person is at the keyboard: stdin and stdout are terminals."""
        return _isatty(self.stdin) and _isatty(self.stdout)

    @cached_property
    def out(self) -> Console:
        return _console(self.stdout, quiet=False)

    @cached_property
    def err(self) -> Console:
        return _console(self.stderr, quiet=self.quiet)

    @cached_property
    def final(self) -> Console:
        return _console(self.stderr, quiet=False)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def _console(stream: TextIO, quiet: bool) -> Console:
    from rich.console import Console  # rich costs ~70 ms: only commands that print pay it

    terminal = _isatty(stream) and os.environ.get("TERM") != "dumb"
    return Console(
        file=stream,
        force_terminal=None if terminal else False,
        no_color=not terminal or "NO_COLOR" in os.environ,
        highlight=False,
        # ":smile:" in a feed's title stays text; and rich's emoji table (~6 ms) stays unread.
        emoji=False,
        markup=False,
        quiet=quiet,
        width=None if terminal else 120,
        # A log line stays one line in cron mail and journald, however long.
        soft_wrap=not terminal,
    )
