"""Run every bench/bench_*.py in turn (``make bench``); each prints its own tables.

python bench/run_all.py            # full sizes, a few minutes on 2 cores
python bench/run_all.py --quick    # tiny sizes: does every script still run?
python bench/run_all.py parse render   # only bench_parse.py and bench_render.py

The alternatives compared need the bench extra: pip install -e '.[dev,bench]' (make
bench installs it).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(only: list[str] | None = None) -> list[Path]:
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in only]
    return scripts


def machine() -> str:
    cores = len(__import__("os").sched_getaffinity(0))
    return f"{platform.machine()}, {cores} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes for every script")
    parser.add_argument("only", nargs="*", help="names of benchmarks to run (e.g. gather)")
    args = parser.parse_args(argv)
    scripts = discover(args.only)
    print(f"# newsletter benchmarks — {machine()}")
    failed = []
    for script in scripts:
        print(f"\n## {script.name}", flush=True)
        started = time.perf_counter()
        command = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(script.name)
        print(f"\n({script.name}: {time.perf_counter() - started:.1f} s)", flush=True)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
