"""Build the email of an issue: one ``multipart/alternative`` message per recipient.

Every value that reaches a header — the subject, names, addresses — is checked first:
CR, LF or another control character, raw or hidden in an RFC 2047 encoded word
(``=?UTF-8?Q?=0A?=``), is refused, because Python's email package has been seen to
serialize such a subject as a separate header line (header injection).
"""

from __future__ import annotations

import csv
import hashlib
import io
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses
from pathlib import Path
from urllib.parse import quote

from markupsafe import escape

from ..config import SendSettings
from ..errors import ConfigError, SendError
from ..model import Draft
from ..window import describe
from .journal import Recipient

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters but TAB, and whatever str.splitlines() takes for a line break."""
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)(["'])([^"']+)\2""", re.IGNORECASE)
POLICY = SMTP.clone(refold_source="none")
"""SMTP line endings; raw header values (the list URLs) are never refolded."""
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def check_header_text(value: str, what: str) -> str:
    """Return ``value`` if no control character hides in it, raw or RFC 2047-encoded."""
    if _CONTROL.search(value):
        raise SendError(f"{what} {value!r} contains a line break or control character")
    if "=?" in value:
        try:
            decoded = "".join(
                part.decode(charset or "ascii", "replace") if isinstance(part, bytes) else part
                for part, charset in decode_header(value)
            )
        except (LookupError, ValueError) as error:
            raise SendError(f"{what} {value!r} has a malformed encoded word: {error}") from None
        if _CONTROL.search(decoded):
            raise SendError(
                f"{what} {value!r} hides a line break or control character in an "
                "encoded word (=?…?=)"
            )
    return value


def parse_address(value: str, what: str) -> Recipient:
    """One ``Name <a@b>`` or ``a@b`` as (address, name), or a SendError saying why."""
    check_header_text(value, what)
    found = getaddresses([value])
    if len(found) != 1 or not found[0][1]:
        raise SendError(f"{what} {value!r} is not one email address")
    name, address = found[0]
    return check_address(address, what), check_header_text(name, f"{what} name")


def check_address(address: str, what: str) -> str:
    check_header_text(address, what)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or not address.isascii() or " " in address:
        raise SendError(f"{what} {address!r} is not an ASCII address like name@example.org")
    return address


def read_subscribers(path: Path) -> list[Recipient]:
    """Recipients from a CSV of ``email,name`` (a header row is optional); every bad
    line is reported, with its number, at once."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(str(path), [f"cannot read the subscribers file: {error}"]) from None
    recipients: list[Recipient] = []
    problems: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if number == 1 and row[0].strip().lower() in {"email", "address", "e-mail"}:
            continue
        email = row[0].strip()
        name = row[1].strip() if len(row) > 1 else ""
        try:
            recipients.append((check_address(email, "address"), check_header_text(name, "name")))
        except SendError as error:
            problems.append(f"line {number}: {error}")
    if problems:
        raise ConfigError(str(path), problems)
    return recipients


def unique(recipients: list[Recipient]) -> list[Recipient]:
    """The first of each address, compared case-insensitively, in order."""
    seen: set[str] = set()
    kept = []
    for email, name in recipients:
        if email.lower() not in seen:
            seen.add(email.lower())
            kept.append((email, name))
    return kept


def subject_for(template: str, draft: Draft) -> str:
    values = {"title": draft.title, "window": describe(draft.window), "issue": draft.issue}
    try:
        subject = template.format_map(values)
    except (KeyError, ValueError, IndexError) as error:
        raise SendError(
            f"send.subject {template!r}: {error}; use {{title}}, {{window}} or {{issue}}"
        ) from None
    # One line of words: a header's leading space does not survive the trip (" 0 "
    # arrived as "0 "), so spaces are folded here, after the check for control characters.
    return " ".join(check_header_text(subject, "subject").split())


@dataclass
class Issue:
    """What every recipient's message of an issue shares."""

    issue: str
    subject: str
    text: str
    html: str
    sender: Recipient
    settings: SendSettings
    archive_url: str
    images: dict[str, tuple[str, bytes]]
    """cid -> (MIME type, bytes) of each workspace image the HTML shows."""
    round: int = 1
    personal_link: tuple[str, Callable[[str], str]] | None = None
    """The unsubscribe link as rendered, and how to make it one recipient's own."""
    _body: list[EmailMessage] = field(default_factory=list, repr=False)

    def body(self, email: str) -> list[EmailMessage]:
        """The text and HTML parts. Encoded once and shared by every recipient's message
        (quoted-printable encoding is most of the cost of building one), unless the
        unsubscribe link names the recipient."""
        if self.personal_link is not None:
            generic, personal = self.personal_link
            own = personal(email)
            if own != generic:
                text = self.text.replace(generic, own)
                html = self.html.replace(str(escape(generic)), str(escape(own)))
                return self._encode(text, html)
        if not self._body:
            self._body = self._encode(self.text, self.html)
        return self._body

    def _encode(self, text_body: str, html_body: str) -> list[EmailMessage]:
        text = EmailMessage(policy=POLICY)
        text.set_content(text_body, subtype="plain", charset="utf-8", cte="quoted-printable")
        html = EmailMessage(policy=POLICY)
        html.set_content(html_body, subtype="html", charset="utf-8", cte="quoted-printable")
        for cid, (mime, data) in self.images.items():
            maintype, _, subtype = mime.partition("/")
            html.add_related(data, maintype, subtype, cid=f"<{cid}>")
        for part in (text, html):
            del part["MIME-Version"]  # belongs on the message, not on its parts
        return [text, html]

    @property
    def domain(self) -> str:
        return self.sender[0].rpartition("@")[2]

    def message_id(self, recipient: str, test: bool = False) -> str:
        """Stable per (issue, recipient): a re-sent duplicate is recognisable as one."""
        digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:16]
        kind = ".test" if test else (f".r{self.round}" if self.round > 1 else "")
        return f"<{self.issue}{kind}.{digest}@{self.domain}>"


