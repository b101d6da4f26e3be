"""How fast are git figures? Ours (one `git log --numstat` stream) against PyDriller and
GitPython (one diff per commit), on a generated repository of 100,000 commits.

    .venv/bin/python bench/bench_git.py [--commits N] [--full] [--quick]

Prints one table: seconds per span and the ratios. PyDriller and GitPython run only
if installed (the bench extra, which make bench installs); over all history they take
minutes, so they run there only with --full. The repository is linear and has no
mailmap alias, so all three must agree on commits, authors and lines; a mismatch stops
the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsletter.sections.stats import gitlog

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
START = datetime(2016, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)

Answer = tuple[int, int, int, int]  # commits, authors, lines added, lines deleted


def _make_repo(commits: int) -> Path:
    path = CACHE / f"repo-{commits}"
    if (path / ".git").is_dir():
        return path
    spec = importlib.util.spec_from_file_location(
        "make_repos", HERE.parent / "examples" / "openstack" / "make_repos.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_repos"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    started = time.perf_counter()
    module.make_repo(path, "bench", seed=7, commits=commits, authors=400, start=START,
                     end=END, files=2000, alias=False)  # fmt: skip
    print(f"generated {commits:,} commits with git fast-import in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return path


def ours(path: Path, since: datetime | None) -> Answer:
    start = int(since.timestamp()) if since else None
    commits = asyncio.run(gitlog.read_log(path, start, int(END.timestamp())))
    stats = gitlog.summarize(commits, start or 0, int(END.timestamp()))
    return stats.commits, len(stats.authors), stats.added, stats.deleted


def pydriller(path: Path, since: datetime | None) -> Answer:
    from pydriller import Repository

    commits = added = deleted = 0
    authors: set[str] = set()
    for commit in Repository(str(path), since=since, to=END).traverse_commits():
        commits += 1
        authors.add(commit.author.email.lower())
        added += commit.insertions
        deleted += commit.deletions
    return commits, len(authors), added, deleted


def gitpython(path: Path, since: datetime | None) -> Answer:
    import git

    commits = added = deleted = 0
    authors: set[str] = set()
    kwargs = {"since": since.isoformat()} if since else {}
    for commit in git.Repo(path).iter_commits("HEAD", **kwargs):
        commits += 1
        authors.add(str(commit.author.email).lower())
        total = commit.stats.total
        added += total["insertions"]
        deleted += total["deletions"]
    return commits, len(authors), added, deleted


def timed(run: Callable[[Path, datetime | None], Answer], path: Path, since: datetime | None
          ) -> tuple[float, Answer]:  # fmt: skip
    """Best of three for the short spans (the machine is shared), one run for all history."""
    best = float("inf")
    for _ in range(3 if since else 1):
        started = time.perf_counter()
        answer = run(path, since)
        best = min(best, time.perf_counter() - started)
    return best, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="others over all history too")
    parser.add_argument(
        "--quick", action="store_true", help="2,000 commits: check the script runs, not speed"
    )
    args = parser.parse_args()
    path = _make_repo(2_000 if args.quick else args.commits)
    others = [(name, run) for name, run, module in (
        ("PyDriller", pydriller, "pydriller"), ("GitPython", gitpython, "git"))
        if importlib.util.find_spec(module)]  # fmt: skip
    spans = [("one week", END - timedelta(days=7)), ("30 days", END - timedelta(days=30)),
             ("all history", None)]  # fmt: skip
    for _name, run in [("ours", ours), *others]:  # warm up: imports, first process
        run(path, END - timedelta(days=1))
    header = f"{'span':<12} {'commits':>8} {'ours':>8}"
    header += "".join(f" {name:>10} {'ratio':>7}" for name, _run in others)
    print(header)
    for label, since in spans:
        seconds, answer = timed(ours, path, since)
        line = f"{label:<12} {answer[0]:>8,} {seconds:>7.2f}s"
        for _name, run in others:
            if since is None and not args.full:
                line += f" {'(--full)':>10} {'':>7}"
                continue
            their_seconds, theirs = timed(run, path, since)
            if theirs != answer:
                sys.exit(f"{_name} disagrees over {label}: {theirs} != ours {answer}")
            line += f" {their_seconds:>9.2f}s {their_seconds / seconds:>6.0f}×"
        print(line, flush=True)


if __name__ == "__main__":
    main()
