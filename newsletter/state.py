"""The workspace's memory between runs: one SQLite file, ``.newsletter/state.db``.

It holds what earlier issues featured (so nothing repeats week after week) and every
figure recorded per issue (for week-over-week change). Schema changes are appended to
``MIGRATIONS``; ``PRAGMA user_version`` records how many have been applied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

STATE_DIR = ".newsletter"

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
]


def state_path(workspace: Path) -> Path:
    return workspace / STATE_DIR / "state.db"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateStore:
    """Read and write access to ``state.db``; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

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

    def record_featured(self, issue: str, entries: Iterable[tuple[str, str, str, str]]) -> None:
        """Remember (key, section, item_id, title) of items an issue published."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO featured"
                " (key, issue, section, item_id, title, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(key, issue, sec, item, title, _now()) for key, sec, item, title in entries],
            )


class History:
    """What earlier issues (those named before ``issue``) featured and measured."""

    def __init__(self, db: sqlite3.Connection, issue: str) -> None:
        self._db = db
        self.issue = issue

    def featured_in(self, keys: Iterable[str]) -> dict[str, str]:
        """For each key featured by an earlier issue, the latest such issue."""
        found: dict[str, str] = {}
        for key in set(keys):
            row = self._db.execute(
                "SELECT MAX(issue) FROM featured WHERE key = ? AND issue < ?", (key, self.issue)
            ).fetchone()
            if row and row[0]:
                found[key] = row[0]
        return found

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

    def figure(self, name: str) -> float | None:
        """This issue's value of ``name`` recorded by an earlier run (another section's)."""
        row = self._db.execute(
            "SELECT value FROM figures WHERE name = ? AND issue = ?", (name, self.issue)
        ).fetchone()
        return float(row[0]) if row else None
