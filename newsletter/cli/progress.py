"""What ``draft`` shows while it gathers: a line per source, then a summary table."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model import Section


class CliReporter:
    """Reports gathering progress: one plain line per source, and a summary table."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def source_done(
        self, section: str, source: str, seconds: float, size: int, error: str | None
    ) -> None:
        outcome = ("failed: " + error, "red") if error else f"ok {human_size(size)}"
        self.console.print(Text.assemble(f"{section:<12} {source}  {seconds:.2f}s  ", outcome))

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
            Text(str(problems), "red") if problems else "0",
        )
    return table


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"
