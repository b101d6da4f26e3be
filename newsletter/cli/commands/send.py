from __future__ import annotations

import signal
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

from ...draft.approval import describe_approval, is_approved
from ...draft.lint import Subject, preflight
from ...errors import SendError
from ...lock import workspace_lock
from ...send.backend import DeliveryError, make_backend
from ...send.journal import Journal, Recipient, tally
from ...send.records import Records
from ...send.sender import (
    Plan,
    Sender,
    plan_send,
    prepare_issue,
    recipients_of,
    send_settings,
    send_test,
    signer_for,
    write_dry_run,
)
from ...state import StateStore, state_path
from ...workspace import open_config
from ..exits import ExitStatus
from ..findings import show_findings
from ._choose import choose_draft

if TYPE_CHECKING:
    from rich.console import Console

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
    retry_failed: bool = False,
    retry_unknown: bool = False,
    skip_lint: bool = False,
) -> ExitStatus:
    workspace = env.workspace
    console = env.err
    path, draft = choose_draft(workspace, draft_file, env.err.print)
    config = open_config(workspace)
    settings = send_settings(config)
    issue = prepare_issue(config, settings, draft)
    signer = signer_for(config, settings)
    when = datetime.now().astimezone()

    if test_to is not None:
        # A test copy needs a mail server: the smtp backend, whichever backend sends.
        smtp_settings = settings.model_copy(update={"backend": "smtp"})
        if settings.backend != "smtp" and "smtp" not in settings.backends:
            raise SendError("--test-to sends through SMTP: add a [send.smtp] table")
        with workspace_lock(workspace, "send"):
            tester = make_backend(smtp_settings, config.path, workspace, allow_plain)
            message_id = send_test(issue, test_to, tester, when, signer)
        env.final.print(f"Sent a test copy of {draft.issue} to {test_to} ({message_id}).")
        return ExitStatus.OK

    backend = make_backend(settings, config.path, workspace, allow_plain)
    recipients, skipped = recipients_of(config, settings, backend)
    for line in skipped:
        console.print(Text.assemble(("warning", "yellow"), f" {line}"))
    findings = preflight(
        Subject(
            draft,
            issue.html,
            issue.text,
            settings,
            mails_subscribers=any(r.kind == "subscriber" for r in recipients),
            no_images=issue.no_images,
        )
    )
    if dry_run:
        show_findings(console, findings)
        # What the same command without --dry-run would send: the round it would start
        # or resume (its Message-IDs), to those it would try.
        plan = _plan_for_dry_run(
            workspace,
            draft.issue,
            recipients,
            resend=resend,
            retry_failed=retry_failed,
            retry_unknown=retry_unknown,
        )
        issue.round = plan.round
        directory = workspace / "out" / draft.issue
        paths = write_dry_run(issue, plan.to_do, directory, when, signer)
        again = f" (round {plan.round})" if plan.round > 1 else ""
        if not paths:  # a resumed round with nobody left to try: say who is where
            env.final.print(
                f"Dry run: nobody left to try in round {plan.round} "
                f"({tally(plan.deliveries.values())}); 'newsletter log' lists them, "
                "--retry-failed and --retry-unknown try them again. Wrote nothing."
            )
            return ExitStatus.OK
        env.final.print(
            f"Dry run: wrote {len(paths)} message(s){again} to {directory}; sent nothing."
        )
        return ExitStatus.OK

    if not is_approved(draft) and not force:
        raise SendError(
            f"{path}: {describe_approval(draft)}; or pass --force "
            "(or send yourself a copy with --test-to)"
        )
    show_findings(console, findings)
    errors = [f for f in findings if f.level == "error"]
    if errors and not skip_lint:
        raise SendError(
            f"{len(errors)} error(s) found by the checks 'newsletter lint' runs; fix them, "
            "or pass --skip-lint to send anyway"
        )
    records = Records(workspace, draft.issue)
    with workspace_lock(workspace, "send"), StateStore(state_path(workspace)) as store:
        journal = Journal(store)
        plan = plan_send(
            journal,
            records.replay(),
            draft.issue,
            recipients,
            resend=resend,
            retry_failed=retry_failed,
            retry_unknown=retry_unknown,
        )
        if plan.resuming and plan.recipients != recipients:
            console.print(
                "Note: the recipients were frozen when this send began; "
                "changes to send.to or send.subscribers since then do not apply to it."
            )
        try:  # a wrong password, certificate or list shows now, before any journaling
            backend.open()
        except DeliveryError as error:
            raise SendError(f"{error.reason}; nothing was sent") from None
        if not yes:
            backend.close()  # an idle connection may be dropped while the question waits
        question = _question(plan, issue.subject, backend.where)
        if not yes:
            if not env.interactive:
                env.final.print(f"{question}\nNot a terminal: pass --yes to send.")
                return ExitStatus.USAGE
            if not click.confirm(question, default=False):
                env.final.print("Nothing sent.")
                return ExitStatus.OK

        def report(recipient: str, status: str, detail: str) -> None:
            colour = {"sent": "green", "failed": "red", "unknown": "red"}.get(status, "yellow")
            console.print(Text.assemble((f"{status:<8}", colour), f" {recipient}  {detail}"))

        try:
            with _finish_then_stop(console) as stopping:
                sender = Sender(
                    store,
                    issue,
                    backend,
                    records,
                    signer=signer,
                    report=report,
                    should_stop=stopping,
                )
                outcome = sender.run(plan, draft, when)
        finally:
            records.close()
        deliveries = journal.deliveries(draft.issue, plan.round)

    count = Counter(delivery.status for delivery in deliveries.values())
    left = sum(1 for d in deliveries.values() if d.to_try)
    env.final.print(
        f"Issue {draft.issue}: {len(outcome.sent)} sent now, {outcome.skipped} already done, "
        f"{count['failed']} failed, {count['deferred']} deferred, {left} left to try"
        + (f", {count['held']} held for moderation" if count["held"] else "")
        + "."
    )
    unknown = sorted(a for a, d in deliveries.items() if d.status == "unknown")
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        shown = ", ".join(unknown[:5]) + more
        env.final.print(
            Text.assemble(
                (f"{len(unknown)} recipient(s) may already have it", "red"),
                " (the server was given the message but its answer was lost): "
                f"{shown}. They are not sent again unless you pass --retry-unknown; "
                f"'newsletter log {draft.issue}' lists them.",
            )
        )
    if outcome.stopped:
        env.final.print(
            Text.assemble(("Stopped:", "red"), f" {outcome.stopped}. Run the same command again.")
        )
    if outcome.interrupted:
        env.final.print(
            "Stopped by Ctrl-C after the message in flight: run the same command to go on."
        )
        return ExitStatus.INTERRUPTED
    if count["failed"] or count["deferred"] or left or unknown or count["held"]:
        return ExitStatus.SEND
    return ExitStatus.OK


