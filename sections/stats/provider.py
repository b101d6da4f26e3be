"""Community numbers: git activity, code review and issue trackers, mailing-list traffic,
each with its change since the previous issue and a sparkline of the last weeks.

One item per project. Its ``details`` hold the rows of a compact table (this week,
the previous issue, the change, the longer ``span_days``) and the last weeks of one
figure for a sparkline. Every figure is recorded in the state store; when history
lacks a previous week, the figures of git and the trackers are computed for it from
the same data, so the first issue drafted already shows change. Mailing-list figures
are the ones the mailing-list section records in the same run (``ctx.figure``).

Figures are shown every week (``repeats = "always"``); an item is known by its
figures' prefix (``figures:git/nova``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, model_validator

from newsletter import (
    GatherContext,
    Item,
    ProviderOptions,
    SectionProvider,
    Source,
    SourceError,
    Window,
    issue_name,
    markdown_escape,
    plain_text,
)

from . import gitlog, trackers

SPARK = "▁▂▃▄▅▆▇█"
WEEKS_SHOWN = 8
WEEK = timedelta(days=7)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SLUG = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")

GIT_LABELS = {
    "commits": "Commits",
    "authors": "Authors",
    "first_time": "First-time contributors",
    "merges": "Merges",
    "files": "Files changed",
    "lines_added": "Lines added",
    "lines_deleted": "Lines removed",
}
HEADLINES = {"github": "prs_merged", "gitlab": "mrs_merged", "gerrit": "changes_merged"}
"""The figure each tracker's sparkline follows."""
GITHUB_LABELS = {
    "prs_opened": "Pull requests opened",
    "prs_merged": "Pull requests merged",
    "reviews": "Reviews",
    "issues_opened": "Issues opened",
    "issues_closed": "Issues closed",
}
GITLAB_LABELS = {
    "mrs_opened": "Merge requests opened",
    "mrs_merged": "Merge requests merged",
    "issues_opened": "Issues opened",
    "issues_closed": "Issues closed",
}
GERRIT_LABELS = {
    "changes_opened": "Changes opened",
    "changes_merged": "Changes merged",
    "active_reviews": "Active reviews",
}
LIST_LABELS = {
    "messages": "Messages",
    "threads": "Threads",
    "posters": "Posters",
    "first_time_posters": "First-time posters",
}


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Repo(_Table):
    name: str = Field(pattern=_NAME.pattern, description="shown, and used in figure names")
    path: str | None = Field(None, description="a local repository, relative to the workspace")
    url: str | None = Field(None, description="a clone URL, cached in .newsletter/repos/<name>")
    rev: str = Field("HEAD", description="the branch or revision to count")

    @model_validator(mode="after")
    def _one_source(self) -> Repo:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of path or url")
        if self.rev.startswith("-"):
            raise ValueError("rev must be a branch or revision, not an option")
        return self


class GitHub(_Table):
    repo: str = Field(pattern=_SLUG.pattern, description="owner/name")
    token_env: str = Field("", description="environment variable holding an API token")
    base_url: str = "https://api.github.com"


class GitLab(_Table):
    project: str = Field(pattern=_SLUG.pattern, description="group/project")
    token_env: str = ""
    base_url: str = "https://gitlab.com"


class Gerrit(_Table):
    project: str = Field(min_length=1)
    base_url: str = Field(description="e.g. https://review.opendev.org")
    user: str = Field("", description="for authenticated calls, with token_env")
    token_env: str = ""


class StatsOptions(ProviderOptions):
    span_days: int = Field(30, ge=1, le=366, description="the longer span shown next to the week")
    repos: list[Repo] = Field(default_factory=list)
    github: list[GitHub] = Field(default_factory=list)
    gitlab: list[GitLab] = Field(default_factory=list)
    gerrit: list[Gerrit] = Field(default_factory=list)
    lists: list[str] = Field(default_factory=list, description="mailing lists' figures to show")
    top: int = Field(5, ge=0, description="how many top contributors to name")
    max_wait_seconds: float = Field(30, ge=0, description="longest rate-limit wait")
    max_pages: int = Field(20, ge=1, description="most pages read from one API listing")

    @model_validator(mode="after")
    def _unique_repos(self) -> StatsOptions:
        names = [repo.name for repo in self.repos]
        if len(set(names)) != len(names):
            raise ValueError("repos: each name must be used once")
        if "all" in names:
            raise ValueError("repos: 'all' is the name of the total; choose another")
        return self


@dataclass
class Project:
    """One item's worth of figures, however they were found."""

    kind: str
    title: str
    prefix: str
    labels: dict[str, str]
    now: dict[str, float]
    span: dict[str, float] = field(default_factory=dict)
    # Computes the figures of an earlier window, when the data covers it.
    measure: Callable[[int, int], dict[str, float]] | None = None
    covered_from: dict[str, int] = field(default_factory=dict)
    url: str = ""
    people: str = ""
    spark: str = ""


