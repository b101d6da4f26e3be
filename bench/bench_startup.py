"""Start-up: `newsletter --help`, `providers` and `status` on a 500-item draft, each
against the floor a typer CLI pays before its first line (`python -c "import typer"`),
in the same run (goal: each ≤ 1.5× that).

Each command runs as a user runs it: the console script in a fresh process, its
modules byte-compiled (as an installed package is; this machine sets
PYTHONDONTWRITEBYTECODE, which the runs here unset). The figure is the median of N
runs, wall time and CPU time (user + system, steadier on a shared machine). Also shown,
not goals: `providers` the first time after an install (its listing is then cached),
and `status` the first time after the draft was edited by hand (parsed once, then
known by its hash).
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import cli_env, compile_sources, newsletter_command, options, seconds, table

GOAL = 1.5  # × importing typer


def timed(command: list[str], repeat: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall time and median CPU time of ``command``, after one warm-up run."""
    subprocess.run(command, check=True, capture_output=True, env=env)
    walls, cpus = [], []
    for _ in range(repeat):
        before = os.times()
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - started)
        after = os.times()
        cpus.append(
            after.children_user - before.children_user
            + after.children_system - before.children_system
        )  # fmt: skip
    return statistics.median(walls), statistics.median(cpus)


def once(command: list[str], env: dict[str, str], prepare: object) -> float:
    """Wall time of one run of ``command`` right after ``prepare()``; median of three."""
    walls = []
    for _ in range(3):
        prepare()  # type: ignore[operator]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def workspace(root: Path, items: int) -> Path:
    """A workspace whose current week's draft has ``items`` items, written by newsletter."""
    from newsletter.draft.merge import write_draft
    from newsletter.model import Draft, Item, Section
    from newsletter.window import last_complete_week, week_window

    (root / "newsletter.toml").write_text(
        '[newsletter]\ntitle = "Bench Weekly"\ntimezone = "UTC"\n', "utf-8"
    )
    from zoneinfo import ZoneInfo

    window = week_window(last_complete_week(datetime.now(UTC), ZoneInfo("UTC")), ZoneInfo("UTC"))
    per = items // 5
    sections = [
        Section(
            id=f"section{s}",
            title=f"Section {s}",
            provider="blogs",
            items=[
                Item(
                    id=f"post-{s}-{i}",
                    title=f"Post {i} of section {s}: a title of some length",
                    url=f"https://blog{i}.example.org/{s}/{i}",
                    summary="We **released** a version with [notes](https://e.example/n).\n\n"
                    + " ".join(f"word{n}" for n in range(50)),
                    author=f"Author {i}",
                    published=window.start + timedelta(hours=i),
                    source=f"Blog {i}",
                    include=i % 3 != 0,
                    details={"canonical_url": f"blog{i}.example.org/{s}/{i}", "tags": ["x"]},
                )
                for i in range(per)
            ],
        )
        for s in range(5)
    ]
    from newsletter.window import issue_name

    draft = Draft(issue=issue_name(window), title="Bench Weekly", window=window, sections=sections)
    path, _ = write_draft(root, draft)
    return path


def main() -> None:
    args = options(__doc__.splitlines()[0])
    if importlib.util.find_spec("typer") is None:
        sys.exit("bench_startup: typer, the comparison, is not installed: "
                 "pip install -e '.[bench]' (make bench does)")  # fmt: skip
    repeat, items = (3, 50) if args.quick else (15, 500)
    compile_sources()
    env = cli_env()
    cli = newsletter_command()
    python = timed([sys.executable, "-c", "pass"], repeat, env)
    typer = timed([sys.executable, "-c", "import typer"], repeat, env)
    rows = [
        ["python -c pass (the floor)", seconds(python[0]), seconds(python[1]), "", ""],
        ["python -c 'import typer' (the alternative)", seconds(typer[0]), seconds(typer[1]),
         "1.0×", ""],
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        draft = workspace(Path(tmp), items)
        cache = Path(tmp) / "cache"
        env = cli_env({"XDG_CACHE_HOME": str(cache)})
        for label, command in [
            ("newsletter --help", [*cli, "--help"]),
            ("newsletter providers", [*cli, "providers"]),
            (f"newsletter status, {items}-item draft", [*cli, "-C", tmp, "status"]),
        ]:
            wall, cpu = timed(command, repeat, env)
            ratio = wall / typer[0]
            verdict = "met" if ratio <= GOAL else "**missed**"
            rows.append([label, seconds(wall), seconds(cpu), f"{ratio:.2f}×",
                         f"≤ {GOAL}×: {verdict}"])  # fmt: skip

        def forget_listing() -> None:
            for entry in cache.glob("newsletter/*.json"):
                entry.unlink()

        def edit_by_hand() -> None:  # a comment added: new bytes, the same draft
            draft.write_text(draft.read_text("utf-8") + "# seen\n", "utf-8")

        cold = once([*cli, "providers"], env, forget_listing)
        rows.append(["  providers, first run after an install", seconds(cold), "",
                     f"{cold / typer[0]:.2f}×", "(then cached)"])  # fmt: skip
        edited = once([*cli, "-C", tmp, "status"], env, edit_by_hand)
        rows.append([f"  status just after an edit by hand ({items} items)", seconds(edited), "",
                     f"{edited / typer[0]:.2f}×", "(parsed once, then known)"])  # fmt: skip
    table(
        f"Start-up, median of {repeat} runs (byte-compiled)",
        ["command", "wall time", "CPU time", "vs importing typer", "goal"],
        rows,
    )


if __name__ == "__main__":
    main()
