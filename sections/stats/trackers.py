"""Code review and issue trackers over HTTP, for the ``stats`` section: GitHub, GitLab,
Gerrit. Each reader returns the timestamps of what happened (opened, merged, closed…)
since a moment, so the section can count any week inside that span.

Every request goes through ``ctx.fetch``. Pagination follows each API's own way
(GitHub's ``Link`` header, GitLab's ``X-Next-Page``, Gerrit's ``_more_changes``). A rate
limit (429, or 403 with no requests left) is waited out when it resets within
``max_wait`` seconds; otherwise it is a :class:`RateLimited` error, so a cron run never
sleeps for an hour. Tokens come from the environment and are only ever sent as headers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

from newsletter import GatherContext, SourceError

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_GERRIT_PREFIX = b")]}'"
ATTEMPTS = 3
MAX_REVIEWED = 100


class RateLimited(SourceError):
    """The API's rate limit resets later than we are willing to wait."""


@dataclass
class Events:
    """When things happened: figure key -> epoch seconds of each event.

    ``covered_from`` says from when on a figure's list is complete (events before it
    were not fetched); ``snapshot`` holds figures that are only known for now."""

    times: dict[str, list[int]] = field(default_factory=dict)
    covered_from: dict[str, int] = field(default_factory=dict)
    snapshot: dict[str, float] = field(default_factory=dict)

    def add(self, key: str, moment: datetime | None) -> None:
        self.times.setdefault(key, [])
        if moment is not None:
            self.times[key].append(int(moment.timestamp()))

    def count(self, key: str, start: int, end: int) -> int:
        return sum(1 for moment in self.times.get(key, []) if start <= moment < end)


def retry_delay(error: SourceError, now: float | None = None) -> float | None:
    """Seconds to wait before asking again, or None when ``error`` is no rate limit."""
    now = time.time() if now is None else now
    headers = {name.lower(): value for name, value in error.headers.items()}
    exhausted = headers.get("x-ratelimit-remaining") == "0"
    if error.status != 429 and not (
        error.status == 403 and (exhausted or "retry-after" in headers)
    ):
        return None
    after = headers.get("retry-after", "").strip()
    if after.isdigit():
        return float(after)
    if after:
        try:
            return max(0.0, parsedate_to_datetime(after).timestamp() - now)
        except (TypeError, ValueError):
            pass
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        reset = headers.get(name, "").strip()
        if reset.isdigit():
            return max(0.0, int(reset) - now)
    return 1.0


