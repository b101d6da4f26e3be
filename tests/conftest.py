"""Shared fixtures: a real HTTP server, temp workspaces, and the CLI."""

from __future__ import annotations

import signal
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.servers import FeedServer
from tests.smtp import MailServer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "openstack"

# A suite started in the background of a script (`make test &`) inherits SIGINT
# ignored, and so would every `newsletter` process the tests start: the Ctrl-C tests
# would then wait in vain. A Python handler here is reset to the default in children.
signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1; add routes with ``server.add(path, body)``."""
    feed_server = FeedServer().start()
    yield feed_server
    feed_server.stop()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the user's environment or leaves colours in captured output."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    proxies = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
    for name in ("VISUAL", "EDITOR", "XDG_CACHE_HOME", *proxies):
        monkeypatch.delenv(name, raising=False)


MakeWorkspace = Callable[..., Path]


@pytest.fixture
def make_workspace(tmp_path: Path) -> MakeWorkspace:
    """Write a workspace whose newsletter.toml is ``sections`` after a [newsletter] table."""

    def make(
        sections: str = "",
        *,
        title: str = "Bar Weekly",
        timezone: str = "UTC",
        extra: str = "",
        files: dict[str, str | bytes] | None = None,
        name: str = "ws",
    ) -> Path:
        root = tmp_path / name
        root.mkdir()
        config = f'[newsletter]\ntitle = "{title}"\ntimezone = "{timezone}"\n{extra}\n'
        (root / "newsletter.toml").write_text(config + textwrap.dedent(sections), "utf-8")
        for relative, content in (files or {}).items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, "utf-8")
        return root

    return make


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run the CLI in-process: ``cli("-C", ws, "draft")`` returns a click Result."""
    from newsletter.cli.app import app

    runner = CliRunner()

    def invoke(*args: object, input: str | None = None) -> object:
        return runner.invoke(app, [str(arg) for arg in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Our wheel, built once per session from a clean copy; and what the build printed."""
    from tests.wheelhouse import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture
def servers() -> Iterator[Callable[..., MailServer]]:
    """Start real SMTP servers on 127.0.0.1: ``servers(**knobs)`` (see MailServer)."""
    started: list[MailServer] = []

    def start(**options: Any) -> MailServer:
        server = MailServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
