"""Everything the CLI shows: rich on a terminal, plain lines for cron and pipes."""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import (
    ConfigError,
    DraftError,
    LockedError,
    NewsletterError,
    RenderError,
    SendError,
)
from .model import Section
from .status import ExitStatus


def make_console(stderr: bool = True, quiet: bool = False) -> Console:
    """A console that stays plain (no colour, no animation) when not on a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    interactive = stream.isatty() and os.environ.get("TERM") != "dumb"
    return Console(
        file=stream,
        force_terminal=None if interactive else False,
        no_color=not interactive or "NO_COLOR" in os.environ,
        highlight=False,
        quiet=quiet,
        width=None if interactive else 120,
        # A log line stays one line in cron mail and journald, however long.
        soft_wrap=not interactive,
    )


def exit_status_for(error: NewsletterError) -> ExitStatus:
    for kind, status in (
        (ConfigError, ExitStatus.CONFIG),
        (DraftError, ExitStatus.DRAFT),
        (LockedError, ExitStatus.LOCKED),
        (RenderError, ExitStatus.RENDER),
        (SendError, ExitStatus.SEND),
    ):
        if isinstance(error, kind):
            return status
    return ExitStatus.ERROR


def show_error(console: Console, error: NewsletterError) -> None:
    if isinstance(error, ConfigError | DraftError):
        console.print(f"[bold red]Error:[/] {escape(error.path)}")
        for problem in error.problems:
            console.print(f"  [red]•[/] {escape(problem)}")
        return
    console.print(f"[bold red]Error:[/] {escape(str(error))}")


class CliReporter:
    """Reports gathering progress: one plain line per source, and a summary table."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def source_done(
        self, section: str, source: str, seconds: float, size: int, error: str | None
    ) -> None:
        outcome = f"[red]failed: {escape(error)}[/]" if error else f"ok {_size(size)}"
        self.console.print(f"{section:<12} {escape(source)}  {seconds:.2f}s  {outcome}")

    def section_done(self, section: Section, seconds: float) -> None:
        pass


def summary_table(sections: list[Section], **title: Any) -> Table:
    table = Table(**title)
    table.add_column("section")
    table.add_column("provider")
    table.add_column("items", justify="right")
    table.add_column("included", justify="right")
    table.add_column("problems", justify="right")
    for section in sections:
        problems = len(section.problems)
        table.add_row(
            section.id,
            section.provider,
            str(len(section.items)),
            str(len(section.included)),
            f"[red]{problems}[/]" if problems else "0",
        )
    return table


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"
