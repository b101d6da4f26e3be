from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from ...draft.approval import describe_approval, is_approved
from ...errors import SendError
from ...lock import workspace_lock
from ...send.journal import Journal
from ...send.sender import (
    Sender,
    plan_send,
    prepare_issue,
    recipients_of,
    send_settings,
    send_test,
    write_dry_run,
)
from ...send.smtp import Transport
from ...state import StateStore, state_path
from ...workspace import open_config
from ..exits import ExitStatus
from ._choose import choose_draft

if TYPE_CHECKING:
    from ..environment import Environment


def run(
    env: Environment,
    draft_file: Path | None,
    dry_run: bool,
    test_to: str | None,
    yes: bool,
    force: bool,
    resend: bool,
    allow_plain: bool,
) -> ExitStatus:
    workspace = env.workspace
    console = env.err
    path, draft = choose_draft(workspace, draft_file, env.err.print)
    config = open_config(workspace)
    settings = send_settings(config)
    issue = prepare_issue(config, settings, draft)
    recipients = recipients_of(config, settings)
    when = datetime.now().astimezone()

    if dry_run:
        directory = workspace / "out" / draft.issue
        paths = write_dry_run(issue, recipients, directory, when)
        env.final.print(f"Dry run: wrote {len(paths)} message(s) to {directory}; sent nothing.")
        return ExitStatus.OK

    if settings.smtp is None:
        raise SendError(f"{config.path}: no [send.smtp] table; see 'Sending' in the README")
    if test_to is not None:
        with workspace_lock(workspace, "send"):
            transport = Transport(settings.smtp, workspace, allow_plain)
            message_id = send_test(issue, test_to, transport, when)
        env.final.print(f"Sent a test copy of {draft.issue} to {escape(test_to)} ({message_id}).")
        return ExitStatus.OK

    if not is_approved(draft) and not force:
        raise SendError(
            f"{path}: {describe_approval(draft)}; or pass --force "
            "(or send yourself a copy with --test-to)"
        )
    with workspace_lock(workspace, "send"), StateStore(state_path(workspace)) as store:
        transport = Transport(settings.smtp, workspace, allow_plain)
        plan = plan_send(Journal(store), draft.issue, recipients, resend)
        verb = "Resume sending" if plan.resuming else "Send"
        question = (
            f"{verb} issue {draft.issue} {issue.subject!r} to {len(plan.to_do)} recipient(s) "
            f"through {transport.where}?"
        )
        if plan.resuming and plan.recipients != recipients:
            console.print(
                "Note: the recipients were frozen when this send began; "
                "changes to send.to or send.subscribers since then do not apply to it."
            )
        if not yes:
            if not env.interactive:
                env.final.print(f"{escape(question)}\nNot a terminal: pass --yes to send.")
                return ExitStatus.USAGE
            if not click.confirm(question, default=False):
                env.final.print("Nothing sent.")
                return ExitStatus.OK

        def report(recipient: str, status: str, detail: str) -> None:
            colour = {"sent": "green", "failed": "red"}.get(status, "yellow")
            console.print(f"[{colour}]{status:<6}[/] {escape(recipient)}  {escape(detail)}")

        outcome = Sender(store, issue, transport, report).run(plan, draft, when)
        deliveries = Journal(store).deliveries(draft.issue, plan.round)

    failed = [d for d in deliveries.values() if d.status == "failed"]
    pending = len(plan.recipients) - sum(1 for d in deliveries.values() if d.done)
    env.final.print(
        f"Issue {draft.issue}: {len(outcome.sent)} sent now, {outcome.skipped} already done, "
        f"{len(failed)} failed, {pending} left to try."
    )
    if outcome.stopped:
        env.final.print(f"[red]Stopped:[/] {escape(outcome.stopped)}. Run the same command again.")
    if failed or pending:
        return ExitStatus.SEND
    return ExitStatus.OK