class StatsProvider(SectionProvider[StatsOptions]):
    name = "stats"
    description = "Community numbers: git, code review, issues and list traffic, week over week."
    repeats = "always"

    def sources(self, options: StatsOptions) -> list[Source]:
        found = [
            Source(repo.url or repo.path or "", kind="repository", label=repo.name)
            for repo in options.repos
        ]
        for github in options.github:
            found.append(
                Source(
                    trackers.github_root(github.base_url, github.repo),
                    label=f"github:{github.repo}",
                    headers=trackers.github_headers(os.environ.get(github.token_env, "")),
                )
            )
        for gitlab in options.gitlab:
            token = os.environ.get(gitlab.token_env, "") if gitlab.token_env else ""
            found.append(
                Source(
                    trackers.gitlab_root(gitlab.base_url, gitlab.project),
                    label=f"gitlab:{gitlab.project}",
                    headers=trackers.gitlab_headers(token),
                )
            )
        for gerrit in options.gerrit:
            query = urlencode({"q": f"project:{gerrit.project}", "n": 1})
            found.append(
                Source(
                    f"{gerrit.base_url.rstrip('/')}/changes/?{query}",
                    label=f"gerrit:{gerrit.project}",
                )
            )
        return found

    async def gather(self, options: StatsOptions, ctx: GatherContext) -> list[Item]:
        week = (int(ctx.window.start.timestamp()), int(ctx.window.end.timestamp()))
        span_start = int((ctx.window.end - timedelta(days=options.span_days)).timestamp())
        earliest = int((ctx.window.start - (WEEKS_SHOWN - 1) * WEEK).timestamp())
        runs = [
            _git_projects(options, ctx, week, span_start, min(span_start, earliest)),
            *(_github(entry, options, ctx, week, span_start) for entry in options.github),
            *(_gitlab(entry, options, ctx, week, span_start) for entry in options.gitlab),
            *(_gerrit(entry, options, ctx, week, span_start) for entry in options.gerrit),
        ]
        found = await asyncio.gather(*runs)
        projects = [project for batch in found for project in batch]
        projects += await _lists(options, ctx)
        count = len(projects)
        return [
            _item(project, options, ctx, score=count - index)
            for index, project in enumerate(projects)
        ]


# ---------------------------------------------------------------- git


async def _git_projects(
    options: StatsOptions, ctx: GatherContext, week: tuple[int, int], span_start: int, since: int
) -> list[Project]:
    if not options.repos:
        return []
    read = await asyncio.gather(*(_read_repo(repo, ctx, since, week[1]) for repo in options.repos))
    good = [(repo, *data) for repo, data in zip(options.repos, read, strict=True) if data]
    projects = []
    for repo, commits, first in good:
        projects.append(
            _git_project(
                repo.name,
                f"git/{repo.name}",
                repo.url or "",
                [(commits, first)],
                options,
                week,
                span_start,
                since,
            )
        )
    if len(good) > 1:
        pairs = [(commits, first) for _repo, commits, first in good]
        projects.insert(
            0,
            _git_project(
                "All repositories", "git/all", "", pairs, options, week, span_start, since
            ),
        )
    return projects


async def _read_repo(
    repo: Repo, ctx: GatherContext, since: int, until: int
) -> tuple[list[gitlog.Commit], dict[str, int]] | None:
    source = repo.url or repo.path or repo.name
    try:
        if repo.url is not None:
            path = ctx.state_folder() / "repos" / repo.name
            await gitlog.mirror(repo.url, path)
        else:
            path = ctx.local_path(repo.path or "")
            if not path.exists():
                raise SourceError(source, f"no such directory: {path}")
        commits, first = await asyncio.gather(
            gitlog.read_log(path, since, until, repo.rev), gitlog.first_commits(path, repo.rev)
        )
    except SourceError as error:
        ctx.problem(source, error.reason)
        return None
    except ValueError as error:
        ctx.problem(source, f"could not read git's output: {error}")
        return None
    ctx.source_result(source, 1)
    return commits, first


