"""Send an approved issue by SMTP: once to each recipient, resumable after any crash.

The order of one delivery is what makes it safe to re-run: the journal's ``attempt``
row is committed before the SMTP transaction and ``sent`` only after the server's 250.
A run that dies between the two leaves ``attempt``; the next run tries that recipient
again with the same Message-ID, so the rare duplicate is recognisable as one. Temporary
failures (4xx, a dropped connection) are retried with a doubling delay; a 5xx is
recorded as a permanent failure. When nobody is left to try, the issue is recorded as
published so later drafts do not repeat its items.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Config, SendSettings
from ..errors import SendError
from ..featured import record_published
from ..fileio import write_atomic
from ..model import Draft
from ..render import renderer_for
from ..state import StateStore
from .journal import Delivery, Journal, Recipient, Round
from .message import Issue, build, parse_address, prepare, read_subscribers, unique
from .smtp import DeliveryError, Transport


def send_settings(config: Config) -> SendSettings:
    if config.send is None:
        raise SendError(f"{config.path}: no [send] table; see 'Sending' in the README")
    return config.send


def recipients_of(config: Config, settings: SendSettings) -> list[Recipient]:
    """The list addresses and the subscribers, each address once, in order."""
    found = [parse_address(value, "send.to") for value in settings.to]
    if settings.subscribers:
        found += read_subscribers(config.workspace / settings.subscribers)
    found = unique(found)
    if not found:
        raise SendError("nobody to send to: set send.to and/or send.subscribers")
    return found


def prepare_issue(config: Config, settings: SendSettings, draft: Draft) -> Issue:
    """Render the draft now, with the workspace's renderers, and check its headers."""
    renderer = renderer_for(config.workspace, config)
    rendered = renderer.render_all(draft, ["txt", "html"])
    archive = settings.archive_url or config.newsletter.url
    issue = prepare(draft, rendered["txt"], rendered["html"], settings, config.workspace, archive)
    issue.personal_link = (renderer.unsubscribe_url(), renderer.unsubscribe_url)
    return issue


def eml_name(number: int, email: str) -> str:
    return f"{number:03d}-{re.sub(r'[^A-Za-z0-9._-]', '_', email.replace('@', '_at_'))}.eml"


def write_dry_run(
    issue: Issue, recipients: list[Recipient], directory: Path, when: datetime
) -> list[Path]:
    """Write the exact bytes each recipient would get as ``.eml`` files; send nothing."""
    paths = []
    for number, recipient in enumerate(recipients, start=1):
        path = directory / eml_name(number, recipient[0])
        # Private: each file names one subscriber, and the list is theirs, not the web's.
        write_atomic(path, build(issue, recipient, when).as_bytes(), private=True)
        paths.append(path)
    return paths


def send_test(issue: Issue, address: str, transport: Transport, when: datetime) -> str:
    """One copy to ``address`` with ``[TEST]`` before the subject; not journaled."""
    recipient = parse_address(address, "--test-to")
    message = build(issue, recipient, when, test=True)
    try:
        transport.send(issue.sender[0], recipient[0], message.as_bytes())
    except DeliveryError as error:
        raise SendError(f"the test copy to {recipient[0]} failed: {error.reason}") from None
    finally:
        transport.close()
    return str(message["Message-ID"])


@dataclass
class Plan:
    """What a real send will do, shown to the editor before confirming."""

    issue: str
    round: int
    recipients: list[Recipient]
    resuming: bool
    done: dict[str, Delivery] = field(default_factory=dict)

    @property
    def to_do(self) -> list[Recipient]:
        return [r for r in self.recipients if not (r[0] in self.done and self.done[r[0]].done)]


def plan_send(journal: Journal, issue: str, recipients: list[Recipient], resend: bool) -> Plan:
    """Resume an unfinished round, refuse a finished one unless ``resend``, or start."""
    latest = journal.latest(issue)
    if latest is not None and latest.completed_at is None:
        done = journal.deliveries(issue, latest.number)
        return Plan(issue, latest.number, latest.recipients, True, done)
    if latest is not None and not resend:
        raise SendError(
            f"issue {issue} was already sent (finished {latest.completed_at} to "
            f"{len(latest.recipients)} recipient(s)); 'newsletter log {issue}' shows to whom; "
            "pass --resend to send it to everyone again"
        )
    number = latest.number + 1 if latest else 1
    return Plan(issue, number, recipients, False)


