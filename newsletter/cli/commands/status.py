"""``newsletter status``: what the draft holds and what needs the editor's eye.

It works on the draft's JSON form (:func:`newsletter.draft.record.draft_data`): a
draft unchanged since it was last read or written is known from its record, so the
command answers without loading pydantic or a YAML parser.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
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
from ...draft.record import digest, draft_data, read_bytes, record_path
from ...fileio import write_cache
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


Dropped = list[tuple[str, str, str]]
"""(section, where, message) of each link or image rendering leaves out."""


def check(
    draft: Mapping[str, Any], max_words: int, dropped: Dropped | None = None
) -> tuple[list[SectionStatus], list[str]]:
    """Counts, gathering problems and warnings for each section of ``draft`` (the
    validated draft's JSON form), and the warnings about the issue itself (its intro).
    ``dropped``: what rendering leaves out, if known already (else found now)."""
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
    for section, where, message in _dropped(draft) if dropped is None else dropped:
        if section in by_id:
            by_id[section].warnings.append(f"{where}: {message}")
        else:
            issue.append(f"{where}: {message}")
    return report, issue


def _dropped(draft: Mapping[str, Any]) -> Dropped:
    from ...inert import dropped_urls  # Markdown parsing: only when not known already

    return [
        (found.section, found.where.removeprefix(found.section).lstrip("/ "), found.message)
        for found in dropped_urls(draft)
    ]


def _modified(module: str) -> int:
    spec = importlib.util.find_spec(module)
    try:
        return Path(spec.origin).stat().st_mtime_ns if spec and spec.origin else 0
    except OSError:
        return 0


def _known_dropped(workspace: Path, path: Path, draft: Mapping[str, Any]) -> Dropped:
    """What rendering leaves out of the draft at ``path``: found by parsing every
    summary's Markdown (tens of ms for 500 items, most of what status costs), then kept
    beside the draft's record under the hash of its bytes and of the rules' code, so a
    status of an unchanged draft only reads it."""
    where = record_path(workspace, path)
    if where is None:
        return _dropped(draft)
    # The rules' code, found without importing it: a change to it is a new key.
    rules = [_modified(f"newsletter.{name}") for name in ("inert", "sanitize", "urls")]
    key = f"{digest(read_bytes(path))}:{rules}"
    kept = where.with_name(where.name.removesuffix(".json") + ".dropped.json")
    try:
        known = json.loads(kept.read_text("utf-8"))
        if known["key"] == key:
            return [(str(a), str(b), str(c)) for a, b, c in known["dropped"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    found = _dropped(draft)
    with contextlib.suppress(OSError):  # a cache: one not written costs speed only
        write_cache(kept, json.dumps({"key": key, "dropped": found}).encode())
    return found


def sending(workspace: Path, issue: str) -> str:
    """Whether ``issue`` was sent, from the send journal: when, to how many, what is left."""
    # The journal and the records alone: the sender would import the renderer.
    from ...send.journal import Journal
    from ...state import StateStore

    path = state_path(workspace)
    if not path.is_file():
        return _not_sent(workspace, issue)

    try:
        with StateStore(path) as store:
            journal = Journal(store)
            rounds = [(r, journal.deliveries(r.issue, r.number)) for r in journal.rounds(issue)]
    except sqlite3.Error as error:
        return f"Whether it was sent is unknown: {path} cannot be read ({error})."
    if not rounds:
        return _not_sent(workspace, issue)
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


def _not_sent(workspace: Path, issue: str) -> str:
    """No send in the journal: unless the records beside the outputs know one."""
    from ...send.records import recorded_send

    recorded = recorded_send(workspace, issue)
    return f"Not sent, says the journal, but {recorded}." if recorded else "Not sent yet."


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        return stamp


def run(env: Environment, draft_file: Path | None, max_words: int) -> ExitStatus:
    path = pick_draft(env.workspace, draft_file, env.err.print)
    draft = draft_data(path, env.workspace)
    report, issue = check(draft, max_words, _known_dropped(env.workspace, path, draft))
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
