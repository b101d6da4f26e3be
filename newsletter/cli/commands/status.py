"""``newsletter status``: what the draft holds and what needs the editor's eye.

It works on the draft's JSON form (:func:`newsletter.draft.record.draft_data`): a
draft unchanged since it was last read or written is known from its record, so the
command answers without loading pydantic or a YAML parser.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from ...draft.approval import describe_approval_of, is_approved_data
from ...draft.record import draft_data
from ...inert import dropped_urls
from ...state import state_path
from ...urls import canonical_url
from ..exits import ExitStatus
from ._choose import pick_draft

if TYPE_CHECKING:
    from ..environment import Environment


@dataclass
class SectionStatus:
    id: str
    included: int
    offered: int
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check(draft: Mapping[str, Any], max_words: int) -> tuple[list[SectionStatus], list[str]]:
    """Counts, gathering problems and warnings for each section of ``draft`` (the
    validated draft's JSON form), and the warnings about the issue itself (its intro)."""
    report = []
    first_seen: dict[str, str] = {}
    for section in draft["sections"]:
        included = [item for item in section["items"] if item["include"]]
        status = SectionStatus(
            section["id"], len(included), len(section["items"]), list(section["problems"])
        )
        report.append(status)
        if not included:
            status.warnings.append("no item included: the section will be left out")
        # A missing URL is worth a warning only where the section's other items have
        # one (a hand-added post); some sections link nothing (the figures of stats).
        links = any(item["url"].strip() for item in section["items"])
        for item in included:
            name = repr(item["title"] or item["id"])
            words = len(item["summary"].split())
            if words > max_words:
                status.warnings.append(f"{name}: summary of {words} words (over {max_words})")
            if not item["url"].strip():
                if links:
                    status.warnings.append(f"{name} has no URL")
                continue
            key = canonical_url(item["url"])
            earlier = first_seen.setdefault(key, section["id"])
            if earlier != section["id"]:
                status.warnings.append(f"{name}: same URL as an item in {earlier}")
    by_id = {status.id: status for status in report}
    issue: list[str] = []
    for found in dropped_urls(draft):
        where = found.where.removeprefix(found.section).lstrip("/ ")
        if found.section in by_id:
            by_id[found.section].warnings.append(f"{where}: {found.message}")
        else:
            issue.append(f"{where}: {found.message}")
    return report, issue


def sending(workspace: Path, issue: str) -> str:
    """Whether ``issue`` was sent, from the send journal: when, to how many, what is left."""
    # The journal and the records alone: the sender would import the renderer.
    from ...send.journal import Journal
    from ...send.records import recorded_send
    from ...state import StateStore

    path = state_path(workspace)
    if not path.is_file():
        recorded = recorded_send(workspace, issue)
        return f"Not sent, says the journal, but {recorded}." if recorded else "Not sent yet."

    try:
        with StateStore(path) as store:
            journal = Journal(store)
            rounds = [(r, journal.deliveries(r.issue, r.number)) for r in journal.rounds(issue)]
    except sqlite3.Error as error:
        return f"Whether it was sent is unknown: {path} cannot be read ({error})."
    if not rounds:
        recorded = recorded_send(workspace, issue)
        return f"Not sent, says the journal, but {recorded}." if recorded else "Not sent yet."
    last, deliveries = rounds[-1]
    counts = Counter(delivery.status for delivery in deliveries.values())
    sent, total = counts["sent"], len(last.recipients)
    again = f" (round {last.number})" if last.number > 1 else ""
    if last.completed_at is not None:
        also = "".join(
            f"; {counts[status]} {words}"
            for status, words in (
                ("failed", "refused it"),
                ("unknown", "may already have it ('newsletter log' names them)"),
            )
            if counts[status]
        )
        return f"Sent{again} on {_when(last.completed_at)} to {sent} of {total} recipient(s){also}."
    held = f", {counts['held']} held for moderation" if counts["held"] else ""
    unknown = (
        f", {counts['unknown']} may already have it (resuming leaves them out: "
        "'newsletter log' names them, 'send --retry-unknown' mails them again)"
        if counts["unknown"]
        else ""
    )
    to_try = sum(1 for d in deliveries.values() if d.to_try) + total - len(deliveries)
    if counts["held"] and not to_try:
        # Nothing left to send: the round waits for a list moderator, not for a re-run.
        return (
            f"Held for moderation{again}: {counts['held']} post(s) wait for a list moderator, "
            f"{sent} of {total} recipient(s) have it{unknown} (started "
            f"{_when(last.started_at)}); once a moderator releases it, run 'newsletter send' "
            "to record it."
        )
    return (
        f"Sending unfinished{again}: {sent} of {total} recipient(s) have it{held}{unknown} "
        f"(started {_when(last.started_at)}); run 'newsletter send' again to resume."
    )


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        return stamp


def run(env: Environment, draft_file: Path | None, max_words: int) -> ExitStatus:
    draft = draft_data(pick_draft(env.workspace, draft_file, env.err.print), env.workspace)
    report, issue = check(draft, max_words)
    out = env.out
    table = Table(title=f"{draft['title']} — {draft['issue']}")
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
    for warning in issue:
        out.print(Text.assemble(("warning", "yellow"), f" {warning}"))
    for status in report:
        for problem in status.problems:
            out.print(Text.assemble(("problem", "red"), f" {status.id}: {problem}"))
        for warning in status.warnings:
            out.print(Text.assemble(("warning", "yellow"), f" {status.id}: {warning}"))
    colour = "green" if is_approved_data(draft) else "yellow"
    line = describe_approval_of(draft)
    out.print(Text(line[:1].upper() + line[1:], colour))
    out.print(sending(env.workspace, draft["issue"]))
    return ExitStatus.OK
