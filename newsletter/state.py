"""The workspace's memory between runs: one SQLite file, ``.newsletter/state.db``.

It holds which issues were published and the identity keys of what each featured (so
nothing repeats against its policy, see :mod:`newsletter.featured`), every figure
recorded per issue (for week-over-week change), the delivery journal, and how each
source fared in each issue's draft (so one that fails or comes back empty week after
week is noticed: ``newsletter check --history``). Schema changes are appended to
``MIGRATIONS``; ``PRAGMA user_version`` records how many have been applied.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

STATE_DIR = ".newsletter"
BUSY_TIMEOUT = 30.0
"""Seconds to wait for another connection's lock on the file before giving up."""

MIGRATIONS: list[str] = [
    """
    CREATE TABLE featured (
        key TEXT NOT NULL,          -- canonical URL, Message-ID, iCal UID…
        issue TEXT NOT NULL,
        section TEXT NOT NULL,
        item_id TEXT NOT NULL,
        title TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (key, issue)
    );
    CREATE TABLE figures (
        issue TEXT NOT NULL,
        name TEXT NOT NULL,         -- e.g. 'git/nova/commits', 'lists/openstack-dev/messages'
        value REAL NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (issue, name)
    );
    """,
    # The send journal (newsletter/journal.py): one row per send of an issue, with the
    # recipient list frozen at its start, and one row per (send, recipient).
    """
    CREATE TABLE sends (
        issue TEXT NOT NULL,
        round INTEGER NOT NULL,     -- 1, then 2… for each --resend
        recipients TEXT NOT NULL,   -- JSON [[email, name], …], frozen at the start
        started_at TEXT NOT NULL,
        completed_at TEXT,          -- set once no recipient is left to try
        PRIMARY KEY (issue, round)
    );
    CREATE TABLE deliveries (
        issue TEXT NOT NULL,
        round INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('attempt', 'sent', 'failed')),
        permanent INTEGER NOT NULL DEFAULT 0,   -- a 5xx: never retried
        error TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        first_attempt_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        PRIMARY KEY (issue, round, recipient),
        FOREIGN KEY (issue, round) REFERENCES sends (issue, round)
    );
    """,
    # Identity keys are the providers' own now, scoped by provider ('blogs:url:…'): rows
    # written before match none of them. Each key remembers when its issue closed, so
    # "new since it was featured" can be told; each published issue gets a row, so a
    # sent or marked issue is known as such (draft refuses to re-gather it).
    """
    ALTER TABLE featured ADD COLUMN closed TEXT NOT NULL DEFAULT '';
    CREATE TABLE published (
        issue TEXT PRIMARY KEY,
        via TEXT NOT NULL,          -- 'send' or 'publish --mark'
        at TEXT NOT NULL,
        window_start TEXT NOT NULL,
        window_end TEXT NOT NULL,
        items INTEGER NOT NULL
    );
    """,
    # Source health (newsletter/gather/health.py): how each source of each section fared
    # in an issue's draft; re-drafting the issue replaces its rows.
    """
    CREATE TABLE source_health (
        issue TEXT NOT NULL,
        section TEXT NOT NULL,
        source TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'empty', 'failed')),
        items INTEGER,              -- NULL when the provider did not say
        bytes INTEGER NOT NULL DEFAULT 0,
        seconds REAL NOT NULL DEFAULT 0,
        detail TEXT NOT NULL DEFAULT '',   -- the error or problem, if any
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (issue, section, source)
    );
    """,
    # Delivery states that say what the server may have (newsletter/send/journal.py):
    # every recipient starts 'pending'; 'attempting' is committed before MAIL FROM,
    # 'unknown' before the final dot, then 'sent', 'failed' (permanent), 'deferred'
    # (temporary) or 'held' (a list's moderation queue). An old 'attempt' row may have
    # died after the dot: it becomes 'unknown'. A round remembers its send backend.
    """
    CREATE TABLE deliveries_v3 (
        issue TEXT NOT NULL,
        round INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN
            ('pending', 'attempting', 'unknown', 'sent', 'failed', 'deferred', 'held')),
        error TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        first_attempt_at TEXT,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        PRIMARY KEY (issue, round, recipient),
        FOREIGN KEY (issue, round) REFERENCES sends (issue, round)
    );
    INSERT INTO deliveries_v3
        SELECT issue, round, recipient, message_id,
            CASE
                WHEN status = 'attempt' THEN 'unknown'
                WHEN status = 'failed' AND permanent = 0 THEN 'deferred'
                ELSE status
            END,
            error, attempts, first_attempt_at, updated_at, sent_at
        FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_v3 RENAME TO deliveries;
    ALTER TABLE sends ADD COLUMN backend TEXT NOT NULL DEFAULT 'smtp';
    """,
]


