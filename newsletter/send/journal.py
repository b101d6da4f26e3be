"""The send journal: who got which issue, so a re-run resumes and never double-sends
without saying so.

Each send of an issue is a *round* (1, then one more per ``--resend``) whose recipient
list is frozen when it starts; every recipient starts ``pending``. One delivery moves

    pending → attempting → unknown → sent | failed | deferred | held

``attempting`` is committed before the transaction starts (MAIL FROM) and ``unknown``
just before the point of no return (SMTP's final dot, a list's REST post), each one
fsynced. So a recipient found ``attempting`` after a crash never got a complete message
and is tried again, while one found ``unknown`` may have it: the server was given the
message and its answer was never read. ``unknown`` is never retried on its own.
``failed`` is a permanent refusal, ``deferred`` a temporary one (tried again by the next
run), ``held`` a post waiting in a list's moderation queue.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NamedTuple

from ..errors import JournalError
from ..fileio import disk_note
from ..state import StateStore

Status = Literal["pending", "attempting", "unknown", "sent", "failed", "deferred", "held"]
STATUSES: tuple[Status, ...] = (
    "pending",
    "attempting",
    "unknown",
    "sent",
    "failed",
    "deferred",
    "held",
)
TO_TRY: frozenset[str] = frozenset({"pending", "attempting", "deferred"})
"""States a plain re-run tries again: the server cannot have the message."""
SHOWN: tuple[Status, ...] = (
    "sent",
    "failed",
    "deferred",
    "unknown",
    "held",
    "attempting",
    "pending",
)
"""The order states are counted in for people."""

Kind = Literal["subscriber", "list"]


class Recipient(NamedTuple):
    address: str
    name: str = ""
    kind: Kind = "subscriber"
    """``list``: a list address (list headers, no personal unsubscribe link)."""

    @property
    def display(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


def now() -> str:
    """A timestamp precise enough to order the records of one run."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Delivery:
    recipient: str
    message_id: str
    status: str
    error: str
    attempts: int
    first_attempt_at: str | None
    updated_at: str
    sent_at: str | None

    @property
    def to_try(self) -> bool:
        return self.status in TO_TRY


@dataclass(frozen=True)
class Round:
    issue: str
    number: int
    recipients: list[Recipient]
    started_at: str
    completed_at: str | None
    backend: str = "smtp"


def recipients_from_json(text: str) -> list[Recipient]:
    """A round's frozen recipients; rounds before list addresses were told apart hold
    ``[address, name]`` pairs."""
    return [Recipient(*entry) for entry in json.loads(text)]


def tally(deliveries: Iterable[Delivery]) -> str:
    """``3 sent, 1 unknown``: how many deliveries are in each state."""
    counts = Counter(delivery.status for delivery in deliveries)
    return ", ".join(f"{counts[s]} {s}" for s in SHOWN if counts[s]) or "nobody"


