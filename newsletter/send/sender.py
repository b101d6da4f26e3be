"""Send an approved issue: once to each recipient, resumable after any crash, and
honest about what it cannot know.

One delivery is journaled before each step that matters (see :mod:`.journal`):
``attempting`` before the transaction, ``unknown`` just before the point of no return,
then what the server answered. So a re-run after a crash, a kill or a full disk tries
again exactly those who cannot have the message, and names those who may have it
(``unknown``) instead of mailing them again; ``--retry-unknown`` is the explicit choice.

A refusal about the *sender* — the server unreachable, AUTH refused, a 5xx to MAIL FROM
(a daily quota), the same permanent refusal for several different recipients in a row
(a policy, a blocklist) — stops the round and leaves everyone not yet reached pending,
never failed: once the sender's problem is fixed, the same command finishes the job.
Temporary refusals of one recipient are retried with a doubling delay, then left
``deferred`` for the next run. When nobody is left to try, the issue's items are
recorded as published so later drafts do not repeat them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Config, ListAddress, SendSettings
from ..errors import JournalError, SendError
from ..featured import record_published
from ..fileio import write_atomic
from ..model import Draft
from ..render import renderer_for
from ..state import StateStore
from .backend import DeliveryError, Envelope, SendBackend
from .journal import TO_TRY, Delivery, Journal, Recipient, Round, Status, now, tally
from .message import Issue, build, parse_address, prepare, read_subscribers, unique
from .records import Records, Replayed, later_than, records_name
from .signing import Signer

SAME_REFUSALS = 3
"""This many different recipients refused in a row with the same permanent answer is a
refusal of the sender (a policy, a blocklist, a content filter), not of them."""
_ENHANCED = re.compile(r"^\d{3}[ -]([245])\.(\d{1,3})\.\d{1,3}\b")


def send_settings(config: Config) -> SendSettings:
    if config.send is None:
        raise SendError(f"{config.path}: no [send] table; see 'Sending' in the README")
    return config.send


def configured_recipients(
    config: Config, settings: SendSettings
) -> tuple[list[Recipient], list[str]]:
    """The list addresses of ``[send] to`` and the subscribers, each address once; and
    the subscribers' lines that were skipped (``file:line: why``)."""
    found = [
        parse_address(
            entry.address if isinstance(entry, ListAddress) else entry, "send.to", kind="list"
        )
        for entry in settings.to
    ]
    skipped: list[str] = []
    if settings.subscribers:
        subscribers = read_subscribers(
            config.workspace / settings.subscribers, settings.subscribers
        )
        found += subscribers.recipients
        skipped = subscribers.skipped
    return unique(found), skipped


def recipients_of(
    config: Config, settings: SendSettings, backend: SendBackend[Any]
) -> tuple[list[Recipient], list[str]]:
    """Who this send reaches, as the backend sees it (a list backend: its list); and
    the subscribers' lines that were skipped."""
    configured, skipped = configured_recipients(config, settings)
    found = unique(backend.recipients(configured))
    if not found:
        raise SendError("nobody to send to: set send.to and/or send.subscribers")
    return found, skipped


def prepare_issue(config: Config, settings: SendSettings, draft: Draft) -> Issue:
    """Render the draft now, with the workspace's renderers, and check its headers."""
    renderer = renderer_for(config.workspace, config)
    rendered = renderer.render_all(draft, ["txt", "html"])
    archive = settings.archive_url or config.newsletter.url
    issue = prepare(draft, rendered["txt"], rendered["html"], settings, config.workspace, archive)
    issue.personal_link = (renderer.unsubscribe_url(), renderer.unsubscribe_url)
    issue.no_images = renderer.settings.no_images
    return issue


def signer_for(config: Config, settings: SendSettings) -> Signer | None:
    if settings.dkim is None:
        return None
    return Signer(settings.dkim, config.workspace, config.path)


def message_bytes(
    issue: Issue, recipient: Recipient, when: datetime, signer: Signer | None, test: bool = False
) -> bytes:
    """The exact bytes one recipient gets, signed when DKIM is configured."""
    data = build(issue, recipient, when, test=test)
    return signer.sign(data) if signer is not None else data


_EML = re.compile(r"\d{3,}-[A-Za-z0-9._-]+\.eml")
"""The names :func:`eml_name` gives: a dry run's files, and only those."""


def eml_name(number: int, email: str) -> str:
    return f"{number:03d}-{re.sub(r'[^A-Za-z0-9._-]', '_', email.replace('@', '_at_'))}.eml"


