"""Wheels for installing into a fresh virtualenv offline: ours, built from a clean copy
of the source, and every dependency repacked from what ``make install-dev`` already
installed in the running environment (``pip install --no-index --find-links``).

Repacking reads each distribution's ``RECORD`` and zips the files it lists, under the
tag its ``WHEEL`` file names. Scripts outside site-packages are left out (pip writes
console scripts again from ``entry_points.txt``), and so are bytecode caches.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LEFT_OUT = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def source_copy(target: Path) -> Path:
    """The project's files without build leftovers: setuptools reuses ./build, so a
    wheel built in the checkout can carry modules that no longer exist."""
    ignore = shutil.ignore_patterns(
        ".venv", "build", "dist", "*.egg-info", ".git", "__pycache__", ".*_cache", "tests",
        "repos", "out", ".newsletter", "site", "node_modules", "test-artifacts",
    )  # fmt: skip
    return Path(shutil.copytree(ROOT, target / "src", ignore=ignore))


def build_wheel(target: Path) -> tuple[Path, str]:
    """Our wheel, built from a clean copy without isolation; and what the build printed."""
    source = source_copy(target)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-w", str(target), str(source)],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = target.glob("newsletter-*.whl")
    return wheel, built.stdout + built.stderr


def repack_installed(target: Path, leave_out: set[str]) -> Path:
    """A wheel per distribution installed in this environment's site-packages."""
    target.mkdir(parents=True, exist_ok=True)
    purelib = Path(sysconfig.get_paths()["purelib"]).resolve()
    for dist in metadata.distributions(path=[str(purelib)]):
        name = dist.metadata["Name"]
        if name is None or name.lower().replace("_", "-") in leave_out:
            continue
        _repack(dist, target)
    return target


def _repack(dist: metadata.Distribution, target: Path) -> None:
    site = Path(str(dist.locate_file(""))).resolve()
    name = dist.metadata["Name"].replace("-", "_").replace(".", "_")
    version = dist.version
    dist_info = f"{name}-{version}.dist-info"
    tags = ["py3-none-any"]
    wheel_file = next((f for f in dist.files or [] if f.name == "WHEEL"), None)
    if wheel_file is not None:
        dist_info = wheel_file.parent.name
        lines = (wheel_file.read_text() or "").splitlines()
        tags = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
    # The file name's compressed tag set: py2.py3-none-any for Tag: py2-… and Tag: py3-…
    parts = zip(*(tag.split("-") for tag in tags), strict=True)
    tag = "-".join(".".join(dict.fromkeys(part)) for part in parts)
    records: list[str] = []
    path = target / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for file in dist.files or []:
            relative = file.as_posix()
            if relative.startswith("..") or "__pycache__" in file.parts:
                continue
            if file.parent.name == dist_info and file.name in _LEFT_OUT:
                continue
            source = site / relative
            if not source.is_file():
                continue
            data = source.read_bytes()
            archive.writestr(relative, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            records.append(f"{relative},sha256={digest.decode()},{len(data)}")
        records.append(f"{dist_info}/RECORD,,")
        archive.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")


def fresh_venv(target: Path) -> Path:
    """A virtualenv with nothing installed, not even pip: the running environment's pip
    installs into it (``pip --python``). Returns its ``bin`` folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    return target / "bin"


def pip_into(bin_dir: Path, *args: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"),
         "--disable-pip-version-check", "install", "--no-index", "--no-compile", *args],
        check=False, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