async def get(
    ctx: GatherContext, url: str, headers: Mapping[str, str], max_wait: float
) -> tuple[bytes, dict[str, str]]:
    """GET ``url``, waiting out short rate limits; returns (body, lower-cased headers)."""
    for attempt in range(ATTEMPTS):
        try:
            fetched = await ctx.fetch(url, headers=headers)
            return fetched.content, {k.lower(): v for k, v in fetched.headers.items()}
        except SourceError as error:
            delay = retry_delay(error)
            if delay is None:
                raise
            if delay > max_wait:
                raise RateLimited(
                    url,
                    f"rate limit exhausted; it resets in {delay:.0f} s, longer than "
                    f"max_wait_seconds ({max_wait:g}); figures left out this time",
                    status=error.status,
                ) from None
            if attempt == ATTEMPTS - 1:
                raise RateLimited(url, f"still rate limited after {ATTEMPTS} tries") from None
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def _json(body: bytes, url: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise SourceError(url, "the answer is not JSON") from None


def _when(value: Any) -> datetime | None:
    """ISO 8601 (GitHub, GitLab) or Gerrit's ``2011-06-20 14:00:00.000000000`` (UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if "T" in value:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Paging:
    max_wait: float
    max_pages: int


# ---------------------------------------------------------------- GitHub


def github_headers(token: str) -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def github_root(base: str, repo: str) -> str:
    """The API's URL of ``repo`` (``owner/name``) on the GitHub at ``base``."""
    return f"{base.rstrip('/')}/repos/{repo}"


async def github(
    ctx: GatherContext, base: str, repo: str, token: str, since: int, paging: Paging
) -> Events:
    """Pull requests opened/merged, reviews, issues opened/closed since ``since``."""
    headers = github_headers(token)
    root = github_root(base, repo)
    events = Events()
    query = urlencode({"state": "all", "sort": "updated", "direction": "desc", "per_page": 100})
    pulls = [
        pull async for pull in _github_pages(ctx, f"{root}/pulls?{query}", headers, paging, since)
    ]
    for pull in pulls:
        events.add("prs_opened", _when(pull.get("created_at")))
        events.add("prs_merged", _when(pull.get("merged_at")))
    query = urlencode({"state": "all", "since": _iso(since), "per_page": 100})
    async for issue in _github_pages(ctx, f"{root}/issues?{query}", headers, paging, since):
        if "pull_request" in issue:  # the issues list includes pull requests
            continue
        events.add("issues_opened", _when(issue.get("created_at")))
        events.add("issues_closed", _when(issue.get("closed_at")))
    # Reviews are listed per pull request: read those of the most recently updated ones.
    reviewed = [pull for pull in pulls if isinstance(pull.get("number"), int)][:MAX_REVIEWED]
    events.add("reviews", None)
    reviews = await asyncio.gather(
        *(
            _github_all(ctx, f"{root}/pulls/{pull['number']}/reviews?per_page=100", headers, paging)
            for pull in reviewed
        )
    )
    for review in (r for batch in reviews for r in batch):
        events.add("reviews", _when(review.get("submitted_at")))
    events.covered_from = dict.fromkeys(events.times, since)
    if len(pulls) > len(reviewed) and reviewed:
        oldest = _when(reviewed[-1].get("updated_at"))
        events.covered_from["reviews"] = int(oldest.timestamp()) if oldest else 2**62
    return events


async def _github_all(
    ctx: GatherContext, url: str, headers: Mapping[str, str], paging: Paging
) -> list[dict[str, Any]]:
    return [entry async for entry in _github_pages(ctx, url, headers, paging, None)]


async def _github_pages(
    ctx: GatherContext, url: str, headers: Mapping[str, str], paging: Paging, since: int | None
) -> Any:
    """Entries of a listing, page after page along the ``Link: rel="next"`` header.

    With ``since``, stop at the first entry last updated before it (the listing is
    sorted by update time, newest first)."""
    next_url: str | None = url
    pages = 0
    while next_url:
        if pages == paging.max_pages:
            raise SourceError(url, f"more than {paging.max_pages} pages; raise max_pages")
        body, answer = await get(ctx, next_url, headers, paging.max_wait)
        pages += 1
        entries = _json(body, next_url)
        if not isinstance(entries, list):
            raise SourceError(next_url, "expected a JSON list")
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            updated = _when(entry.get("updated_at"))
            if since is not None and updated is not None and updated.timestamp() < since:
                return
            yield entry
        match = _NEXT.search(answer.get("link", ""))
        next_url = urljoin(next_url, match[1].strip()) if match else None
        if next_url is not None and _origin(next_url) != _origin(url):
            # The token goes with every page: never to another host (nor, relative, to a
            # path of the workspace, which ctx.fetch would read).
            raise SourceError(url, f"the next page is on another host ({next_url}); not followed")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a port: no origin of ours
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


# ---------------------------------------------------------------- GitLab


def gitlab_headers(token: str) -> dict[str, str]:
    return {"PRIVATE-TOKEN": token} if token else {}


def gitlab_root(base: str, project: str) -> str:
    """The API's URL of ``project`` (``group/name``) on the GitLab at ``base``."""
    return f"{base.rstrip('/')}/api/v4/projects/{quote(project, safe='')}"


async def gitlab(
    ctx: GatherContext, base: str, project: str, token: str, since: int, paging: Paging
) -> Events:
    """Merge requests opened/merged and issues opened/closed since ``since``."""
    headers = gitlab_headers(token)
    root = gitlab_root(base, project)
    query = urlencode({"updated_after": _iso(since), "per_page": 100, "scope": "all"})
    events = Events()
    for kind, opened, closed, closed_at in (
        ("merge_requests", "mrs_opened", "mrs_merged", "merged_at"),
        ("issues", "issues_opened", "issues_closed", "closed_at"),
    ):
        events.add(opened, None)
        events.add(closed, None)
        page: str | None = "1"
        pages = 0
        while page:
            if pages == paging.max_pages:
                raise SourceError(root, f"more than {paging.max_pages} pages; raise max_pages")
            url = f"{root}/{kind}?{query}&page={page}"
            body, answer = await get(ctx, url, headers, paging.max_wait)
            pages += 1
            entries = _json(body, url)
            if not isinstance(entries, list):
                raise SourceError(url, "expected a JSON list")
            for entry in (e for e in entries if isinstance(e, dict)):
                events.add(opened, _when(entry.get("created_at")))
                events.add(closed, _when(entry.get(closed_at)))
            page = answer.get("x-next-page", "").strip() or None
    events.covered_from = dict.fromkeys(events.times, since)
    return events


# ---------------------------------------------------------------- Gerrit


async def gerrit(
    ctx: GatherContext,
    base: str,
    project: str,
    user: str,
    token: str,
    since: int,
    paging: Paging,
) -> Events:
    """Changes opened/merged since ``since``, and the reviews open now."""
    headers: dict[str, str] = {}
    root = base.rstrip("/")
    if user and token:  # authenticated REST calls live under /a/
        root += "/a"
        pair = base64.b64encode(f"{user}:{token}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"
    after = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M:%S")
    events = Events()
    events.add("changes_opened", None)
    events.add("changes_merged", None)
    for change in await _gerrit_query(
        ctx, root, f'project:{project} after:"{after}"', headers, paging
    ):
        events.add("changes_opened", _when(change.get("created")))
        if change.get("status") == "MERGED":
            events.add("changes_merged", _when(change.get("submitted") or change.get("updated")))
    events.covered_from = dict.fromkeys(events.times, since)
    active = await _gerrit_query(ctx, root, f"project:{project} status:open", headers, paging)
    events.snapshot["active_reviews"] = len(active)
    return events


async def _gerrit_query(
    ctx: GatherContext, root: str, query: str, headers: Mapping[str, str], paging: Paging
) -> list[dict[str, Any]]:
    """All changes matching ``query``, following ``_more_changes`` with ``S=offset``."""
    changes: list[dict[str, Any]] = []
    for _page in range(paging.max_pages):
        url = f"{root}/changes/?" + urlencode({"q": query, "n": 100, "S": len(changes)})
        body, _headers = await get(ctx, url, headers, paging.max_wait)
        # Gerrit prefixes JSON with )]}' against cross-site script inclusion.
        entries = _json(body.removeprefix(_GERRIT_PREFIX), url)
        if not isinstance(entries, list):
            raise SourceError(url, "expected a JSON list of changes")
        batch = [entry for entry in entries if isinstance(entry, dict)]
        changes += batch
        if not batch or not batch[-1].get("_more_changes"):
            return changes
    raise SourceError(root, f"more than {paging.max_pages} pages; raise max_pages")