class Journal:
    """The rows of ``sends`` and ``deliveries`` in ``state.db``; every write is one
    transaction, synced to disk before it returns."""

    def __init__(self, store: StateStore) -> None:
        self.db: sqlite3.Connection = store.db
        self.path: Path = store.path
        # WAL's default (NORMAL) may lose the last commits on power loss; the journal
        # is only worth its cost if a committed state is on disk.
        self.db.execute("PRAGMA synchronous=FULL")

    # ---------------------------------------------------------------- reading

    def rounds(self, issue: str | None = None) -> list[Round]:
        query = "SELECT issue, round, recipients, started_at, completed_at, backend FROM sends"
        rows = (
            self.db.execute(query + " WHERE issue = ? ORDER BY round", (issue,))
            if issue
            else self.db.execute(query + " ORDER BY issue, round")
        )
        return [
            Round(row[0], row[1], recipients_from_json(row[2]), row[3], row[4], row[5])
            for row in rows
        ]

    def latest(self, issue: str) -> Round | None:
        rounds = self.rounds(issue)
        return rounds[-1] if rounds else None

    def deliveries(self, issue: str, number: int) -> dict[str, Delivery]:
        rows = self.db.execute(
            "SELECT recipient, message_id, status, error, attempts, first_attempt_at,"
            " updated_at, sent_at FROM deliveries WHERE issue = ? AND round = ?",
            (issue, number),
        )
        return {row[0]: Delivery(*row) for row in rows}

    # ---------------------------------------------------------------- writing

    @contextmanager
    def _write(self) -> Iterator[None]:
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                yield
        except sqlite3.OperationalError as error:
            if "locked" in str(error):
                raise
            raise JournalError(f"{self.path}: {_explained(error, self.path)}") from None
        except sqlite3.DatabaseError as error:
            raise JournalError(f"{self.path}: {_explained(error, self.path)}") from None

    def start(
        self,
        issue: str,
        number: int,
        recipients: list[Recipient],
        message_ids: dict[str, str],
        backend: str,
        at: str,
    ) -> Round:
        """Begin round ``number`` with ``recipients`` frozen, each one pending."""
        with self._write():
            self.db.execute(
                "INSERT INTO sends (issue, round, recipients, started_at, backend)"
                " VALUES (?, ?, ?, ?, ?)",
                (issue, number, json.dumps([list(r) for r in recipients]), at, backend),
            )
            self.db.executemany(
                "INSERT INTO deliveries (issue, round, recipient, message_id, status,"
                " updated_at) VALUES (?, ?, ?, ?, 'pending', ?)",
                [(issue, number, r.address, message_ids[r.address], at) for r in recipients],
            )
        return Round(issue, number, recipients, at, None, backend)

    def add_missing(
        self,
        issue: str,
        number: int,
        recipients: list[Recipient],
        message_ids: dict[str, str],
        at: str,
    ) -> None:
        """Pending rows for recipients of a round that has none (rounds journaled before
        every recipient got a row when the round began)."""
        with self._write():
            self.db.executemany(
                "INSERT OR IGNORE INTO deliveries (issue, round, recipient, message_id,"
                " status, updated_at) VALUES (?, ?, ?, ?, 'pending', ?)",
                [(issue, number, r.address, message_ids[r.address], at) for r in recipients],
            )

    def mark(
        self, issue: str, number: int, recipient: str, status: Status, error: str, at: str
    ) -> None:
        """Move one delivery to ``status``; ``attempting`` counts an attempt."""
        with self._write():
            self.db.execute(
                "UPDATE deliveries SET status = :status, error = :error, updated_at = :at,"
                " attempts = attempts + (:status = 'attempting'),"
                " first_attempt_at = COALESCE(first_attempt_at,"
                "   CASE WHEN :status = 'attempting' THEN :at END),"
                " sent_at = CASE WHEN :status = 'sent' THEN :at ELSE sent_at END"
                " WHERE issue = :issue AND round = :round AND recipient = :recipient",
                {
                    "status": status,
                    "error": error,
                    "at": at,
                    "issue": issue,
                    "round": number,
                    "recipient": recipient,
                },
            )

    def reopen(self, issue: str, number: int, recipients: Iterable[str], at: str) -> None:
        """Make ``recipients`` pending again in a round that may have completed."""
        with self._write():
            self.db.executemany(
                "UPDATE deliveries SET status = 'pending', updated_at = ?"
                " WHERE issue = ? AND round = ? AND recipient = ?",
                [(at, issue, number, r) for r in recipients],
            )
            self.db.execute(
                "UPDATE sends SET completed_at = NULL WHERE issue = ? AND round = ?",
                (issue, number),
            )

    def complete(self, issue: str, number: int, at: str) -> None:
        with self._write():
            self.db.execute(
                "UPDATE sends SET completed_at = ? WHERE issue = ? AND round = ?",
                (at, issue, number),
            )

    def restore(self, round_: Round, deliveries: Iterable[Delivery]) -> None:
        """Write a round and its deliveries as recorded elsewhere (``log --rebuild``),
        replacing what the journal holds for them."""
        with self._write():
            self.db.execute(
                "INSERT INTO sends (issue, round, recipients, started_at, completed_at, backend)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (issue, round) DO UPDATE SET"
                " completed_at = excluded.completed_at",
                (
                    round_.issue,
                    round_.number,
                    json.dumps([list(r) for r in round_.recipients]),
                    round_.started_at,
                    round_.completed_at,
                    round_.backend,
                ),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO deliveries (issue, round, recipient, message_id,"
                " status, error, attempts, first_attempt_at, updated_at, sent_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        round_.issue,
                        round_.number,
                        d.recipient,
                        d.message_id,
                        d.status,
                        d.error,
                        d.attempts,
                        d.first_attempt_at,
                        d.updated_at,
                        d.sent_at,
                    )
                    for d in deliveries
                ],
            )


def _explained(error: sqlite3.Error, path: Path) -> str:
    # SQLite reports a write refused for lack of space, or by a file-size limit, only
    # as an I/O error: say where the room would be.
    if "disk I/O error" in str(error) or "disk is full" in str(error):
        return f"{error} (no room? {disk_note(path)})"
    return str(error)