def write_dry_run(
    issue: Issue,
    recipients: list[Recipient],
    directory: Path,
    when: datetime,
    signer: Signer | None = None,
) -> list[Path]:
    """Write the exact bytes each recipient would get as ``.eml`` files; send nothing.
    An earlier dry run's files are removed, so the directory shows this one alone."""
    paths = []
    for number, recipient in enumerate(recipients, start=1):
        path = directory / eml_name(number, recipient.address)
        # Private: each file names one subscriber, and the list is theirs, not the web's.
        write_atomic(path, message_bytes(issue, recipient, when, signer), private=True)
        paths.append(path)
    for stale in directory.glob("*.eml"):
        if _EML.fullmatch(stale.name) and stale not in paths:
            stale.unlink(missing_ok=True)
    return paths


def send_test(
    issue: Issue, address: str, backend: SendBackend[Any], when: datetime, signer: Signer | None
) -> str:
    """One copy to ``address`` with ``[TEST]`` before the subject; not journaled."""
    recipient = parse_address(address, "--test-to")
    message_id = issue.message_id(recipient.address, test=True)
    data = message_bytes(issue, recipient, when, signer, test=True)
    try:
        backend.deliver(Envelope(issue.sender.address, recipient, message_id), data, _nothing)
    except DeliveryError as error:
        raise SendError(f"the test copy to {recipient.address} failed: {error.reason}") from None
    finally:
        backend.close()
    return message_id


def _nothing() -> None:
    pass


# ---------------------------------------------------------------------- planning


@dataclass
class Plan:
    """What a real send will do, shown to the editor before confirming."""

    issue: str
    round: int
    recipients: list[Recipient]
    resuming: bool
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    reopen: list[str] = field(default_factory=list)
    """Recipients of a finished round to try again (``--retry-failed/--retry-unknown``)."""
    earlier: Round | None = None
    """The round a ``--resend`` repeats."""
    recorded: dict[str, str] | None = None
    """When the records (``sent.log``) last recorded each recipient of this round;
    None when they do not know the round."""

    def _status(self, recipient: Recipient) -> str:
        delivery = self.deliveries.get(recipient.address)
        return delivery.status if delivery else "pending"

    @property
    def to_do(self) -> list[Recipient]:
        again = set(self.reopen)
        return [r for r in self.recipients if self._status(r) in TO_TRY or r.address in again]

    @property
    def held(self) -> list[Recipient]:
        return [r for r in self.recipients if self._status(r) == "held"]

    def count(self, status: str) -> int:
        return sum(1 for r in self.recipients if self._status(r) == status)


def plan_send(
    journal: Journal,
    records: Replayed,
    issue: str,
    recipients: list[Recipient],
    *,
    resend: bool = False,
    retry_failed: bool = False,
    retry_unknown: bool = False,
) -> Plan:
    """Resume an unfinished round, retry what is asked, refuse a finished one unless
    ``resend``, or start; refuse when the records show sends the journal lacks."""
    latest = journal.latest(issue)
    missing = unknown_to_journal(journal, issue, records)
    if missing and not resend:
        raise SendError(
            f"the records of issue {issue} show a send the journal "
            f"(.newsletter/state.db) does not know — was state.db lost or replaced? "
            f"{'; '.join(missing)}. Run 'newsletter log --rebuild' to restore the journal "
            "from the records, then send again to resume; or pass --resend to send everyone "
            "the issue again (new Message-IDs)"
        )
    retrying = {"failed"} if retry_failed else set()
    retrying |= {"unknown"} if retry_unknown else set()
    if latest is not None and not resend:
        deliveries = journal.deliveries(issue, latest.number)
        again = [a for a, d in deliveries.items() if d.status in retrying]
        plan = Plan(issue, latest.number, latest.recipients, True, deliveries, again)
        if latest.number in records.rounds:
            plan.recorded = {
                address: delivery.updated_at
                for address, delivery in records.deliveries[latest.number].items()
            }
        if latest.completed_at is None or again:
            return plan
        asked = " or ".join(sorted(retrying))
        raise SendError(
            f"issue {issue} was already sent (finished {latest.completed_at[:19]} to "
            f"{len(latest.recipients)} recipient(s))"
            + (f" and no recipient is {asked}" if retrying else "")
            + f"; 'newsletter log {issue}' shows to whom; pass --resend to send it to "
            "everyone again"
        )
    numbers = [r.number for r in journal.rounds(issue)] + list(records.rounds)
    return Plan(issue, max(numbers, default=0) + 1, recipients, False, earlier=latest)


