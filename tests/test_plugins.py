"""Third-party providers, installed as users install them: the example plugin under
examples/ is listed, gathers and renders with its own partials; a plugin that fails to
load is named with its distribution and error wherever it is used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.servers import FeedServer, Route

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PLUGIN = ROOT / "examples" / "newsletter-pypi-releases"


def _install(source: Path, target: Path) -> Path:
    """``pip install`` a plugin's folder into ``target`` (a directory for PYTHONPATH)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(target), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    return target


def _newsletter(plugins: Path, *args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(plugins), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *map(str, args)],
        check=False, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _install(EXAMPLE_PLUGIN, tmp_path_factory.mktemp("site"))


def _pypi(server: FeedServer, package: str, releases: dict[str, str]) -> None:
    answer = {
        "info": {"name": package, "summary": "A <b>library</b> for bars"},
        "releases": {
            version: [{"upload_time_iso_8601": stamp}] for version, stamp in releases.items()
        },
    }
    body = json.dumps(answer).encode()
    server.add(f"/pypi/{package}/json", Route(body, headers={"Content-Type": "application/json"}))


@pytest.mark.filterwarnings("ignore")
def test_the_example_plugin_is_listed_gathers_and_renders(
    plugins: Path, server: FeedServer, make_workspace: object
) -> None:
    _pypi(server, "barlib", {"1.9": "2026-11-02T10:00:00Z", "2.0": "2026-11-18T09:30:00Z"})
    ws = make_workspace(  # type: ignore[operator]
        f"""
        [[section]]
        id = "releases"
        title = "New releases"
        provider = "pypi_releases"
        packages = ["barlib", "gone"]
        index_url = "{server.url("/pypi")}"
        """
    )
    listed = _newsletter(plugins, "providers")
    assert listed.returncode == 0, listed.stderr
    assert "pypi_releases" in listed.stdout
    assert "newsletter-pypi-releases 0.1.0" in listed.stdout

    drafted = _newsletter(plugins, "-C", ws, "draft", "--week", "2026-W47")
    assert drafted.returncode == 0, drafted.stderr
    draft = (ws / "drafts" / "2026-W47.yaml").read_text()
    assert "title: barlib 2.0" in draft and "barlib 1.9" not in draft
    assert "gone/json: HTTP 404" in draft  # one failing package is a problem, not a crash

    rendered = _newsletter(plugins, "-C", ws, "render")
    assert rendered.returncode == 0, rendered.stderr
    md = (ws / "out" / "2026-W47.md").read_text()
    assert "- [barlib 2.0](<https://pypi.org/project/barlib/2.0/>) · Nov 18 — A library" in md
    txt = (ws / "out" / "2026-W47.txt").read_text()
    assert "* barlib 2.0 [1] · Nov 18" in txt
    html = (ws / "out" / "2026-W47.html").read_text()
    assert "<strong>barlib 2.0</strong>" in html
    assert "A library for bars" in html  # the summary, its markup gone

    # Its identity keys and its repeat policy: once published, a release is not again,
    # even in a window that overlaps the issue's.
    assert "- pypi_releases:release:barlib==2.0" in draft
    assert _newsletter(plugins, "-C", ws, "publish", "--mark").returncode == 0
    again = _newsletter(
        plugins, "-C", ws, "draft", "--since", "2026-11-18", "--until", "2026-11-24"
    )
    assert again.returncode == 0, again.stderr
    assert "barlib 2.0" not in (ws / "drafts" / "2026-W48.yaml").read_text()


def test_a_plugin_that_fails_to_load_is_named_where_it_is_used(
    tmp_path: Path, make_workspace: object
) -> None:
    source = tmp_path / "broken-plugin"
    (source / "broken_weather").mkdir(parents=True)
    (source / "broken_weather" / "__init__.py").write_text("import no_such_module\n")
    (source / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [build-system]
            requires = ["setuptools>=69"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "newsletter-weather"
            version = "0.3.0"

            [project.entry-points."newsletter.sections"]
            weather = "broken_weather:WeatherProvider"
            """
        )
    )
    plugins = _install(source, tmp_path / "site")
    ws = make_workspace('[[section]]\nid = "sky"\nprovider = "weather"\n')  # type: ignore[operator]

    drafted = _newsletter(plugins, "-C", ws, "draft", "--week", "2026-W47")
    assert drafted.returncode == 3
    message = " ".join(drafted.stderr.split())
    assert "provider 'weather' is installed (from newsletter-weather) but failed to load" in message
    assert "No module named 'no_such_module'" in message
    assert "pip uninstall newsletter-weather" in message
    assert "Traceback" not in drafted.stderr

    listed = _newsletter(plugins, "providers")
    assert listed.returncode == 0
    assert "blogs" in listed.stdout
    assert "'weather' is installed (from newsletter-weather)" in " ".join(listed.stderr.split())
