"""Building one message: header injection refused, only configured images embedded."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.config import SendSettings
from newsletter.errors import SendError
from newsletter.model import Draft, Window
from newsletter.send.journal import Recipient
from newsletter.send.message import build, check_header_text, prepare

WHEN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WINDOW = Window(start=datetime(2026, 11, 16, tzinfo=UTC), end=datetime(2026, 11, 23, tzinfo=UTC))
SETTINGS = SendSettings.model_validate(
    {"from": "Bar <bar@example.org>", "subject": "{title}", "list_id": "bar.example.org"}
)


def message_for(
    title: str,
    html: str = "<p>hi</p>",
    workspace: Path = Path(),
    settings: SendSettings = SETTINGS,
) -> EmailMessage:
    draft = Draft(issue="2026-W47", title=title, window=WINDOW)
    issue = prepare(draft, "hi\n", html, settings, workspace, "")
    raw = build(issue, Recipient("reader@example.org", "Rëader"), WHEN)
    parsed = message_from_bytes(raw, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "List-Id", "MIME-Version",
           "Content-Type"]  # fmt: skip


@given(st.text(max_size=120))
def test_any_subject_is_refused_or_arrives_intact_with_no_extra_header(title: str) -> None:
    try:
        message = message_for(title)
    except SendError:
        return
    assert list(message.keys()) == HEADERS
    assert message["Subject"] == " ".join(title.split()) or message["Subject"] == title


@given(st.sampled_from(["\n", "\r", "\r\n", "\x00", "\x0b"]), st.text(max_size=20))
def test_line_breaks_raw_or_encoded_are_refused(brk: str, tail: str) -> None:
    encoded = "".join(f"={ord(c):02X}" for c in brk)
    for value in (f"News{brk}Bcc: x@example.net{tail}", f"A=?UTF-8?Q?{encoded}?=Bcc: {tail}"):
        with pytest.raises(SendError):
            check_header_text(value, "subject")


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


@pytest.mark.parametrize("where", ["templates/images/logo.png", "images/logo.png"])
def test_the_templates_and_configured_images_are_embedded_by_content_id(
    tmp_path: Path, where: str
) -> None:
    png = PNG
    (tmp_path / where).parent.mkdir(parents=True)
    (tmp_path / where).write_bytes(png)
    html = f'<p><img src="{where}" alt="logo"><img src="https://example.org/a.png"></p>'
    settings = SETTINGS.model_copy(update={"embed": [] if "templates" in where else [where]})
    message = message_for("Bar", html, tmp_path, settings)
    text, related = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.iter_parts()
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html_part.get_content()
    assert 'src="https://example.org/a.png"' in html_part.get_content()
    assert image.get_content_type() == "image/png"
    assert image.get_content() == png


def test_an_image_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"x")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with pytest.raises(SendError, match="not an image of the workspace's templates/"):
        message_for("Bar", '<img src="../secret.png">', workspace)


@given(st.lists(st.sampled_from([".", "..", "a", " ", "\r\n", "\n", "\r", "From "]), max_size=40))
def test_the_data_payload_is_dot_stuffed_with_crlf_line_ends(pieces: list[str]) -> None:
    from newsletter.send.smtp import _dot_stuffed

    message = "".join(pieces).encode()
    payload = _dot_stuffed(message)
    lines = payload.split(b"\r\n")
    assert payload.endswith(b"\r\n") and all(b"\r" not in x and b"\n" not in x for x in lines)
    # What the server reads back (RFC 5321 4.5.2) is the message with CRLF line ends.
    unstuffed = b"\r\n".join(x[1:] if x.startswith(b".") else x for x in lines)
    expected = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    assert unstuffed.rstrip(b"\r\n") == expected.rstrip(b"\r\n")


@pytest.mark.parametrize(
    "src", ["subscribers.csv", "newsletter.toml", ".newsletter/state.db", "images/other.png"]
)
def test_a_workspace_file_the_configuration_does_not_name_is_never_attached(
    tmp_path: Path, src: str
) -> None:
    for name in ("subscribers.csv", "newsletter.toml", ".newsletter/state.db", "images/other.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(PNG)
    settings = SETTINGS.model_copy(update={"embed": ["images/logo.png"]})
    with pytest.raises(SendError, match=f"the image '{src}', which is not an image"):
        message_for("Bar", f'<p><img src="{src}"></p>', tmp_path, settings)


def test_a_configured_file_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "list.csv").write_text("a@example.org\n")
    with pytest.raises(SendError, match="but it is text/csv"):
        message_for("Bar", '<img src="templates/list.csv">', tmp_path)
