"""The command line, end to end in a temp workspace."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

COMMANDS = ["init", "draft", "render", "providers"]


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


ALL_COMMANDS = [
    "init", "draft", "check", "providers", "edit", "curate", "status", "approve", "render",
    "preview", "lint", "publish", "send", "log",
]  # fmt: skip


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_every_commands_help_reads_plainly_with_an_example(cli: Any, command: str) -> None:
    result = cli(command, "--help")
    assert result.exit_code == 0, result.output
    jargon = r"\b(TEXT|INTEGER|FLOAT|BOOLEAN|RANGE)\b|\[\w+(\|\w+)+\]"
    assert not re.search(jargon, result.output), result.output  # no TEXT, [html|md|txt]
    assert "[[" not in result.output
    assert "Examples:" in result.output and f"newsletter {command}" in result.output
    assert "Global options:" in result.output and "-q, --quiet" in result.output


def test_global_options_are_accepted_after_the_command(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    result = cli("draft", "-q", "--week", "2026-W47", "-C", ws)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [l for l in result.output.splitlines() if l]  # noqa: E741
    assert result.output.startswith("Draft created: drafts/2026-W47.yaml")  # -q: one line
    before = cli("-C", ws, "status", "--traceback")
    assert before.exit_code == 0 and "2026-W47" in before.output
    # Given before the command, a global option holds unless repeated after it.
    quiet = cli("-q", "-C", ws, "draft", "--week", "2026-W47")
    assert quiet.output.startswith("Draft unchanged")  # nothing new was gathered


def test_render_takes_formats_comma_separated_or_repeated(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    cli("-C", ws, "draft", "--week", "2026-W47")
    assert cli("-C", ws, "render", "-f", "md,txt").exit_code == 0
    assert sorted(p.suffix for p in (ws / "out").iterdir()) == [".md", ".txt"]
    assert cli("-C", ws, "render", "-f", "html", "-f", "md", "-o", ws / "o2").exit_code == 0
    assert sorted(p.suffix for p in (ws / "o2").iterdir()) == [".html", ".md"]
    bad = cli("-C", ws, "render", "-f", "md,pdf")
    assert bad.exit_code == 2 and "'pdf' is not a format; choose from html, md, txt" in bad.output


def test_dash_c_to_a_missing_folder_says_so(tmp_path: Path, cli: Any) -> None:
    for args in (("-C", tmp_path / "nope", "status"), ("status", "-C", tmp_path / "nope")):
        result = cli(*args)
        assert result.exit_code == 2
        assert f"-C {tmp_path / 'nope'}: no such folder" in result.output
    (tmp_path / "file").write_text("x")
    assert "not a folder" in cli("-C", tmp_path / "file", "render").output


def test_the_workspace_is_found_from_a_subfolder_like_git(
    make_workspace: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    (ws / "drafts").mkdir()
    monkeypatch.chdir(ws / "drafts")
    drafted = cli("draft", "--week", "2026-W47")
    assert drafted.exit_code == 0, drafted.output
    assert (ws / "drafts" / "2026-W47.yaml").is_file()
    assert not (ws / "drafts" / "drafts").exists()
    rendered = cli("render")
    assert rendered.exit_code == 0, rendered.output
    assert "Wrote ../out/2026-W47.html" in rendered.output  # relative to where you are
    assert cli("render", "2026-W47.yaml", "-f", "md").exit_code == 0  # a path from here
    deeper = ws / "templates" / "email"
    deeper.mkdir(parents=True)
    assert cli("-C", deeper, "status").exit_code == 0


def test_a_workspace_above_owned_by_someone_else_is_not_adopted(tmp_path: Path, cli: Any) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to give a file to another user")
    shared = tmp_path / "shared"
    (shared / "mine").mkdir(parents=True)
    config = shared / "newsletter.toml"
    config.write_text('[newsletter]\ntitle = "Planted"\n')
    os.chown(config, 65534, 65534)
    from newsletter.workspace import find_workspace

    assert find_workspace(shared / "mine") == shared / "mine"
    assert find_workspace(shared) == shared  # asked for by name: used
    os.chown(config, 0, 0)
    assert find_workspace(shared / "mine") == shared


def test_a_week_that_has_not_ended_needs_force(make_workspace: Any, cli: Any) -> None:
    from datetime import UTC, datetime, timedelta

    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    year, week, _ = (datetime.now(UTC) + timedelta(days=7)).isocalendar()
    future = f"{year}-W{week:02d}"
    refused = cli("-C", ws, "draft", "--week", future)
    assert refused.exit_code == 2
    assert f"{future}" in refused.output and "has not ended yet" in refused.output
    assert "--force" in refused.output
    assert not (ws / "drafts" / f"{future}.yaml").exists()
    assert cli("-C", ws, "draft", "--week", "2026-W46").exit_code == 0
    forced = cli("-C", ws, "draft", "--week", future, "--force")
    assert forced.exit_code == 0, forced.output
    # The newest draft the other commands pick is the newest week that has ended.
    status = cli("-C", ws, "status")
    assert "2026-W46" in status.output
    assert f"{future}.yaml is for a week still to come" in " ".join(status.output.split())
    assert f"Wrote {ws / 'out' / future}.md" in " ".join(
        cli("-C", ws, "render", f"drafts/{future}.yaml", "-f", "md").output.split()
    )
