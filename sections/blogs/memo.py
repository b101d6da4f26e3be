"""What each feed gave last time, so an unchanged feed is not parsed again.

Re-drafting a week mostly meets feeds that answer 304 (or the same bytes again): the
same body, read for the same week with the same options, gives the same posts. The
posts (or the problem) each feed gave are kept in the section's state folder, in one
JSON file, and reused while the *fingerprint* matches: the SHA-256 of the body, the URL
it finally came from (relative links resolve against it), its content type, the feed's
and the section's options, the window, and newsletter's version (a new version may
parse differently). The file is rewritten only when something changed, holding the
feeds of this run alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter import Item, __version__, write_cache

if TYPE_CHECKING:
    from pydantic import BaseModel

    from newsletter import Fetched, Window

MEMO_FILE = "feeds.json"


def fingerprint(fetched: Fetched, feed: BaseModel, options: BaseModel, window: Window) -> str:
    material = [
        __version__,
        hashlib.sha256(fetched.content).hexdigest(),
        fetched.url,
        fetched.content_type,
        feed.model_dump(mode="json"),
        options.model_dump(mode="json"),
        window.start.isoformat(),
        window.end.isoformat(),
    ]
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


class FeedMemo:
    """Each feed URL's fingerprint and what it gave: posts and a problem ('' if none)."""

    def __init__(self, path: Path, entries: dict[str, Any] | None = None) -> None:
        self.path = path
        self._old = entries or {}
        self._new: dict[str, Any] = {}

    @classmethod
    def load(cls, path: Path) -> FeedMemo:
        try:
            entries = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            entries = {}
        return cls(path, entries if isinstance(entries, dict) else {})

    def recall(self, url: str, key: str) -> tuple[list[Item], str] | None:
        entry = self._old.get(url)
        if not isinstance(entry, dict) or entry.get("fingerprint") != key:
            return None
        try:
            items = [Item.model_validate(data) for data in entry["items"]]
            problem = str(entry["problem"])
        except (KeyError, TypeError, ValueError):
            return None
        self._new[url] = entry
        return items, problem

    def keep(self, url: str, key: str, items: list[Item], problem: str) -> None:
        self._new[url] = {
            "fingerprint": key,
            # score is left out of the draft's YAML, but it orders and preselects posts.
            "items": [item.model_dump(mode="json") | {"score": item.score} for item in items],
            "problem": problem,
        }

    def save(self) -> None:
        """Write the feeds of this run, if anything differs from the file read."""
        if self._new == self._old:
            return
        with contextlib.suppress(OSError):  # a memo that cannot be written costs speed only
            write_cache(self.path, json.dumps(self._new).encode("utf-8"))