def unknown_to_journal(journal: Journal, issue: str, records: Replayed) -> list[str]:
    """What the records show of ``issue`` that the journal does not know: rounds it
    lacks, or deliveries it holds an older state of. A round older than the journal's
    latest is history a ``--resend`` already moved past."""
    latest = journal.latest(issue)
    found = []
    for number, recorded in sorted(records.rounds.items()):
        if latest is not None and number < latest.number:
            continue
        deliveries = records.deliveries[number]
        known = journal.deliveries(issue, number)
        behind = later_than(deliveries, known)
        if not known:
            found.append(
                f"{records_name(issue)} records round {number} (started "
                f"{recorded.started_at[:19]}, {tally(deliveries.values())})"
            )
        elif behind:
            found.append(
                f"{records_name(issue)} records later states of {len(behind)} recipient(s) "
                f"of round {number} ({tally(behind)})"
            )
    return found


# ---------------------------------------------------------------------- sending


@dataclass
class Outcome:
    """What one run did; the journal holds every recipient's state."""

    sent: list[str] = field(default_factory=list)
    skipped: int = 0
    stopped: str = ""
    """Why the run stopped before trying everyone (a refusal of the sender)."""
    interrupted: bool = False
    """Stopped by Ctrl-C, after the message in flight."""


Report = Callable[[str, str, str], None]
"""report(recipient, 'sent' | 'failed' | 'deferred' | 'unknown' | 'held' | 'retry'
| 'pending', detail)"""