def _git_project(
    title: str,
    prefix: str,
    url: str,
    repos: list[tuple[list[gitlog.Commit], dict[str, int]]],
    options: StatsOptions,
    week: tuple[int, int],
    span_start: int,
    since: int,
) -> Project:
    first = gitlog.merge_first(first for _commits, first in repos)

    def stats(start: int, end: int) -> gitlog.Stats:
        return gitlog.combine(
            [gitlog.summarize(commits, start, end, first) for commits, _ in repos]
        )

    def measure(start: int, end: int) -> dict[str, float]:
        return {key: float(value) for key, value in stats(start, end).figures().items()}

    now = stats(*week)
    people = []
    if now.first_time:
        names = ", ".join(_md(name) for name in now.first_time)
        people.append(f"First-time contributors: {names}.")
    top = now.top(options.top)
    if top:
        people.append("Most commits: " + ", ".join(f"{_md(n)} ({c})" for n, c in top) + ".")
    return Project(
        kind="git",
        title=title,
        prefix=prefix,
        labels=GIT_LABELS,
        now=measure(*week),
        span=measure(span_start, week[1]),
        measure=measure,
        covered_from=dict.fromkeys(GIT_LABELS, since),
        url=url if url.startswith(("http://", "https://")) else "",
        people=" ".join(people),
        spark="commits",
    )


# ---------------------------------------------------------------- trackers


def _token(env: str, source: str, ctx: GatherContext) -> str:
    if not env:
        return ""
    token = os.environ.get(env, "")
    if not token:
        ctx.problem(source, f"environment variable {env} is not set; asking without a token")
    return token


def _paging(options: StatsOptions) -> trackers.Paging:
    return trackers.Paging(options.max_wait_seconds, options.max_pages)


def _tracker_project(
    kind: str,
    title: str,
    prefix: str,
    url: str,
    labels: dict[str, str],
    events: trackers.Events,
    week: tuple[int, int],
    span_start: int,
    spark: str,
) -> Project:
    def measure(start: int, end: int) -> dict[str, float]:
        counted = {key: float(events.count(key, start, end)) for key in events.times}
        return {**counted, **events.snapshot}

    covered = {**events.covered_from, **dict.fromkeys(events.snapshot, week[1])}
    return Project(
        kind=kind,
        title=title,
        prefix=prefix,
        labels=labels,
        now=measure(*week),
        span={key: float(events.count(key, span_start, week[1])) for key in events.times},
        measure=measure,
        covered_from=covered,
        url=url,
        spark=spark,
    )


async def _tracker(
    ctx: GatherContext,
    source: str,
    fetching: Coroutine[Any, Any, trackers.Events],
    project: tuple[str, str, str, str],
    labels: dict[str, str],
    week: tuple[int, int],
    since: int,
) -> list[Project]:
    """One tracker's project (``kind``, title, figure prefix, web URL), or a problem."""
    try:
        events = await fetching
    except SourceError as error:
        ctx.problem(source, error.reason)
        return []
    ctx.source_result(source, 1)
    kind, title, prefix, url = project
    return [_tracker_project(kind, title, prefix, url, labels, events, week, since,
                             HEADLINES[kind])]  # fmt: skip


def _github(
    entry: GitHub, options: StatsOptions, ctx: GatherContext, week: tuple[int, int], since: int
) -> Coroutine[Any, Any, list[Project]]:
    source = f"github:{entry.repo}"
    token = _token(entry.token_env, source, ctx)
    fetching = trackers.github(ctx, entry.base_url, entry.repo, token, since, _paging(options))
    web = f"https://github.com/{entry.repo}" if "api.github.com" in entry.base_url else ""
    project = ("github", entry.repo, f"github/{entry.repo}", web)
    return _tracker(ctx, source, fetching, project, GITHUB_LABELS, week, since)


def _gitlab(
    entry: GitLab, options: StatsOptions, ctx: GatherContext, week: tuple[int, int], since: int
) -> Coroutine[Any, Any, list[Project]]:
    source = f"gitlab:{entry.project}"
    token = _token(entry.token_env, source, ctx)
    fetching = trackers.gitlab(ctx, entry.base_url, entry.project, token, since, _paging(options))
    web = f"{entry.base_url.rstrip('/')}/{entry.project}"
    project = ("gitlab", entry.project, f"gitlab/{entry.project}", web)
    return _tracker(ctx, source, fetching, project, GITLAB_LABELS, week, since)


def _gerrit(
    entry: Gerrit, options: StatsOptions, ctx: GatherContext, week: tuple[int, int], since: int
) -> Coroutine[Any, Any, list[Project]]:
    source = f"gerrit:{entry.project}"
    token = _token(entry.token_env, source, ctx) if entry.user else ""
    fetching = trackers.gerrit(
        ctx, entry.base_url, entry.project, entry.user, token, since, _paging(options)
    )
    web = f"{entry.base_url.rstrip('/')}/q/project:{entry.project}"
    project = ("gerrit", f"{entry.project} reviews", f"gerrit/{entry.project}", web)
    return _tracker(ctx, source, fetching, project, GERRIT_LABELS, week, since)


# ---------------------------------------------------------------- mailing lists