def prepare(
    draft: Draft,
    text: str,
    html: str,
    settings: SendSettings,
    workspace: Path,
    archive_url: str,
) -> Issue:
    """Check every shared header value and embed the workspace images the HTML shows."""
    sender = parse_address(settings.from_, "send.from")
    if settings.reply_to:
        parse_address(settings.reply_to, "send.reply_to")
    if settings.unsubscribe_mailto:
        check_address(settings.unsubscribe_mailto.removeprefix("mailto:"), "unsubscribe")
    for what, value in (
        ("send.list_id", settings.list_id),
        ("send.unsubscribe_url", settings.unsubscribe_url),
        ("archive url", archive_url),
        ("title", draft.title),
    ):
        check_header_text(value, what)
    if settings.unsubscribe_url and not settings.unsubscribe_url.startswith("https://"):
        raise SendError(f"send.unsubscribe_url {settings.unsubscribe_url!r} must be https://")
    html, images = _embed_images(html, workspace, sender[0].rpartition("@")[2])
    return Issue(
        issue=draft.issue,
        subject=subject_for(settings.subject, draft),
        text=text,
        html=html,
        sender=sender,
        settings=settings,
        archive_url=archive_url,
        images=images,
    )


def _embed_images(
    html: str, workspace: Path, domain: str
) -> tuple[str, dict[str, tuple[str, bytes]]]:
    images: dict[str, tuple[str, bytes]] = {}
    root = workspace.resolve()

    def replace(match: re.Match[str]) -> str:
        src = match.group(3)
        if _REMOTE.match(src):
            return match.group(0)
        path = (root / src).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise SendError(f"the HTML shows the image {src!r}, which is not a file in {root}")
        data = path.read_bytes()
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        cid = f"img-{hashlib.sha256(data).hexdigest()[:16]}@{domain}"
        images[cid] = (mime, data)
        return f"{match.group(1)}{match.group(2)}cid:{cid}{match.group(2)}"

    return _IMG_SRC.sub(replace, html), images


def build(issue: Issue, recipient: Recipient, when: datetime, test: bool = False) -> EmailMessage:
    """The message for one recipient; ``test`` prefixes the subject with ``[TEST]``."""
    settings = issue.settings
    email, name = recipient
    check_address(email, "recipient")
    check_header_text(name, "recipient name")
    msg = EmailMessage(policy=POLICY)
    msg["From"] = _address(issue.sender)
    msg["To"] = _address(recipient)
    if settings.reply_to:
        msg["Reply-To"] = _address(parse_address(settings.reply_to, "send.reply_to"))
    msg["Subject"] = ("[TEST] " if test else "") + issue.subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = issue.message_id(email, test)
    if settings.list_id:
        msg["List-Id"] = f"{_phrase(issue.settings, issue)} <{settings.list_id}>"
    if issue.archive_url:
        _url_header(msg, "List-Archive", [issue.archive_url])
    unsubscribe = []
    if settings.unsubscribe_mailto:
        mailto = settings.unsubscribe_mailto.removeprefix("mailto:")
        unsubscribe.append(f"mailto:{mailto}?subject=unsubscribe")
    if settings.unsubscribe_url:
        unsubscribe.append(settings.unsubscribe_url.replace("{email}", quote(email)))
    if unsubscribe:
        _url_header(msg, "List-Unsubscribe", unsubscribe)
    if settings.unsubscribe_url:
        # RFC 8058: a POST to the https URL unsubscribes without a confirmation page.
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["MIME-Version"] = "1.0"
    msg.make_alternative()
    for part in issue.body(email):
        msg.attach(part)
    return msg


def _url_header(msg: EmailMessage, name: str, urls: list[str]) -> None:
    """Set an RFC 2369 header of ``<url>``s, one per line, exactly as written.

    The email package would turn a URL longer than a line into an RFC 2047 encoded
    word, which no mail client reads as a URL; a raw value is emitted untouched under
    ``refold_source="none"``."""
    for url in urls:
        check_header_text(url, name)
        if not url.isascii() or any(c in url for c in " <>,") or len(url) > 900:
            raise SendError(f"{name}: {url!r} is not a plain ASCII URL")
    msg.set_raw(name, ",\n ".join(f"<{url}>" for url in urls))


def _phrase(settings: SendSettings, issue: Issue) -> str:
    # List-Id's description is a phrase; the sender's display name is the natural one.
    name = issue.sender[1] or settings.list_id
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _address(recipient: Recipient) -> str:
    email, name = recipient
    return str(Address(display_name=name, addr_spec=email)) if name else email