class Sender:
    """Carries out a :class:`Plan` through one backend, recording every step in the
    journal and in the records beside the issue's outputs."""

    def __init__(
        self,
        store: StateStore,
        issue: Issue,
        backend: SendBackend[Any],
        records: Records,
        *,
        signer: Signer | None = None,
        report: Report | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.journal = Journal(store)
        self.records = records
        self.issue = issue
        self.backend = backend
        self.signer = signer
        self.report: Report = report or (lambda *_: None)
        self.should_stop = should_stop
        self.sleep = sleep
        settings = issue.settings
        self.retries = settings.retries
        self.retry_delay = settings.retry_delay
        self.interval = 1.0 / settings.max_per_second if settings.max_per_second else 0.0
        self._last_start = -1e9
        self._streak: list[tuple[str, str]] = []
        self.round = 0

    def run(self, plan: Plan, draft: Draft, when: datetime) -> Outcome:
        self.round = self.issue.round = plan.round
        try:
            if not plan.resuming:
                self._start(plan)
            else:
                self._catch_up(plan)
                if plan.reopen:
                    self._reopen(plan)
        except JournalError as failure:
            raise JournalError(
                f"could not record the start of the send: {failure}. Nothing was sent; free "
                "the disk, then run the same command again."
            ) from None
        outcome = Outcome(skipped=len(plan.recipients) - len(plan.to_do) - len(plan.held))
        try:
            self._check_held(plan, outcome)
            for recipient in plan.to_do:
                if self.should_stop():
                    outcome.interrupted = True
                    break
                if not self._deliver(recipient, when, outcome):
                    break
        finally:
            self.backend.close()
        deliveries = self.journal.deliveries(plan.issue, plan.round)
        if all(d.status not in TO_TRY and d.status != "held" for d in deliveries.values()):
            try:
                self._complete(plan, draft, deliveries)
            except JournalError as failure:
                raise JournalError(
                    f"everyone was tried, but recording the end of the send failed: {failure}. "
                    "Free the disk, then run the same command again to record it."
                ) from None
        return outcome

    # ------------------------------------------------------------ one recipient

    def _deliver(self, recipient: Recipient, when: datetime, outcome: Outcome) -> bool:
        """Deliver to one recipient with retries; False when the round must stop."""
        address = recipient.address
        message_id = self.issue.message_id(address)
        data = message_bytes(self.issue, recipient, when, self.signer)
        envelope = Envelope(self.issue.sender.address, recipient, message_id)
        for attempt in range(self.retries + 1):
            if attempt:
                if self.should_stop():
                    outcome.interrupted = True
                    return False
                self.sleep(self.retry_delay * 2 ** (attempt - 1))
            self._pace()
            try:
                self.backend.open()
            except DeliveryError as error:
                if error.kind == "temporary" and attempt < self.retries:
                    self.report(address, "retry", error.reason)
                    continue
                outcome.stopped = error.reason
                return False
            self._mark(
                address,
                "attempting",
                "",
                unrecorded=f"could not record the attempt to reach {address}: {{failure}}. "
                f"Nothing was sent to {address}.",
            )
            try:
                accepted = self.backend.deliver(envelope, data, lambda: self._commit(address))
            except DeliveryError as error:
                step = self._refused(recipient, error, attempt, outcome)
                if step == "retry":
                    continue
                return step == "next"
            self._accepted(address, accepted, outcome)
            return True
        return True

    def _refused(
        self, recipient: Recipient, error: DeliveryError, attempt: int, outcome: Outcome
    ) -> str:
        """Record a refusal; say whether to 'retry', go to the 'next' one, or 'stop'."""
        address, reason = recipient.address, error.reason
        if error.kind != "permanent" or error.sender_wide:
            self._streak = []  # the refusals in a row are broken
        if error.kind == "unknown":
            self._answer(address, "unknown", reason)
            self.report(address, "unknown", reason)
            return "next"
        if error.sender_wide:
            self._answer(address, "pending", reason)
            if error.kind == "temporary" and attempt < self.retries:
                self.report(address, "retry", reason)
                return "retry"
            outcome.stopped = reason
            return "stop"
        if error.kind == "temporary":
            self._answer(address, "deferred", reason)
            if attempt < self.retries:
                self.report(address, "retry", reason)
                return "retry"
            self.report(address, "deferred", reason)
            return "next"
        self._answer(address, "failed", reason)
        self.report(address, "failed", reason)
        return "stop" if self._same_refusals(address, reason, outcome) else "next"

    def _accepted(self, address: str, accepted: str, outcome: Outcome) -> None:
        self._streak = []
        status: Status = "held" if accepted == "held" else "sent"
        try:
            self._mark(address, status, "")
        except JournalError as error:
            raise JournalError(
                f"the server accepted the message for {address}, but recording that failed: "
                f"{error}. The run stopped at once. {address} is left recorded as 'unknown' "
                "(may already have it), so it is not sent again unless you ask "
                "(--retry-unknown). Free the disk, then run the same command again."
            ) from None
        if status == "sent":
            outcome.sent.append(address)
        self.report(address, status, self.issue.message_id(address))

    def _commit(self, address: str) -> None:
        """The point of no return: from here on the server may have the message."""
        self._mark(
            address,
            "unknown",
            "",
            unrecorded=f"could not record that the message to {address} was about to be "
            f"complete: {{failure}}. It was abandoned before its end: {address} does not "
            "have it.",
        )

    def _same_refusals(self, address: str, reason: str, outcome: Outcome) -> bool:
        """Whether this refusal completes a run of identical ones that is about the
        sender; if so, those recipients go back to pending and the round stops."""
        key = refusal_key(reason, address)
        if key is None:
            self._streak = []
            return False
        if self._streak and self._streak[-1][1] != key:
            self._streak = []
        self._streak.append((address, key))
        if len(self._streak) < SAME_REFUSALS:
            return False
        for refused, _ in self._streak:
            self._answer(refused, "pending", reason)
            self.report(refused, "pending", "left for the next run")
        outcome.stopped = (
            f"the server refused {len(self._streak)} different recipients in a row with the "
            f"same answer ({reason}): that is a refusal of the sender, not of them, so they "
            "are left pending"
        )
        self._streak = []
        return True

    def _pace(self) -> None:
        if self.interval:
            wait = self._last_start + self.interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            self._last_start = time.monotonic()

    # ------------------------------------------------------------ the round

    def _start(self, plan: Plan) -> None:
        at = now()
        ids = {r.address: self.issue.message_id(r.address) for r in plan.recipients}
        self.journal.start(plan.issue, plan.round, plan.recipients, ids, self.backend.name, at)
        self._record_round(plan, at, [ids[r.address] for r in plan.recipients])

    def _record_round(self, plan: Plan, at: str, message_ids: list[str]) -> None:
        self.records.append(
            {
                "at": at,
                "event": "round",
                "round": plan.round,
                "backend": self.backend.name,
                "recipients": [list(r) for r in plan.recipients],
                "message_ids": message_ids,
            }
        )

    def _catch_up(self, plan: Plan) -> None:
        """Bring the records of a resumed round up to the journal: the round itself
        when they lack it (begun before records were kept, or the file was lost), and
        any state whose append failed last time (the journal is written first)."""
        ids = {r.address: self.issue.message_id(r.address) for r in plan.recipients}
        self.journal.add_missing(plan.issue, plan.round, plan.recipients, ids, now())
        known = self.journal.deliveries(plan.issue, plan.round)
        recorded = plan.recorded
        if recorded is None:
            started = self.journal.latest(plan.issue)
            at = started.started_at if started else now()
            self._record_round(plan, at, [known[r.address].message_id for r in plan.recipients])
            recorded = dict.fromkeys(known, at)
        for delivery in known.values():
            if delivery.updated_at > recorded.get(delivery.recipient, ""):
                self.records.delivery(
                    delivery.updated_at,
                    plan.round,
                    delivery.recipient,
                    delivery.status,
                    delivery.error,
                )

    def _reopen(self, plan: Plan) -> None:
        at = now()
        self.journal.reopen(plan.issue, plan.round, plan.reopen, at)
        self.records.append({"at": at, "event": "reopen", "round": plan.round})
        for address in plan.reopen:
            self.records.delivery(at, plan.round, address, "pending", "")

    def _check_held(self, plan: Plan, outcome: Outcome) -> None:
        """Posts that waited for a moderator: those that left the queue count as sent.
        Mailman's REST API keeps no trace of a held post once a moderator decided, so
        an accepted one cannot be told from a discarded one: the words say so."""
        left = (
            "left moderation: accepted by a moderator, or discarded (Mailman does not "
            "say which; the list's archive shows whether it went out)"
        )
        for recipient in plan.held:
            envelope = Envelope(
                self.issue.sender.address, recipient, self.issue.message_id(recipient.address)
            )
            if self.backend.still_held(envelope):
                self.report(recipient.address, "held", "still waiting for a moderator")
            else:
                self._answer(recipient.address, "sent", left)
                outcome.sent.append(recipient.address)
                self.report(recipient.address, "sent", left)

    def _complete(self, plan: Plan, draft: Draft, deliveries: dict[str, Delivery]) -> None:
        at = now()
        self.journal.complete(plan.issue, plan.round, at)
        self.records.append({"at": at, "event": "complete", "round": plan.round})
        if any(d.status == "sent" for d in deliveries.values()):
            record_published(self.store, draft, via="send")

    def _mark(self, address: str, status: Status, error: str, unrecorded: str = "") -> None:
        """One new state, in the journal first, then in the records. ``unrecorded``
        explains a failure to record it ('{failure}' stands for the reason)."""
        at = now()
        try:
            self.journal.mark(self.issue.issue, self.round, address, status, error, at)
            # 'attempting' matters only until the transaction starts, and the
            # journal holds it: the records sync it with the next state.
            self.records.delivery(
                at, self.round, address, status, error, sync=status != "attempting"
            )
        except JournalError as failure:
            if not unrecorded:
                raise
            raise JournalError(
                unrecorded.format(failure=failure)
                + " Nothing more was sent; free the disk, then run the same command again."
            ) from None

    def _answer(self, address: str, status: Status, reason: str) -> None:
        """Record the outcome of a refused or unanswered transaction."""
        self._mark(
            address,
            status,
            reason,
            unrecorded=f"could not record that {address} is now {status} ({reason}): {{failure}}.",
        )


def refusal_key(reason: str, address: str) -> str | None:
    """What identical refusals share: the reply code with its enhanced status code, or
    the whole reply. None for a refusal that is about this mailbox (RFC 3463 classes
    X.1 addressing and X.2 mailbox, or a reply naming the address)."""
    local = address.rpartition("@")[0].lower()
    if address.lower() in reason.lower() or (len(local) > 2 and local in reason.lower()):
        return None
    match = _ENHANCED.match(reason)
    if match is None:
        return reason
    if match.group(2) in {"1", "2"}:
        return None
    return match.group(0)


def summary(journal: Journal, issue: str | None) -> list[tuple[Round, dict[str, Delivery]]]:
    """Every round (of ``issue``, or of all issues) with its deliveries, for the log."""
    return [(r, journal.deliveries(r.issue, r.number)) for r in journal.rounds(issue)]


LABELS = {
    "pending": "not tried",
    "attempting": "interrupted (will retry)",
    "unknown": "unknown (may have it)",
    "sent": "sent",
    "failed": "failed",
    "deferred": "deferred (will retry)",
    "held": "held for moderation",
}


def describe_delivery(delivery: Delivery | None) -> dict[str, Any]:
    if delivery is None:
        return {"status": LABELS["pending"], "when": "", "attempts": 0, "error": ""}
    when = delivery.sent_at or (delivery.updated_at if delivery.attempts else "")
    return {
        "status": LABELS.get(delivery.status, delivery.status),
        "when": when[:19],
        "attempts": delivery.attempts,
        "error": delivery.error,
    }