@dataclass(frozen=True)
class SourceHealth:
    """How one source of one section fared in one issue's draft."""

    section: str
    source: str
    outcome: Literal["ok", "empty", "failed"]
    items: int | None = None
    bytes: int = 0
    seconds: float = 0.0
    detail: str = ""
    issue: str = ""


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of ``script`` one by one (``executescript`` would commit the
    transaction they must run in)."""
    statement = ""
    for part in script.split(";"):
        statement += part + ";"
        if sqlite3.complete_statement(statement):  # not a ';' inside a string or comment
            if statement.strip(" \t\n;"):
                yield statement
            statement = ""


def state_path(workspace: Path) -> Path:
    return workspace / STATE_DIR / "state.db"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateStore:
    """Read and write access to ``state.db``; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Private, like out/<issue>/sent.log: the journal names every subscriber. SQLite
        # gives its -wal and -shm files the database's mode. (It exists already, or
        # cannot be made: connect() below says why, as it always did.)
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            # A damaged file is found now, before minutes of gathering, not at the end.
            (verdict,) = self.db.execute("PRAGMA quick_check(1)").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError("database disk image is malformed")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version >= len(MIGRATIONS):
            return
        # Two commands may open an old file at once: the version is read again under
        # the write lock, so the second finds the first's work done instead of running
        # it again ("duplicate column name").
        self.db.execute("BEGIN IMMEDIATE")
        try:
            (version,) = self.db.execute("PRAGMA user_version").fetchone()
            for script in MIGRATIONS[version:]:
                for statement in _statements(script):
                    self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version = {max(version, len(MIGRATIONS))}")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def history(self, issue: str) -> History:
        return History(self.db, issue)

    def record_figures(self, issue: str, figures: Mapping[str, float]) -> None:
        """Store this issue's figures; re-running an issue replaces, never duplicates."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO figures (issue, name, value, recorded_at)"
                " VALUES (?, ?, ?, ?)",
                [(issue, name, float(value), _now()) for name, value in figures.items()],
            )

    def record_health(
        self, issue: str, sections: Iterable[str], rows: Iterable[SourceHealth]
    ) -> None:
        """Store how ``sections``' sources fared in ``issue``, replacing an earlier draft's."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "DELETE FROM source_health WHERE issue = ? AND section = ?",
                [(issue, section) for section in sections],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO source_health (issue, section, source, outcome, items,"
                " bytes, seconds, detail, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (issue, row.section, row.source, row.outcome, row.items, row.bytes,
                     row.seconds, row.detail, _now())
                    for row in rows
                ],
            )  # fmt: skip

    def source_health(self, section: str, source: str, count: int) -> list[SourceHealth]:
        """The last ``count`` recorded outcomes of one source, newest first."""
        rows = self.db.execute(
            "SELECT issue, outcome, items, bytes, seconds, detail FROM source_health"
            " WHERE section = ? AND source = ? ORDER BY issue DESC LIMIT ?",
            (section, source, count),
        ).fetchall()
        return [
            SourceHealth(section, source, outcome, items, size, seconds, detail, issue)
            for issue, outcome, items, size, seconds, detail in rows
        ]

    def record_published(
        self,
        issue: str,
        window: tuple[datetime, datetime],
        via: str,
        items: int,
        entries: Iterable[tuple[str, str, str, str]],
    ) -> None:
        """Remember that ``issue`` (covering ``window``) was published, and the (key,
        section, item_id, title) of what it featured. Publishing an issue again replaces
        what it featured, in one transaction."""
        closed = window[1].isoformat()
        now = _now()
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM featured WHERE issue = ?", (issue,))
            self.db.executemany(
                "INSERT OR REPLACE INTO featured"
                " (key, issue, section, item_id, title, recorded_at, closed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(key, issue, sec, item, title, now, closed) for key, sec, item, title in entries],
            )
            self.db.execute(
                "INSERT OR REPLACE INTO published"
                " (issue, via, at, window_start, window_end, items) VALUES (?, ?, ?, ?, ?, ?)",
                (issue, via, now, window[0].isoformat(), closed, items),
            )

    def published(self, issue: str) -> Published | None:
        """How and when ``issue`` was published, if it was."""
        row = self.db.execute(
            "SELECT issue, via, at, items FROM published WHERE issue = ?", (issue,)
        ).fetchone()
        return Published(row[0], row[1], row[2], row[3]) if row else None


@dataclass(frozen=True)
class Published:
    """An issue recorded as published: by ``send`` or ``publish --mark``, when (UTC,
    ISO 8601), and how many items it featured."""

    issue: str
    via: str
    at: str
    items: int


@dataclass(frozen=True)
class Featured:
    """The latest earlier issue that published an item, and when that issue closed (the
    end of its window): anything after ``closed`` is new since."""

    issue: str
    closed: datetime


class History:
    """What earlier issues (those named before ``issue``) featured and measured."""

    def __init__(self, db: sqlite3.Connection, issue: str) -> None:
        self._db = db
        self.issue = issue

    def last_featured(self, keys: Iterable[str]) -> Featured | None:
        """The latest earlier issue that featured any of ``keys`` (scoped keys, as the
        core stores them: see :func:`newsletter.featured.scoped`)."""
        wanted = sorted(set(keys))
        if not wanted:
            return None
        marks = ", ".join("?" * len(wanted))
        row = self._db.execute(
            f"SELECT issue, closed FROM featured WHERE key IN ({marks}) AND issue < ?"
            " AND closed != '' ORDER BY issue DESC, closed DESC LIMIT 1",
            (*wanted, self.issue),
        ).fetchone()
        return Featured(row[0], datetime.fromisoformat(row[1])) if row else None

    def previous_figure(self, name: str) -> tuple[str, float] | None:
        """The value of ``name`` in the latest earlier issue that recorded it."""
        row = self._db.execute(
            "SELECT issue, value FROM figures WHERE name = ? AND issue < ?"
            " ORDER BY issue DESC LIMIT 1",
            (name, self.issue),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def figure_series(self, name: str, count: int) -> list[tuple[str, float]]:
        """Up to ``count`` earlier values of ``name``, oldest first."""
        rows = self._db.execute(
            "SELECT issue, value FROM figures WHERE name = ? AND issue < ?"
            " ORDER BY issue DESC LIMIT ?",
            (name, self.issue, count),
        ).fetchall()
        return [(issue, value) for issue, value in reversed(rows)]
