"""Build mbox archives for the tests."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime


def mail(
    subject: str,
    sender: str,
    when: datetime | None,
    message_id: str | None,
    body: str = "Hello.\n",
    *,
    reply_to: str | None = None,
    headers: str = "",
    envelope: str = "From someone@example.org  Mon Jun 27 17:03:12 2011",
) -> str:
    """One message of an mbox, envelope line first; ``None`` leaves a header out."""
    lines = [envelope, f"From: {sender}", f"Subject: {subject}"]
    if when is not None:
        lines.append(f"Date: {format_datetime(when)}")
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    if reply_to is not None:
        lines += [f"In-Reply-To: {reply_to}", f"References: {reply_to}"]
    if headers:
        lines.append(headers.strip("\n"))
    return "\n".join(lines) + "\n\n" + body + "\n"


def mbox(*messages: str) -> bytes:
    return "".join(messages).encode("utf-8")