async def _lists(options: StatsOptions, ctx: GatherContext) -> list[Project]:
    """The figures the mailing-list section records for this issue, in this run."""
    projects = []
    for name in options.lists:
        prefix = f"lists/{name}"
        now = {}
        for key in LIST_LABELS:
            value = await ctx.figure(f"{prefix}/{key}")
            if value is not None:
                now[key] = value
        if not now:
            ctx.problem(
                prefix,
                f"no section recorded figures for the list {name!r} in this run: is a "
                f"mailing_lists section configured with a list named {name!r}, and did "
                "its archive answer?",
            )
            continue
        projects.append(
            Project(
                kind="lists",
                title=name,
                prefix=prefix,
                labels=LIST_LABELS,
                now=now,
                spark="messages",
            )
        )
    return projects


# ---------------------------------------------------------------- items


def _earlier_weeks(window: Window) -> list[tuple[str, int, int]]:
    """(issue, start, end) of the weeks before ``window``, newest first."""
    weeks = []
    for back in range(1, WEEKS_SHOWN):
        start, end = window.start - back * WEEK, window.end - back * WEEK
        weeks.append(
            (issue_name(Window(start=start, end=end)), int(start.timestamp()), int(end.timestamp()))
        )
    return weeks


def _item(project: Project, options: StatsOptions, ctx: GatherContext, score: float) -> Item:
    spans = _earlier_weeks(ctx.window)
    last_week = spans[0][0]
    earlier = [
        (issue, project.measure(start, end) if project.measure else {}, start)
        for issue, start, end in spans
    ]

    def computed(key: str) -> list[tuple[str, float]]:
        """Earlier weeks' values of ``key`` the data covers, oldest first."""
        covered = project.covered_from.get(key)
        return [
            (issue, values[key])
            for issue, values, start in reversed(earlier)
            if covered is not None and start >= covered and key in values
        ]

    rows = []
    for key, label in project.labels.items():
        if key not in project.now:
            continue
        name = f"{project.prefix}/{key}"
        value = project.now[key]
        if project.kind != "lists":
            ctx.record_figure(name, value)
            if key in project.span:
                ctx.record_figure(f"{name}_{options.span_days}d", project.span[key])
        # The change is since last week: a figure recorded weeks ago (a week skipped)
        # is no "previous"; last week worked out from the same data stands in for it.
        recorded = ctx.history.previous_figure(name)
        fallback = [found for found in computed(key) if found[0] == last_week]
        previous = recorded if recorded and recorded[0] == last_week else None
        previous = previous or (fallback[-1] if fallback else None)
        row: dict[str, Any] = {
            "figure": name,
            "label": label,
            "value": _number(value),
            "previous": _number(previous[1]) if previous else None,
            "previous_issue": previous[0] if previous else None,
            "change": change(value, previous[1] if previous else None),
        }
        if key in project.span:
            row["span"] = _number(project.span[key])
        rows.append(row)

    details: dict[str, Any] = {"kind": project.kind, "span_days": options.span_days, "rows": rows}
    if project.spark in project.now:
        name = f"{project.prefix}/{project.spark}"
        series = dict(computed(project.spark))
        series.update(ctx.history.figure_series(name, WEEKS_SHOWN - 1))
        weeks = sorted(series)[-(WEEKS_SHOWN - 1) :]
        values = [series[w] for w in weeks] + [project.now[project.spark]]
        details["series"] = {
            "label": project.labels[project.spark],
            "weeks": [*weeks, ctx.history.issue],
            "values": [_number(v) for v in values],
            "sparkline": sparkline(values),
        }
    return Item(
        id="stats-" + _slug(project.prefix),
        keys=[f"figures:{project.prefix}"],
        title=project.title,
        url=project.url,
        summary=project.people,
        source=project.kind,
        # The moment the figures hold for (the draft file cannot carry an empty date).
        published=ctx.window.end,
        details=details,
        score=score,
    )


def change(value: float, previous: float | None) -> str:
    """``▲ 12``, ``▼ 3``, ``–`` when unchanged, empty when there is nothing to compare."""
    if previous is None:
        return ""
    delta = value - previous
    if delta == 0:
        return "–"
    return f"{'▲' if delta > 0 else '▼'} {_number(abs(delta))}"


def sparkline(values: list[float]) -> str:
    """One block per value, scaled from zero to the largest (``▁`` is zero)."""
    top = max(values, default=0)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[round(max(v, 0) / top * (len(SPARK) - 1))] for v in values)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 1)


def _md(text: str) -> str:
    return markdown_escape(plain_text(text))


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    # Different names can fold to one slug (a/b-c, a-b/c): keep ids apart.
    return f"{slug}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"
