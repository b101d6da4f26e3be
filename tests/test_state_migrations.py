"""Migrating state.db: two commands that open an old file at once both succeed."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from newsletter.state import MIGRATIONS, StateStore


def test_two_stores_opening_an_old_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    for number, script in enumerate(MIGRATIONS[:2], start=1):
        db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
    db.execute("INSERT INTO figures VALUES ('2026-W01', 'git/x/commits', 3, 'now')")
    # Hold the write lock while both read the old version, so both then want to migrate.
    db.execute("BEGIN IMMEDIATE")
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            StateStore(path).close()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(2)]
    for started in threads:
        started.start()
    time.sleep(0.5)
    db.execute("COMMIT")
    for started in threads:
        started.join()
    assert errors == []
    assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    assert db.execute("SELECT value FROM figures").fetchall() == [(3.0,)]
    db.close()
