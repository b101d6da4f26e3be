"""Real git repositories for the tests, with fixed authors and dates."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, when: datetime | None = None, who: str = "") -> str:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        if when is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
        if who:
            name, email = who.rsplit(" <", 1)
            env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = name
            env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = email.rstrip(">")
        done = subprocess.run(
            ["git", "-C", str(self.path), *args], env=env, check=True, capture_output=True,
            text=True,
        )  # fmt: skip
        return done.stdout

    def commit(self, who: str, when: datetime, files: dict[str, str], message: str = "") -> str:
        for name, text in files.items():
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            (self.path / name).write_text(text, "utf-8")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message or f"change by {who}", when=when, who=who)
        return self.git("rev-parse", "HEAD").strip()

    def merge(self, branch: str, who: str, when: datetime) -> None:
        self.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch, when=when, who=who)
