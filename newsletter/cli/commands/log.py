from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from ...send.journal import Journal
from ...send.sender import describe_delivery, summary
from ...state import StateStore, state_path
from ..exits import ExitStatus

if TYPE_CHECKING:
    from ..environment import Environment


def run(env: Environment, issue: str | None) -> ExitStatus:
    out = env.out
    path = state_path(env.workspace)
    if not path.is_file():
        out.print("Nothing has been sent from this workspace yet.")
        return ExitStatus.OK
    with StateStore(path) as store:
        rounds = summary(Journal(store), issue)
    if not rounds:
        out.print(f"Issue {escape(issue)} has not been sent." if issue else "Nothing sent yet.")
        return ExitStatus.OK
    if issue is None:
        table = Table(title="Sent issues")
        for column in ("issue", "round", "started", "finished", "sent", "failed", "left"):
            table.add_column(column, justify="right" if column in {"sent", "failed"} else "left")
        for sent_round, deliveries in rounds:
            sent = sum(1 for d in deliveries.values() if d.status == "sent")
            failed = sum(1 for d in deliveries.values() if d.status == "failed")
            left = sum(
                1
                for email, _ in sent_round.recipients
                if email not in deliveries or not deliveries[email].done
            )
            table.add_row(
                sent_round.issue,
                str(sent_round.number),
                sent_round.started_at,
                sent_round.completed_at or "unfinished",
                str(sent),
                str(failed),
                str(left),
            )
        out.print(table)
        return ExitStatus.OK
    for sent_round, deliveries in rounds:
        finished = sent_round.completed_at or "unfinished: run 'newsletter send' again"
        table = Table(
            title=f"Issue {sent_round.issue}, round {sent_round.number} "
            f"(started {sent_round.started_at}, finished {finished})"
        )
        for column in ("recipient", "status", "when", "attempts", "error"):
            table.add_column(column)
        for email, name in sent_round.recipients:
            row = describe_delivery(deliveries.get(email))
            who = f"{name} <{email}>" if name else email
            table.add_row(
                escape(who), row["status"], row["when"], str(row["attempts"]), escape(row["error"])
            )
        out.print(table)
    return ExitStatus.OK
