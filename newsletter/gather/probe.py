"""Probing every source of every section once, for ``newsletter check``.

Each provider lists its sources (:meth:`SectionProvider.sources`); each is probed the
way the provider reads it: a document through the fetcher (same limits, cache and
path rules as a draft), a folder or mailbox by looking at it, a git repository with
git itself (``rev-parse`` for a path, ``ls-remote`` for a clone URL). A misspelled
path is a failed probe, never a silent "OK".
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from ..config import Config
from ..errors import SourceError
from ..providers import Source, as_source
from ..registry import ProviderRegistry
from .fetch import Fetcher, is_url
from .run import fetcher_for


@dataclass
class Probe:
    """How one source answered."""

    section: str
    source: str
    status: str
    seconds: float
    size: int
    modified: str
    ok: bool


def configured_sources(config: Config, registry: ProviderRegistry) -> list[tuple[str, Source]]:
    """(section id, source) of every source of every configured section."""
    found = []
    for section in config.sections:
        provider = registry.get(section.provider)
        if provider is not None:
            found += [(section.id, as_source(s)) for s in provider().sources(section.options)]
    return found


async def probe_all(config: Config, registry: ProviderRegistry) -> list[Probe]:
    wanted = configured_sources(config, registry)
    async with fetcher_for(config) as fetcher:
        return list(await asyncio.gather(*(probe(fetcher, s, src) for s, src in wanted)))


async def probe(fetcher: Fetcher, section: str, source: Source) -> Probe:
    """Probe ``source`` of ``section``; a failure is a Probe with ``ok=False``."""
    started = time.perf_counter()
    try:
        if source.kind == "document":
            return await _document(fetcher, section, source, started)
        modified = ""
        if source.kind == "repository":
            status, size = await _repository(fetcher, source)
        else:
            status, size, modified = await asyncio.to_thread(_local, fetcher, source)
    except SourceError as error:
        elapsed = time.perf_counter() - started
        return Probe(section, source.location, error.reason, elapsed, 0, "", False)
    elapsed = time.perf_counter() - started
    return Probe(section, source.location, status, elapsed, size, modified, True)


async def _document(fetcher: Fetcher, section: str, source: Source, started: float) -> Probe:
    fetched = await fetcher.fetch(
        source.location, section=section, headers=source.headers, method=source.method
    )
    if fetched.status == 0:
        status = "file"
    elif fetched.from_cache:
        status = "304 unchanged"
    else:
        status = str(fetched.status)
    if fetched.status == 0:  # a workspace file: its own time, as a server would say it
        modified = _modified([fetcher.local_path(source.location)])
    else:
        modified = fetched.headers.get("last-modified", "")
    return Probe(
        section, source.location, status, fetched.elapsed, len(fetched.content), modified, True
    )


def _local(fetcher: Fetcher, source: Source) -> tuple[str, int, str]:
    """A folder, or a mailbox (an mbox file or a Maildir folder), in the workspace:
    what it is, its size, and when its newest file was modified."""
    path = fetcher.local_path(source.location)
    if source.kind == "mailbox" and path.is_file():
        return "mbox file", path.stat().st_size, _modified([path])
    if not path.exists():
        what = "file or folder" if source.kind == "mailbox" else "folder"
        raise SourceError(source.location, f"no such {what}")
    if not path.is_dir():
        raise SourceError(source.location, "not a folder")
    if source.kind == "mailbox":
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise SourceError(source.location, "a folder, but not a Maildir (no cur/ and new/)")
        messages = [
            p
            for box in ("cur", "new")
            for p in (path / box).iterdir()
            if p.is_file() and not p.name.startswith(".")
        ]
        size = sum(_size(p) for p in messages)
        return f"Maildir, {len(messages)} message(s)", size, _modified(messages or [path])
    files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    size = sum(_size(p) for p in files)
    return f"folder, {len(files)} file(s)", size, _modified(files or [path])


def _modified(paths: list[Path]) -> str:
    """The newest modification time of ``paths``, in HTTP's Last-Modified form."""
    times = []
    for path in paths:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    return formatdate(max(times), usegmt=True) if times else ""


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


async def _repository(fetcher: Fetcher, source: Source) -> tuple[str, int]:
    """A git repository: a workspace path (``rev-parse``) or a clone URL (``ls-remote``)."""
    location = source.location
    remote = is_url(location) or "://" in location or location.startswith("git@")
    if remote:
        command = ["git", "ls-remote", "--heads", "--", location]
    else:
        path = fetcher.local_path(location)
        if not path.is_dir():
            raise SourceError(location, "no such folder")
        command = ["git", "-C", str(path), "rev-parse", "--git-dir"]
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except OSError as error:
        raise SourceError(location, f"could not run git: {error.strerror or error}") from None
    try:
        async with asyncio.timeout(fetcher.limits.deadline):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise SourceError(
            location, f"git gave no answer within {fetcher.limits.deadline:g} s"
        ) from None
    if process.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines() or ["failed"]
        fatal = next((line for line in lines if line.startswith("fatal:")), lines[0])
        why = "not a git repository" if not remote else f"git ls-remote: {fatal[:200]}"
        raise SourceError(location, why)
    if remote:
        heads = len(out.splitlines())
        return f"git remote, {heads} branch(es)", 0
    return "git repository", 0
