"""bench/run_all.py finds every bench/bench_*.py (other branches' scripts join by name).

The scripts themselves are run by ``make bench`` (``--quick`` for a smoke run); they
take ~10 s together even then, too slow for this suite, and nothing here times them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_bench_script_is_discovered_and_only_those() -> None:
    found = [path.name for path in run_all().discover()]
    expected = sorted(path.name for path in BENCH.glob("bench_*.py"))
    assert found == expected
    assert {"bench_gather.py", "bench_parse.py", "bench_render.py", "bench_startup.py"} <= set(
        found
    )
    assert "common.py" not in found and "run_all.py" not in found


def test_benchmarks_can_be_chosen_by_name() -> None:
    assert [path.name for path in run_all().discover(["parse", "render"])] == [
        "bench_parse.py",
        "bench_render.py",
    ]


def test_a_failing_script_makes_run_all_fail(tmp_path: Path) -> None:
    module = run_all()
    (tmp_path / "bench_broken.py").write_text("raise SystemExit(3)\n")
    (tmp_path / "bench_fine.py").write_text("print('ok')\n")
    module.HERE = tmp_path
    assert module.main(["fine"]) == 0
    assert module.main([]) == 1


def test_every_bench_script_takes_quick() -> None:
    """``run_all.py --quick`` passes ``--quick`` to every script: one that does not
    know the flag fails the smoke run (argparse exits 2)."""
    import subprocess
    import sys

    lacking = []
    for script in run_all().discover():
        shown = subprocess.run(
            [sys.executable, str(script), "--help"], capture_output=True, text=True, check=False
        )
        if shown.returncode != 0 or "--quick" not in shown.stdout:
            lacking.append(script.name)
    assert lacking == []
