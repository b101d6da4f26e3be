"""How ``lint`` and ``send`` print the checks' findings: one line each, coloured by level."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

    from ..draft.lint import Finding


def show_findings(console: Console, findings: list[Finding]) -> None:
    for finding in findings:
        colour = "red" if finding.level == "error" else "yellow"
        console.print(
            Text.assemble((finding.level, colour), f" {finding.where}: {finding.message}")
        )
