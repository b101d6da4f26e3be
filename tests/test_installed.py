"""The tool as a user gets it: the built wheel installed into a fresh virtualenv (not
editable), running the README's quick start; and `make demo` on a fresh copy.

Offline and quick: the dependencies come from a wheelhouse repacked from what
`make install-dev` installed (tests/wheelhouse.py), through `pip --no-index`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.feeds import Post, rss
from tests.servers import FeedServer
from tests.test_init import uncomment_blocks
from tests.wheelhouse import fresh_venv, pip_into, repack_installed, source_copy


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return repack_installed(tmp_path_factory.mktemp("wheelhouse"), {"newsletter"})


def _offline_env(home: Path, wheelhouse: Path) -> dict[str, str]:
    """The environment of a user's shell, with pip kept off the network and this
    machine's pip settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(
        HOME=str(home),
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        NO_COLOR="1",
    )
    return env


def test_the_quick_start_runs_from_the_installed_wheel(
    tmp_path: Path, built_wheel: tuple[Path, str], wheelhouse: Path, server: FeedServer
) -> None:
    wheel, _ = built_wheel
    bin_dir = fresh_venv(tmp_path / "venv")
    env = _offline_env(tmp_path / "home", wheelhouse)
    pip_into(bin_dir, str(wheel), env=env)  # `pip install .`, as a wheel: not editable
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)

    def newsletter(*args: str, cwd: Path = home) -> str:
        done = subprocess.run(
            [str(bin_dir / "newsletter"), *args],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"newsletter {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout + done.stderr

    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import newsletter; print(newsletter.__file__)"],
        cwd=home, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert str(tmp_path / "venv") in where  # the installed copy, not the source tree

    assert "Usage" in newsletter("--help")
    assert "blogs" in newsletter("providers")
    newsletter("init", "myweekly")
    ws = home / "myweekly"

    # "edit newsletter.toml: title, timezone, sections…": the blogs example, pointed at
    # this test's own feeds, and [send].
    now = datetime.now(UTC)
    posts = [Post(f"Post {n}", f"https://blog.example.org/{n}", now - timedelta(days=n))
             for n in range(1, 15)]  # fmt: skip
    (ws / "feeds").mkdir()
    (ws / "feeds" / "planet.xml").write_bytes(rss(posts[:7]))
    feed_url = server.add("/feed.xml", rss(posts[7:]))
    config = (ws / "newsletter.toml").read_text()
    config = uncomment_blocks(config, ("# [[section]]",), containing='provider = "blogs"')
    config = uncomment_blocks(config, ("# [send]",), containing="# [send]")
    config = config.replace("https://blog.example.org/feed.xml", feed_url)
    (ws / "newsletter.toml").write_text(config)

    assert "2 of 2 source(s) answered" in newsletter("check", cwd=ws)
    drafted = newsletter("draft", cwd=ws)
    assert "Draft created: drafts/" in drafted and "0 problem(s)" in drafted
    assert next((ws / "drafts").glob("*.yaml")).read_text().count("title: Post ") >= 6
    rendered = newsletter("render", cwd=ws)
    assert rendered.count("Wrote ") == 3
    issue = next((ws / "drafts").glob("*.yaml")).stem
    html = (ws / "out" / f"{issue}.html").read_text()
    assert "<html" in html and "Post" in html
    sent = newsletter("send", "--dry-run", cwd=ws)
    assert "Dry run: wrote 1 message(s)" in sent
    assert len(list((ws / "out" / issue).glob("*.eml"))) == 1
    assert "included" in newsletter("status", cwd=ws / "drafts")  # found from a subfolder


def test_make_demo_on_a_fresh_copy_prints_only_the_tools_output(
    tmp_path: Path, wheelhouse: Path
) -> None:
    if shutil.which("make") is None or shutil.which("git") is None:
        pytest.skip("make and git are needed")
    source = source_copy(tmp_path)
    env = _offline_env(tmp_path / "home", wheelhouse)
    done = subprocess.run(
        ["make", "--no-print-directory", "demo", f"PYTHON={sys.executable}"],
        cwd=source, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    output = done.stdout
    assert done.returncode == 0, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[0].startswith("made "), output  # prepare.sh speaks first: no build output
    for noise in (r"warning", r"setuptools", r"\bpip\b", r"deprecat", r"!!", r"editable"):
        assert not re.search(noise, output, re.IGNORECASE), f"{noise!r} in:\n{output}"
    # The committed W26 draft is what the sequence gathers: re-drafting changes nothing.
    assert "Draft unchanged: drafts/2011-W26.yaml" in output
    assert lines[-1].startswith("The example issues are in examples/openstack/out/")
