"""`newsletter init`: a workspace a new user can fill in, and the bundled example."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from newsletter.registry import ProviderRegistry
from newsletter.send.mailman3 import Mailman3Options
from newsletter.send.smtp import SmtpOptions
from newsletter.workspace import open_config

BUILT_IN = {"blogs", "events", "mailing_lists", "stats", "inbox"}


def uncomment_blocks(
    text: str, first_lines: tuple[str, ...] = ("# [",), containing: str = ""
) -> str:
    """What the scaffold tells the user to do: uncomment a block (from a commented table
    header to the next blank line), leaving its '## ' explanations as comments; only the
    paragraphs ``containing`` a text, when given."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        if containing not in paragraph:
            paragraphs.append(paragraph)
            continue
        lines, inside = [], False
        for line in paragraph.splitlines():
            inside = inside or line.startswith(first_lines)
            active = inside and line.startswith("#") and not line.startswith("##")
            lines.append(re.sub(r"^# ?", "", line) if active else line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def test_init_makes_a_workspace_with_every_provider_commented(tmp_path: Path, cli: Any) -> None:
    result = cli("-C", tmp_path, "init", "myweekly", "--title", 'My "Weekly"')
    assert result.exit_code == 0, result.output
    ws = tmp_path / "myweekly"
    for folder in ("templates", "drafts", "out"):
        assert (ws / folder).is_dir()
    text = (ws / "newsletter.toml").read_text()
    config = open_config(ws)
    assert config.newsletter.title == 'My "Weekly"'
    assert config.sections == [] and config.send is None  # nothing fetched until filled in
    providers = set(re.findall(r'^# provider = "(\w+)"', text, re.MULTILINE))
    assert providers == BUILT_IN
    assert "# [send]" in text and "# [send.smtp]" in text

    # Each example, uncommented as the file says, is a valid section of its provider.
    full = uncomment_blocks(text, ("# [", "# editor"))
    (ws / "newsletter.toml").write_text(full)
    config = open_config(ws)
    assert {section.provider for section in config.sections} == BUILT_IN
    assert config.send is not None
    SmtpOptions.model_validate(config.send.backends["smtp"])  # the keys shown are its own
    assert config.newsletter.editor == "Jane Doe"
    assert tomllib.loads(full)["http"]["deadline"] == 60
    # And so is every optional setting shown ("## key = value").
    everything = re.sub(r"(?m)^## (?=\[|[a-z_]+ = )", "", full)
    (ws / "newsletter.toml").write_text(everything)
    config = open_config(ws)
    stats = next(s for s in config.sections if s.provider == "stats")
    assert len(stats.options.github) == 1  # type: ignore[attr-defined]
    assert config.send is not None and config.send.subscribers == "subscribers.csv"
    assert config.send.dkim is not None and config.send.max_per_second == 14
    Mailman3Options.model_validate(config.send.backends["mailman3"])

    again = cli("-C", tmp_path, "init", "myweekly")
    assert again.exit_code == 2 and "already exists" in again.output


def test_init_ignores_the_state_folder_in_git(tmp_path: Path, cli: Any) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert cli("-C", tmp_path, "init", "ws").exit_code == 0
    ws = tmp_path / "ws"
    (ws / ".newsletter").mkdir()
    (ws / ".newsletter" / "state.db").write_text("x")
    (ws / "drafts" / "2026-W47.yaml.bak").write_text("x")
    (ws / "drafts" / "2026-W47.yaml").write_text("x")
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    listed = subprocess.run(
        ["git", "-C", str(ws), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "drafts/2026-W47.yaml\n" in listed and "newsletter.toml" in listed
    assert ".newsletter" not in listed and ".bak" not in listed


def test_the_next_step_is_a_command_that_can_be_pasted(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("init", "with space/sub dir")
    assert result.exit_code == 0, result.output
    line = next(l for l in result.output.splitlines() if l.strip().startswith("cd "))  # noqa: E741
    words = shlex.split(line.strip().split("&&")[0])
    assert words == ["cd", "with space/sub dir"]
    assert (tmp_path / "with space" / "sub dir" / "newsletter.toml").is_file()


def test_a_title_that_toml_would_choke_on_is_escaped(tmp_path: Path, cli: Any) -> None:
    title = 'Back\\slash "quoted"\tand\x7f'
    assert cli("-C", tmp_path, "init", "ws", "--title", title).exit_code == 0
    assert open_config(tmp_path / "ws").newsletter.title == title


def test_draft_before_any_section_says_what_to_do(tmp_path: Path, cli: Any) -> None:
    cli("-C", tmp_path, "init", "ws")
    result = cli("-C", tmp_path / "ws", "draft", "--week", "2026-W10")
    assert result.exit_code == 3
    assert "no [[section]] yet: uncomment an example" in " ".join(result.output.split())


def test_init_example_copies_the_bundled_workspace_and_it_drafts(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("init", "--example", "openstack", "demo")
    assert result.exit_code == 0, result.output
    ws = tmp_path / "demo"
    assert "newsletter -C demo draft --week 2011-W26" in result.output
    assert (ws / "feeds" / "openstack-blog.rss").is_file()
    assert (ws / ".gitignore").is_file()
    assert {s.provider for s in open_config(ws, ProviderRegistry.from_entry_points()).sections} >= {
        "blogs", "events", "mailing_lists", "stats",
    }  # fmt: skip
    if shutil.which("git") is not None:
        assert (ws / "repos" / "nova").is_dir()
    drafted = cli("-C", ws, "draft", "--week", "2011-W26")
    assert drafted.exit_code == 0, drafted.output
    assert "0 problem(s)" in drafted.output or shutil.which("git") is None

    unknown = cli("-C", tmp_path, "init", "--example", "nope", "x")
    assert unknown.exit_code == 2 and "there is: openstack" in unknown.output
    busy = cli("-C", tmp_path, "init", "--example", "openstack", "demo")
    assert busy.exit_code == 2
