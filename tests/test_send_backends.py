"""Send backends are plugins: one installed from outside is found by its entry point and
journaled like the built-ins; a broken or unknown one is named, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.sending import said, send, workspace

PLUGIN = '''
from newsletter.send.backend import BackendOptions, SendBackend


class FolderOptions(BackendOptions):
    folder: str


class FolderBackend(SendBackend[FolderOptions]):
    """Delivers each message as a file, for tests."""

    name = "folder"
    Options = FolderOptions

    @property
    def where(self):
        return f"the folder {self.options.folder}"

    def deliver(self, envelope, message, commit):
        folder = self.context.workspace / self.options.folder
        folder.mkdir(exist_ok=True)
        commit()
        (folder / f"{envelope.recipient.address}.eml").write_bytes(message)
        return "sent"
'''


def install(site: Path, module: str) -> Path:
    """A distribution ``newsletter-folder`` registering the backend ``folder``."""
    info = site / "newsletter_folder-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "newsletter_folder.py").write_text(module)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: newsletter-folder\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[newsletter.send_backends]\nfolder = newsletter_folder:FolderBackend\n"
    )
    return site


def newsletter(site: Path, *args: object) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", *map(str, args)],
        env={**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def folder_workspace(tmp_path: Path, options: str = 'folder = "outbox"') -> Path:
    ws = workspace(tmp_path, 9, 'security = "plain"')
    config = ws / "newsletter.toml"
    text = config.read_text().replace("[send]\n", '[send]\nbackend = "folder"\n', 1)
    config.write_text(text + f"\n[send.folder]\n{options}\n")
    return ws


def test_a_backend_from_another_distribution_sends_and_is_journaled(tmp_path: Path) -> None:
    site = install(tmp_path / "site", PLUGIN)
    ws = folder_workspace(tmp_path)
    code, output = newsletter(site, "-C", ws, "send", "--yes", "--force")
    assert code == 0, output
    assert sorted(p.name for p in (ws / "outbox").iterdir()) == [
        "anne@example.org.eml",
        "stefano@example.org.eml",
        "thierry@example.org.eml",
    ]
    assert b"List-Unsubscribe-Post" in (ws / "outbox" / "anne@example.org.eml").read_bytes()
    code, output = newsletter(site, "-C", ws, "log")
    assert code == 0 and "folder" in output
    code, output = newsletter(site, "-C", ws, "send", "--yes", "--force")
    assert code == 6 and "already sent" in output


def test_a_backend_that_fails_to_load_is_named_with_its_distribution(tmp_path: Path) -> None:
    site = install(tmp_path / "site", "raise ImportError('needs boto3')\n")
    ws = folder_workspace(tmp_path)
    code, output = newsletter(site, "-C", ws, "send", "--yes", "--force")
    assert code == 3, output
    assert (
        "send.backend: send backend 'folder' is installed (from newsletter-folder) but failed "
        "to load: ImportError: needs boto3; reinstall it, or remove it with: "
        "pip uninstall newsletter-folder"
    ) in output
    assert "Traceback" not in output


def test_a_backends_options_are_checked_by_its_model(tmp_path: Path) -> None:
    site = install(tmp_path / "site", PLUGIN)
    ws = folder_workspace(tmp_path, options='fodler = "outbox"')
    code, output = newsletter(site, "-C", ws, "send", "--yes", "--force")
    assert code == 3, output
    assert "send.folder.folder: Field required" in output
    assert "send.folder.fodler: Extra inputs are not permitted" in output


def test_an_unknown_backend_or_table_names_the_installed_ones(tmp_path: Path, cli: Any) -> None:
    ws = workspace(tmp_path, 9, 'security = "plain"', send='backend = "ses"')
    result = send(cli, ws)
    assert result.exit_code == 3
    assert "send.backend: no send backend named 'ses'; installed: mailman3, smtp" in said(result)

    ws = workspace(tmp_path / "typo", 9, 'security = "plain"')
    config = ws / "newsletter.toml"
    config.write_text(config.read_text() + textwrap.dedent("\n[send.smpt]\nhost = 'x'\n"))
    result = send(cli, ws)
    assert result.exit_code == 3
    assert "send.smpt: no send backend named 'smpt'" in said(result)


def test_a_dry_run_to_a_mailman_list_needs_no_password_and_writes_the_post(
    tmp_path: Path, cli: Any
) -> None:
    from email import message_from_bytes
    from email.policy import default

    from tests.test_mailman import workspace as mailman_workspace

    ws = mailman_workspace(tmp_path, "https://lists.example.org/3.1", "announce@lists.example.org")
    result = cli("-C", ws, "send", "--dry-run")
    assert result.exit_code == 0, result.output
    (post,) = (ws / "out" / "2011-W26").glob("*.eml")
    message = message_from_bytes(post.read_bytes(), policy=default)
    assert message["To"] == "announce@lists.example.org"
    assert message["List-Post"] == "<mailto:announce@lists.example.org>"
    assert message["List-Unsubscribe-Post"] is None


def test_without_a_mail_server_the_dry_run_works_and_a_send_says_what_is_missing(
    tmp_path: Path, cli: Any
) -> None:
    ws = workspace(tmp_path, 9, 'security = "plain"')
    config = ws / "newsletter.toml"
    text = config.read_text()
    config.write_text(text[: text.index("[send.smtp]")])
    assert cli("-C", ws, "send", "--dry-run").exit_code == 0
    result = send(cli, ws)
    assert result.exit_code == 6
    assert "send.smtp.host: no mail server to send through" in said(result)
    assert not (ws / "out" / "2011-W26" / "sent.log").exists()  # nothing journaled