@dataclass
class Outcome:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, bool]] = field(default_factory=list)
    """(recipient, reason, permanent)"""
    skipped: int = 0
    stopped: str = ""
    """Why the run stopped before trying everyone (the server could not be reached)."""


Report = Callable[[str, str, str], None]
"""report(recipient, 'sent' | 'failed' | 'retry', detail)"""


class Sender:
    """Carries out a :class:`Plan` over one transport, journaling every step."""

    def __init__(
        self,
        store: StateStore,
        issue: Issue,
        transport: Transport,
        report: Report | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.journal = Journal(store)
        self.issue = issue
        self.transport = transport
        self.report: Report = report or (lambda *_: None)
        self.sleep = sleep
        smtp = transport.settings
        self.interval = 60.0 / smtp.rate_per_minute if smtp.rate_per_minute else 0.0
        self._last_start = 0.0

    def run(self, plan: Plan, draft: Draft, when: datetime) -> Outcome:
        if not plan.resuming:
            self.journal.start(plan.issue, plan.recipients)
        self.issue.round = plan.round
        outcome = Outcome(skipped=len(plan.recipients) - len(plan.to_do))
        try:
            for recipient in plan.to_do:
                if not self._deliver(plan.round, recipient, when, outcome):
                    break
        finally:
            self.transport.close()
        deliveries = self.journal.deliveries(plan.issue, plan.round)
        finished = all(r[0] in deliveries and deliveries[r[0]].done for r in plan.recipients)
        if finished:
            self.journal.complete(plan.issue, plan.round)
            if any(d.status == "sent" for d in deliveries.values()):
                record_published(self.store, draft, via="send")
        return outcome

    def _deliver(self, number: int, recipient: Recipient, when: datetime, outcome: Outcome) -> bool:
        """Deliver to one recipient with retries; False when the server is unreachable."""
        email = recipient[0]
        data = build(self.issue, recipient, when).as_bytes()
        message_id = self.issue.message_id(email)
        retries = self.transport.settings.retries
        delay = self.transport.settings.retry_delay
        for attempt in range(retries + 1):
            if attempt:
                self.sleep(delay * 2 ** (attempt - 1))
            self._pace()
            try:
                self.transport.connect()
            except DeliveryError as error:
                if attempt < retries:
                    self.report(email, "retry", error.reason)
                    continue
                outcome.stopped = error.reason
                return False
            self.journal.attempt(self.issue.issue, number, email, message_id)
            try:
                self.transport.send(self.issue.sender[0], email, data)
            except DeliveryError as error:
                self.journal.failed(self.issue.issue, number, email, error.reason, error.permanent)
                if error.permanent or attempt == retries:
                    outcome.failed.append((email, error.reason, error.permanent))
                    self.report(email, "failed", error.reason)
                    return True
                self.report(email, "retry", error.reason)
                continue
            self.journal.sent(self.issue.issue, number, email)
            outcome.sent.append(email)
            self.report(email, "sent", message_id)
            return True
        return True

    def _pace(self) -> None:
        if self.interval:
            wait = self._last_start + self.interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            self._last_start = time.monotonic()


def summary(journal: Journal, issue: str | None) -> list[tuple[Round, dict[str, Delivery]]]:
    """Every round (of ``issue``, or of all issues) with its deliveries, for the log."""
    return [(r, journal.deliveries(r.issue, r.number)) for r in journal.rounds(issue)]


def describe_delivery(delivery: Delivery | None) -> dict[str, Any]:
    if delivery is None:
        return {"status": "not tried", "when": "", "attempts": 0, "error": ""}
    status = delivery.status
    if status == "failed":
        status = "failed" if delivery.permanent else "failed (temporary)"
    when = delivery.sent_at or delivery.updated_at
    return {"status": status, "when": when, "attempts": delivery.attempts, "error": delivery.error}
