"""``newsletter status``: what the draft holds and what needs the editor's eye."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from ...draft.approval import describe_approval, is_approved
from ...model import Draft
from ...urls import canonical_url
from ..exits import ExitStatus
from ._choose import choose_draft

if TYPE_CHECKING:
    from ..environment import Environment


@dataclass
class SectionStatus:
    id: str
    included: int
    offered: int
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check(draft: Draft, max_words: int) -> list[SectionStatus]:
    """Counts, gathering problems and warnings for each section of ``draft``."""
    report = [
        SectionStatus(s.id, len(s.included), len(s.items), problems=list(s.problems))
        for s in draft.sections
    ]
    first_seen: dict[str, str] = {}
    for section, status in zip(draft.sections, report, strict=True):
        if not section.included:
            status.warnings.append("no item included: the section will be left out")
        for item in section.included:
            name = repr(item.title or item.id)
            words = len(item.summary.split())
            if words > max_words:
                status.warnings.append(f"{name}: summary of {words} words (over {max_words})")
            if not item.url.strip():
                status.warnings.append(f"{name} has no URL")
                continue
            key = canonical_url(item.url)
            earlier = first_seen.setdefault(key, section.id)
            if earlier != section.id:
                status.warnings.append(f"{name}: same URL as an item in {earlier}")
    return report


def run(env: Environment, draft_file: Path | None, max_words: int) -> ExitStatus:
    _, draft = choose_draft(env.workspace, draft_file, env.err.print)
    report = check(draft, max_words)
    out = env.out
    table = Table(title=f"{draft.title} — {draft.issue}")
    table.add_column("section")
    table.add_column("included", justify="right")
    table.add_column("offered", justify="right")
    table.add_column("problems", justify="right")
    table.add_column("warnings", justify="right")
    for status in report:
        table.add_row(
            status.id,
            str(status.included),
            str(status.offered),
            str(len(status.problems)),
            str(len(status.warnings)),
        )
    out.print(table)
    for status in report:
        for problem in status.problems:
            out.print(f"[red]problem[/] {status.id}: {escape(problem)}")
        for warning in status.warnings:
            out.print(f"[yellow]warning[/] {status.id}: {escape(warning)}")
    colour = "green" if is_approved(draft) else "yellow"
    line = describe_approval(draft)
    out.print(f"[{colour}]{escape(line[:1].upper() + line[1:])}[/]")
    return ExitStatus.OK
