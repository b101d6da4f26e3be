"""Building one message: header injection refused, images embedded by Content-ID."""

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


def message_for(title: str, html: str = "<p>hi</p>", workspace: Path = Path()) -> EmailMessage:
    draft = Draft(issue="2026-W47", title=title, window=WINDOW)
    issue = prepare(draft, "hi\n", html, SETTINGS, workspace, "")
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


def test_workspace_images_are_embedded_by_content_id(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "logo.png").write_bytes(png)
    html = '<p><img src="images/logo.png" alt="logo"><img src="https://example.org/a.png"></p>'
    message = message_for("Bar", html, tmp_path)
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
    with pytest.raises(SendError, match="not a file in"):
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
