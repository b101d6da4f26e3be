"""The ``mailman3`` backend when Mailman's REST API fails after it accepted the post.

A real Mailman cannot be made to fail on cue, so these tests talk to a stand-in for its
REST API on 127.0.0.1 that answers the post (201) and then fails to tell what became of it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.sending import said, statuses
from tests.test_mailman import workspace

LIST = "weekly@lists.example.org"


class FailingAfterThePost(BaseHTTPRequestHandler):
    """Knows the list and takes posts; once it took one, reading its queue or its held
    messages gets a 500."""

    posts: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.posts and not self.path.startswith("/3.1/lists/weekly@"):
            self._answer(500, {"title": "500 Internal Server Error"}, {})
        else:
            self._answer(200, {"list_id": LIST.replace("@", ".")}, {})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.posts.append(self.path)
        location = f"http://{self.headers['Host']}/3.1/queues/in/{len(self.posts)}.pck"
        self._answer(201, {}, {"Location": location})


class NotTheRestApi(FailingAfterThePost):
    """A web page where the REST API should be (Postorius's address, say)."""

    def do_GET(self) -> None:
        data = b"<!doctype html><title>Mailing lists</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve(
    handler: type[FailingAfterThePost], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, list[str]]]:
    monkeypatch.setenv("MAILMAN_REST_PASSWORD", "secret")
    handler.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/3.1", handler.posts
    server.shutdown()
    server.server_close()


@pytest.fixture
def rest(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str]]]:
    yield from serve(FailingAfterThePost, monkeypatch)


@pytest.fixture
def web_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str]]]:
    yield from serve(NotTheRestApi, monkeypatch)


def test_a_post_accepted_is_never_posted_again_when_mailman_fails_afterwards(
    tmp_path: Path, cli: Any, rest: tuple[str, list[str]]
) -> None:
    url, posts = rest
    ws = workspace(tmp_path, url, LIST)
    config = ws / "newsletter.toml"
    config.write_text(config.read_text().replace("[send]\n", "[send]\nretry_delay = 0\n", 1))

    first = cli("-C", ws, "send", "--yes", "--force")
    assert len(posts) == 1, said(first)
    assert first.exit_code == 6, first.output
    assert statuses(ws) == {"held": 1}  # accepted, and not known to be through moderation

    again = cli("-C", ws, "send", "--yes", "--force")
    assert len(posts) == 1, said(again)
    assert "still waiting for a moderator" in said(again)


def test_a_rest_url_that_is_not_mailmans_api_is_named_not_a_traceback(
    tmp_path: Path, cli: Any, web_page: tuple[str, list[str]]
) -> None:
    url, posts = web_page
    result = cli("-C", workspace(tmp_path, url, LIST), "send", "--yes", "--force")
    assert result.exit_code == 6, result.output
    text = said(result)
    assert f"{url} answered the request for the list {LIST} with something other" in text
    assert "send.mailman3.rest_url" in text and "bug" not in text
    assert posts == []
