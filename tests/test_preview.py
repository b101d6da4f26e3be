"""`newsletter preview`: the local server re-renders as the draft changes."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from newsletter.cli.preview import PreviewServer
from tests.conftest import EXAMPLE


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[PreviewServer]:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns("out", "site", ".newsletter"))
    server = PreviewServer(ws, ws / "drafts" / "2011-W26.yaml").start()
    yield server
    server.stop()


def _touch_later(path: Path) -> None:
    # Filesystems with coarse timestamps: make the change visible whatever the clock says.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_changing_the_draft_changes_the_served_page(preview: PreviewServer) -> None:
    with httpx.Client(base_url=preview.url) as client:
        shell = client.get("/")
        assert shell.status_code == 200
        assert 'data-width="phone"' in shell.text and "fingerprint" in shell.text
        before = client.get("/fingerprint").json()["fingerprint"]
        page = client.get("/email.html")
        assert page.status_code == 200
        assert "Diablo-2 milestone released" in page.text

        draft = preview.draft
        draft.write_text(
            draft.read_text().replace("Diablo-2 milestone released", "Diablo-2 is out")
        )
        _touch_later(draft)
        assert client.get("/fingerprint").json()["fingerprint"] != before
        assert "Diablo-2 is out" in client.get("/email.html").text
        assert "Diablo-2 is out" in client.get("/markdown.html").text
        assert "Diablo-2 is out" in client.get("/text.html").text


def test_a_workspace_template_change_changes_the_fingerprint(preview: PreviewServer) -> None:
    with httpx.Client(base_url=preview.url) as client:
        before = client.get("/fingerprint").json()["fingerprint"]
        partial = preview.workspace / "templates" / "text" / "sections" / "blogs.txt.j2"
        partial.parent.mkdir(parents=True)
        partial.write_text("{% for item in section.included %}POST {{ item.title }}\n{% endfor %}")
        assert client.get("/fingerprint").json()["fingerprint"] != before
        assert "POST Diablo-2 milestone released" in client.get("/text.html").text


def test_a_broken_draft_shows_its_error_and_the_server_lives_on(
    preview: PreviewServer,
) -> None:
    with httpx.Client(base_url=preview.url) as client:
        preview.draft.write_text("issue: [unclosed\n")
        page = client.get("/email.html")
        assert "Cannot render the draft" in page.text
        assert "line" in page.text
        assert client.get("/nope").status_code == 404
        assert client.get("/").status_code == 200


@pytest.fixture
def port_8025_taken() -> Iterator[None]:
    """8025 held by someone else (aiosmtpd's default port too), as on a developer's
    machine; if another program already holds it, that does as well."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8025))
        holder.listen()
    except OSError:
        pass  # taken already
    yield
    holder.close()


def _start_preview(ws: Path, *args: str) -> subprocess.Popen[str]:
    script = Path(sys.executable).parent / "newsletter"
    return subprocess.Popen(
        [str(script), "-C", str(ws), "preview", "--no-open", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip


def test_preview_moves_to_a_free_port_when_8025_is_taken(
    tmp_path: Path, port_8025_taken: None
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns("out", "site", ".newsletter"))
    process = _start_preview(ws)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert "Port 8025 is in use; using " in lines[0], lines
        url = re.search(r"http://127\.0\.0\.1:(\d+)/", lines[1])
        assert url is not None and url[1] != "8025", lines
        assert httpx.get(url[0]).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=20)[0]
    assert process.returncode == 0 and "Stopped." in output

    taken = _start_preview(ws, "--port", "8025")
    output = taken.communicate(timeout=20)[0]
    assert taken.returncode == 2
    assert "port 8025 on 127.0.0.1 is in use; choose another with --port" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "evil.example", "127.0.0.1.evil.example:{port}", "", "127.0.0.1:1"],
)
def test_a_request_for_another_host_is_refused(preview: PreviewServer, host: str) -> None:
    # What a DNS-rebinding page sends: our address, its own host name.
    port = preview.server_address[1]
    with httpx.Client(base_url=preview.url) as client:
        for path in ("/", "/email.html", "/markdown.html", "/fingerprint"):
            answer = client.get(path, headers={"Host": host.format(port=port)})
            assert answer.status_code == 403, (host, path)
            assert "Diablo" not in answer.text


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_our_own_names_are_answered_and_views_run_no_script(
    preview: PreviewServer, host: str
) -> None:
    port = preview.server_address[1]
    with httpx.Client(base_url=preview.url) as client:
        answer = client.get("/email.html", headers={"Host": host.format(port=port)})
        assert answer.status_code == 200 and "Diablo" in answer.text
        assert "default-src 'none'" in answer.headers["content-security-policy"]
