"""Start-up: wall time of `newsletter --help` and `newsletter providers` (goal < 150 ms).

Each command runs as a user runs it, the console script in a fresh process; the
figure is the median of N runs. The alternative is the floor every Python CLI pays,
a bare interpreter (`python -c pass`) and one that only imports typer.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time

from common import newsletter_command, options, seconds, table

GOAL = 0.150


def main() -> None:
    args = options(__doc__.splitlines()[0])
    repeat = 3 if args.quick else 15
    cli = newsletter_command()

    def timed(command: list[str]) -> tuple[float, float]:
        """Median wall time, and median CPU time (user + system: steadier on a busy box)."""
        subprocess.run(command, check=True, capture_output=True)  # warm the page cache
        walls, cpus = [], []
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            walls.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        return statistics.median(walls), statistics.median(cpus)

    python = timed([sys.executable, "-c", "pass"])
    rows = [["python -c pass (the floor)", seconds(python[0]), seconds(python[1]), "", ""]]
    typer = timed([sys.executable, "-c", "import typer"])
    rows.append(["python -c 'import typer'", seconds(typer[0]), seconds(typer[1]), "", ""])
    for command in ("--help", "providers"):
        label = f"newsletter {command}"
        wall, cpu = timed([*cli, command])
        verdict = "met" if wall < GOAL else "missed"
        rows.append(
            [label, seconds(wall), seconds(cpu), f"{verdict} (< {seconds(GOAL)})",
             f"{wall / typer[0]:.1f}×"]
        )  # fmt: skip
    table(
        f"Start-up, median of {repeat} runs",
        ["command", "wall time", "CPU time", "goal", "vs importing typer alone"],
        rows,
    )


if __name__ == "__main__":
    main()
