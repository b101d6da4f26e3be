"""The command line, end to end in a temp workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

COMMANDS = ["init", "draft", "render", "providers"]


def test_init_scaffolds_a_workspace_that_loads(tmp_path: Path, cli: Any) -> None:
    result = cli("-C", tmp_path, "init", "myweekly", "--title", "My Weekly")
    assert result.exit_code == 0, result.output
    ws = tmp_path / "myweekly"
    for folder in ("templates", "drafts", "out"):
        assert (ws / folder).is_dir()
    config = (ws / "newsletter.toml").read_text()
    assert 'title = "My Weekly"' in config and config.count("#") > 10  # commented
    from newsletter.workspace import open_config

    assert open_config(ws).sections[0].provider == "blogs"
    again = cli("-C", tmp_path, "init", "myweekly")
    assert again.exit_code == 2 and "already exists" in again.output


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_is_complete(cli: Any, command: str | None) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    result = cli(*args)
    assert result.exit_code == 0
    assert "Usage" in result.output
    if command is None:
        for name in COMMANDS:
            assert name in result.output
        assert "--workspace" in result.output


def test_providers_lists_the_built_in_ones(cli: Any) -> None:
    result = cli("providers")
    assert result.exit_code == 0
    assert "blogs" in result.output and "RSS/Atom" in result.output


def test_workspace_option_works_like_git_dash_c(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    result = cli("--workspace", ws, "draft", "--since", "2026-11-01", "--until", "2026-11-07")
    assert result.exit_code == 0, result.output
    assert (ws / "drafts" / "2026-W45.yaml").is_file()


def test_usage_mistakes_get_clear_errors(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    bad_week = cli("-C", ws, "draft", "--week", "2026-47")
    assert bad_week.exit_code == 2 and "not an ISO week" in bad_week.output
    mixed = cli("-C", ws, "draft", "--week", "2026-W47", "--since", "2026-11-01")
    assert mixed.exit_code == 2 and "--since and --until" in mixed.output
    bad_date = cli("-C", ws, "draft", "--since", "yesterday", "--until", "2026-11-07")
    assert bad_date.exit_code == 2
    no_drafts = cli("-C", ws, "render")
    assert no_drafts.exit_code == 7 and "no drafts yet" in no_drafts.output


def test_config_errors_exit_3_listing_every_problem(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "nope"\n[[section]]\nid = "B!"\n')
    result = cli("-C", ws, "draft")
    assert result.exit_code == 3
    assert "unknown provider 'nope'" in result.output and "section[1].id" in result.output


def test_render_writes_three_files_or_one_format_to_stdout(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    assert cli("-C", ws, "draft", "--week", "2026-W47").exit_code == 0
    result = cli("-C", ws, "render", "drafts/2026-W47.yaml")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (ws / "out").iterdir()) == [
        "2026-W47.html",
        "2026-W47.md",
        "2026-W47.txt",
    ]
    md = cli("-C", ws, "render", "--format", "md", "--out", "-")
    assert md.stdout.startswith("# Bar Weekly\n")
    both = cli("-C", ws, "render", "-f", "md", "-f", "txt", "--out", "-")
    assert both.exit_code == 2 and "one format" in both.output
    single = cli("-C", ws, "render", "-f", "txt", "--out", ws / "issue.txt")
    assert single.exit_code == 0 and (ws / "issue.txt").read_text().startswith("Bar Weekly")


def test_an_invalid_draft_exits_7_naming_the_line(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    cli("-C", ws, "draft", "--week", "2026-W47")
    path = ws / "drafts" / "2026-W47.yaml"
    path.write_text(path.read_text().replace("title: Bar Weekly", "title: [oops"))
    result = cli("-C", ws, "render")
    assert result.exit_code == 7 and "line" in result.output


def test_the_console_script_runs_without_a_tty(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "newsletter"
    result = subprocess.run(
        [str(script), "-C", str(tmp_path), "init", "ws"],
        capture_output=True,
        text=True,
        env={**os.environ, "TERM": "xterm"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout + result.stderr  # no colour codes for cron/pipes
