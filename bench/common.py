"""What every benchmark shares: options, timing, the plain table they print, the CLI.

Benchmarks print figures and the ratio to what a user would pick instead; they never
assert a speed (tests do not time anything). ``--quick`` shrinks every size so the
scripts can be smoke-tested in seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def options(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: check the script runs, not speed"
    )
    return parser.parse_args(argv)


def median_seconds(run: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    """Median wall time of ``run`` over ``repeat`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def newsletter_command() -> list[str]:
    """The installed console script next to this Python (what a user runs)."""
    script = Path(sys.executable).parent / "newsletter"
    return [str(script)] if script.exists() else [sys.executable, "-m", "newsletter"]


def compile_sources() -> None:
    """Byte-compile newsletter's own modules, as an installed package is.

    An editable install with ``PYTHONDONTWRITEBYTECODE`` set (as on the machines these
    figures were taken on) would otherwise compile them again on every run, which no
    user pays; the dependencies were compiled by pip when installed."""
    import compileall
    import re

    skip = re.compile(r"[/\\](\.venv|\.git|tests|bench|build|node_modules)[/\\]")
    compileall.compile_dir(ROOT, quiet=1, rx=skip)


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the CLI runs in: no colours, and byte-code caches used."""
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", **(extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, without colours, failing loudly if it fails."""
    done = subprocess.run(
        [*newsletter_command(), *args],
        check=False,
        cwd=cwd,
        env=cli_env(env),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"newsletter {' '.join(args)} failed ({done.returncode}):\n{done.stderr}{done.stdout}"
        )
    return done


def seconds(value: float) -> str:
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def ratio(ours: float, theirs: float) -> str:
    """How many times faster ours is (``3.2× faster``) or slower."""
    if ours <= 0 or theirs <= 0:
        return "n/a"
    if ours == theirs:
        return "1.0×"
    if theirs >= ours:
        return f"{theirs / ours:.1f}× faster"
    return f"{ours / theirs:.1f}× slower"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a Markdown table (readable in a terminal, pasteable into the README)."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(f"\n### {title}\n")
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    sys.stdout.flush()


def note(text: str) -> None:
    print(f"\n{text}")
    sys.stdout.flush()


def node_mjml() -> Path | None:
    """Node's mjml CLI, installed into bench/node_modules when npm exists (else None)."""
    local = BENCH / "node_modules" / ".bin" / "mjml"
    if local.exists():
        return local
    npm = shutil.which("npm")
    if npm is None:
        return None
    done = subprocess.run(
        [npm, "install", "--prefix", str(BENCH), "--no-audit", "--no-fund", "--silent", "mjml"],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not local.exists():
        note(f"npm install mjml failed: {done.stderr.strip()[:300]}")
        return None
    return local
