"""Other projects' test corpora, fetched from their sdists on PyPI and cached.

feedparser's sdist ships its test suite (``tests/wellformed/…``), icalendar's and
recurring-ical-events' ship their test calendars. The conformance tests run ours against
them: :func:`sdist` downloads the sdist of the *installed* version with pip (PyPI's own
client), unpacks it once into ``.cache/corpora/`` at the top of the checkout, and skips
the test, saying why, when PyPI cannot be reached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

import pytest

CACHE = Path(
    os.environ.get("NEWSLETTER_CORPORA")
    or Path(__file__).resolve().parent.parent / ".cache" / "corpora"
)


def sdist(distribution: str) -> Path:
    """The unpacked sdist of the installed ``distribution`` (its top folder)."""
    wanted = f"{distribution}=={version(distribution)}"
    folder = CACHE / wanted.replace("==", "-")
    if folder.is_dir():
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        download = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", "--dest", scratch, wanted],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        archives = sorted(Path(scratch).glob("*.tar.gz"))
        if not archives:
            why = (download.stderr.strip().splitlines() or ["no sdist"])[-1]
            pytest.skip(f"the sdist of {wanted} could not be fetched from PyPI: {why}")
        unpacked = Path(scratch) / "unpacked"
        with tarfile.open(archives[0]) as archive:
            archive.extractall(unpacked, filter="data")
        (top,) = unpacked.iterdir()
        try:
            top.rename(folder)  # atomic: a concurrent run finds it whole or not at all
        except OSError:
            if not folder.is_dir():
                raise
            shutil.rmtree(top)
    return folder
