from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from ...draft.file import load_draft
from ...errors import DraftError
from ...featured import record_published
from ...lock import workspace_lock
from ...send.journal import Journal, tally
from ...send.records import Records, all_records, later_than
from ...send.sender import describe_delivery, summary, unknown_to_journal
from ...state import StateStore, state_path
from ..exits import ExitStatus

if TYPE_CHECKING:
    from ..environment import Environment

COUNTED = ("sent", "failed", "deferred", "unknown", "held")


def run(env: Environment, issue: str | None, rebuild: bool = False) -> ExitStatus:
    if rebuild:
        return _rebuild(env, issue)
    out = env.out
    path = state_path(env.workspace)
    rounds = []
    if path.is_file():
        with StateStore(path) as store:
            journal = Journal(store)
            rounds = summary(journal, issue)
            lost = _unknown_to_journal(env, journal, issue)
    else:
        lost = [r.issue for r in _records(env, issue)]
    if lost:
        env.final.print(
            Text(
                f"The records of {', '.join(lost)} (out/<issue>/sent.log) show sends the "
                "journal does not know: run 'newsletter log --rebuild' to restore it.",
                "yellow",
            )
        )
    if not rounds:
        if issue:
            out.print(f"Issue {issue} has not been sent.")
        elif path.is_file():
            out.print("Nothing sent yet.")
        else:
            out.print("Nothing has been sent from this workspace yet.")
        return ExitStatus.OK
    if issue is None:
        table = Table(title="Sent issues")
        for column in ("issue", "round", "backend", "started", "finished", *COUNTED, "left"):
            table.add_column(column, justify="right" if column in COUNTED else "left")
        for sent_round, deliveries in rounds:
            counts = Counter(d.status for d in deliveries.values())
            table.add_row(
                sent_round.issue,
                str(sent_round.number),
                sent_round.backend,
                sent_round.started_at[:19],
                (sent_round.completed_at or "unfinished")[:19],
                *(str(counts[status]) for status in COUNTED),
                str(sum(1 for d in deliveries.values() if d.to_try)),
            )
        out.print(table)
        return ExitStatus.OK
    for sent_round, deliveries in rounds:
        finished = (sent_round.completed_at or "")[:19] or "unfinished: run 'newsletter send' again"
        table = Table(
            title=f"Issue {sent_round.issue}, round {sent_round.number} by {sent_round.backend} "
            f"(started {sent_round.started_at[:19]}, finished {finished})"
        )
        for column in ("recipient", "status", "when", "attempts", "error"):
            table.add_column(column)
        for recipient in sent_round.recipients:
            row = describe_delivery(deliveries.get(recipient.address))
            table.add_row(
                recipient.display,
                row["status"],
                row["when"],
                str(row["attempts"]),
                row["error"],
            )
        out.print(table)
        unknown = [a for a, d in deliveries.items() if d.status == "unknown"]
        if unknown:
            out.print(
                f"{len(unknown)} recipient(s) may already have round {sent_round.number}: "
                f"{', '.join(sorted(unknown))}. 'newsletter send --retry-unknown' "
                "sends it to them again (same Message-ID, so a copy is recognisable as one)."
            )
    return ExitStatus.OK


def _records(env: Environment, issue: str | None) -> list[Records]:
    if issue is not None:
        records = Records(env.workspace, issue)
        return [records] if records.exists() else []
    return all_records(env.workspace)


def _unknown_to_journal(env: Environment, journal: Journal, issue: str | None) -> list[str]:
    return [
        records.issue
        for records in _records(env, issue)
        if unknown_to_journal(journal, records.issue, records.replay())
    ]


def _rebuild(env: Environment, issue: str | None) -> ExitStatus:
    """Bring the journal up to what the records say: rounds it lacks and deliveries it
    holds an older state of. Nothing the journal knows better is changed."""
    found = _records(env, issue)
    if not found:
        env.final.print("No records to rebuild from: no out/<issue>/sent.log here.")
        return ExitStatus.OK
    with (
        workspace_lock(env.workspace, "log --rebuild"),
        StateStore(state_path(env.workspace)) as store,
    ):
        journal = Journal(store)
        for records in found:
            replayed = records.replay()
            if replayed.damaged:
                env.err.print(
                    f"{records.path}: skipped {len(replayed.damaged)} unreadable line(s) "
                    f"({', '.join(map(str, replayed.damaged[:5]))}): cut short by a crash or a "
                    "full disk"
                )
            for number, recorded in sorted(replayed.rounds.items()):
                known_round = next(
                    (r for r in journal.rounds(records.issue) if r.number == number), None
                )
                behind = later_than(
                    replayed.deliveries[number], journal.deliveries(records.issue, number)
                )
                completed = (known_round.completed_at if known_round else None) or (
                    recorded.completed_at
                )
                if (
                    known_round is not None
                    and not behind
                    and (completed == known_round.completed_at)
                ):
                    env.final.print(f"{records.issue} round {number}: the journal is up to date.")
                    continue
                journal.restore(replace(recorded, completed_at=completed), behind)
                sent = sum(1 for d in behind if d.status == "sent")
                env.final.print(
                    f"{records.issue} round {number}: restored {len(behind)} of "
                    f"{len(recorded.recipients)} deliveries ({tally(behind)})"
                    + (", finished" if completed else ", unfinished")
                    + "."
                )
                if completed and sent:
                    _republish(env, store, records.issue)
    return ExitStatus.OK


def _republish(env: Environment, store: StateStore, issue: str) -> None:
    """A lost state.db also lost which items the issue published: take them from its
    draft again, so later drafts still leave them out."""
    draft_path = env.workspace / "drafts" / f"{issue}.yaml"
    if not draft_path.is_file():
        return
    try:
        record_published(store, load_draft(draft_path), via="send")
    except DraftError as error:
        env.err.print(f"{draft_path}: not read again ({error})")