def _plan_for_dry_run(
    workspace: Path,
    issue: str,
    recipients: list[Recipient],
    *,
    resend: bool,
    retry_failed: bool,
    retry_unknown: bool,
) -> Plan:
    """The plan a send would make now; a workspace that never sent gets no state.db."""
    records = Records(workspace, issue).replay()
    with ExitStack() as stack:
        path = state_path(workspace)
        if not path.is_file():  # no journal yet: plan against an empty one
            path = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "state.db"
        store = stack.enter_context(StateStore(path))
        return plan_send(
            Journal(store),
            records,
            issue,
            recipients,
            resend=resend,
            retry_failed=retry_failed,
            retry_unknown=retry_unknown,
        )


def _question(plan: Plan, subject: str, where: str) -> str:
    if plan.earlier is not None:
        return (
            f"Issue {plan.issue} was already sent (round {plan.earlier.number}, to "
            f"{len(plan.earlier.recipients)} recipient(s)). Send {subject!r} to all "
            f"{len(plan.recipients)} recipient(s) AGAIN, with new Message-IDs, through {where}?"
        )
    verb = "Resume sending" if plan.resuming else "Send"
    return (
        f"{verb} issue {plan.issue} {subject!r} to {len(plan.to_do)} recipient(s) through {where}?"
    )


@contextmanager
def _finish_then_stop(console: Console) -> Iterator[Callable[[], bool]]:
    """The first Ctrl-C lets the message in flight finish, then the run stops; a second
    one stops at once (the journal still says who may have the message)."""
    asked: list[bool] = []

    def handler(signum: int, frame: Any) -> None:
        if asked:
            raise KeyboardInterrupt
        asked.append(True)
        console.print("Ctrl-C: finishing the message in flight, then stopping (again: now).")

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: Ctrl-C keeps its default
        yield lambda: False
        return
    try:
        yield lambda: bool(asked)
    finally:
        signal.signal(signal.SIGINT, previous)
