"""The send journal: who got which issue, so a re-run resumes and never double-sends.

Each send of an issue is a *round* (1, then one more per ``--resend``) whose recipient
list is frozen when it starts. Each recipient's row says ``attempt`` — committed before
the SMTP transaction — then ``sent`` after the server's 250, or ``failed``. A recipient
left at ``attempt`` (the sender died mid-transaction) or ``failed`` temporarily is tried
again by the next run; ``sent`` and permanently ``failed`` ones never are.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from ..state import StateStore

Recipient = tuple[str, str]
"""(address, display name)"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Delivery:
    recipient: str
    message_id: str
    status: str
    permanent: bool
    error: str
    attempts: int
    first_attempt_at: str
    updated_at: str
    sent_at: str | None

    @property
    def done(self) -> bool:
        """Never to be tried again: delivered, or refused for good."""
        return self.status == "sent" or (self.status == "failed" and self.permanent)


@dataclass(frozen=True)
class Round:
    issue: str
    number: int
    recipients: list[Recipient]
    started_at: str
    completed_at: str | None


class Journal:
    def __init__(self, store: StateStore) -> None:
        self.db: sqlite3.Connection = store.db

    def rounds(self, issue: str | None = None) -> list[Round]:
        query = "SELECT issue, round, recipients, started_at, completed_at FROM sends"
        rows = (
            self.db.execute(query + " WHERE issue = ? ORDER BY round", (issue,))
            if issue
            else self.db.execute(query + " ORDER BY issue, round")
        )
        return [
            Round(row[0], row[1], [(e, n) for e, n in json.loads(row[2])], row[3], row[4])
            for row in rows
        ]

    def latest(self, issue: str) -> Round | None:
        rounds = self.rounds(issue)
        return rounds[-1] if rounds else None

    def start(self, issue: str, recipients: list[Recipient]) -> Round:
        """Begin a new round with ``recipients`` frozen."""
        latest = self.latest(issue)
        number = latest.number + 1 if latest else 1
        started = _now()
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT INTO sends (issue, round, recipients, started_at) VALUES (?, ?, ?, ?)",
                (issue, number, json.dumps([list(r) for r in recipients]), started),
            )
        return Round(issue, number, recipients, started, None)

    def deliveries(self, issue: str, number: int) -> dict[str, Delivery]:
        rows = self.db.execute(
            "SELECT recipient, message_id, status, permanent, error, attempts,"
            " first_attempt_at, updated_at, sent_at FROM deliveries"
            " WHERE issue = ? AND round = ? ORDER BY first_attempt_at, recipient",
            (issue, number),
        )
        return {row[0]: Delivery(row[0], row[1], row[2], bool(row[3]), *row[4:]) for row in rows}

    def attempt(self, issue: str, number: int, recipient: str, message_id: str) -> None:
        """Record, durably, that a transaction with ``recipient`` is about to start."""
        now = _now()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO deliveries (issue, round, recipient, message_id, status,"
                " attempts, first_attempt_at, updated_at) VALUES (?, ?, ?, ?, 'attempt', 1, ?, ?)"
                " ON CONFLICT (issue, round, recipient) DO UPDATE SET status = 'attempt',"
                " attempts = attempts + 1, error = '', updated_at = excluded.updated_at",
                (issue, number, recipient, message_id, now, now),
            )

    def sent(self, issue: str, number: int, recipient: str) -> None:
        now = _now()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE deliveries SET status = 'sent', error = '', updated_at = ?, sent_at = ?"
                " WHERE issue = ? AND round = ? AND recipient = ?",
                (now, now, issue, number, recipient),
            )

    def failed(self, issue: str, number: int, recipient: str, error: str, permanent: bool) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE deliveries SET status = 'failed', permanent = ?, error = ?,"
                " updated_at = ? WHERE issue = ? AND round = ? AND recipient = ?",
                (int(permanent), error, _now(), issue, number, recipient),
            )

    def complete(self, issue: str, number: int) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE sends SET completed_at = ? WHERE issue = ? AND round = ?",
                (_now(), issue, number),
            )
