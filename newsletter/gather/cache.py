"""Validators and bodies of fetched sources, so an unchanged feed costs a 304.

A small file cache in ``.newsletter/http-cache/`` rather than an RFC 9111 cache
library: sources are fetched once a week, so freshness lifetimes never apply — only
revalidation does, and that needs just the ``ETag``/``Last-Modified`` of the last
answer and its body. Each entry is two files, each written to a temp file and renamed
(the body first, then its metadata naming the body's SHA-256), so a crash leaves
either a whole entry or one that is ignored. Nothing is synced: an entry lost to a
power cut costs one download, where four fsyncs per source cost a 100-feed draft half
a second (bench/bench_gather.py). The fetcher reads and writes it in a worker thread,
off the event loop. Keys hash the URL with the request headers, so a source fetched
with a token never answers for the same URL fetched without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..fileio import write_cache

CACHE_DIR = "http-cache"


@dataclass(frozen=True)
class CachedResponse:
    url: str
    content: bytes
    content_type: str
    headers: dict[str, str]

    def conditional_headers(self) -> dict[str, str]:
        """``If-None-Match``/``If-Modified-Since`` that revalidate this answer."""
        wanted: dict[str, str] = {}
        if etag := self.headers.get("etag"):
            wanted["If-None-Match"] = etag
        if modified := self.headers.get("last-modified"):
            wanted["If-Modified-Since"] = modified
        return wanted


class ValidatorCache:
    """Stores the last 200 answer of each URL that carried a validator."""

    KEPT_HEADERS = ("etag", "last-modified", "content-type", "date")

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _key(self, url: str, headers: Mapping[str, str]) -> str:
        material = json.dumps([url, sorted((k.lower(), v) for k, v in headers.items())])
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    def lookup(self, url: str, headers: Mapping[str, str]) -> CachedResponse | None:
        base = self.directory / self._key(url, headers)
        try:
            meta = json.loads(base.with_suffix(".json").read_text("utf-8"))
            content = base.with_suffix(".body").read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("sha256") != hashlib.sha256(content).hexdigest():
            return None  # a body from another write than its metadata: ignore the entry
        return CachedResponse(
            str(meta.get("url", url)),
            content,
            str(meta.get("content_type", "")),
            {str(k): str(v) for k, v in dict(meta.get("headers", {})).items()},
        )

    def store(
        self,
        url: str,
        headers: Mapping[str, str],
        final_url: str,
        response_headers: Mapping[str, str],
        content: bytes,
    ) -> None:
        kept = {k: response_headers[k] for k in self.KEPT_HEADERS if k in response_headers}
        base = self.directory / self._key(url, headers)
        if "etag" not in kept and "last-modified" not in kept:
            self.forget(base)
            return
        meta = {
            "url": final_url,
            "content_type": kept.get("content-type", ""),
            "headers": kept,
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Private (mkstemp's 0600): an answer fetched with a token (GitHub, GitLab)
            # is this user's only.
            write_cache(base.with_suffix(".body"), content)
            write_cache(base.with_suffix(".json"), json.dumps(meta, indent=1).encode())
        except OSError:
            # A full disk must not cost the source its answer: this one is just not kept.
            with contextlib.suppress(OSError):
                self.forget(base)

    @staticmethod
    def forget(base: Path) -> None:
        for suffix in (".json", ".body"):
            with contextlib.suppress(FileNotFoundError):
                base.with_suffix(suffix).unlink()
