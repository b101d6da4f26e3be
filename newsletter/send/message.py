"""Build the email of an issue: one ``multipart/alternative`` message per recipient.

Every value that reaches a header — the subject, names, addresses — is checked first:
CR, LF or another control character, raw or hidden in an RFC 2047 encoded word
(``=?UTF-8?Q?=0A?=``), is refused, because Python's email package has been seen to
serialize such a subject as a separate header line (header injection).
"""

from __future__ import annotations

import base64
import binascii
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

from ..config import ListAddress, SendSettings
from ..errors import ConfigError, SendError
from ..model import Draft
from ..window import describe
from .journal import Kind, Recipient

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters but TAB, and whatever str.splitlines() takes for a line break."""
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)(["'])([^"']+)\2""", re.IGNORECASE)
POLICY = SMTP.clone(refold_source="none")
"""SMTP line endings; raw header values (the list URLs) are never refolded."""
UTF8_POLICY = POLICY.clone(utf8=True)
"""For a message to or from an internationalized address: headers in UTF-8 (RFC 6532),
which only a server offering SMTPUTF8 accepts."""
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
_LINE_END = re.compile(r"\r\n|\r|\n")
ALTERNATIVE = "=_alternative"
RELATED = "=_related"
"""MIME boundaries: '=_' cannot occur in quoted-printable or base64 content."""


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


def parse_address(value: str, what: str, kind: Kind = "subscriber") -> Recipient:
    """One ``Name <a@b>`` or ``a@b`` as a recipient, or a SendError saying why."""
    check_header_text(value, what)
    found = getaddresses([value])
    if len(found) != 1 or not found[0][1]:
        raise SendError(f"{what} {value!r} is not one email address")
    name, address = found[0]
    return Recipient(check_address(address, what), check_header_text(name, f"{what} name"), kind)


def check_address(address: str, what: str) -> str:
    """``address`` checked by email-validator (RFC 5321/5322 syntax, IDNA domains) and
    normalized: the domain in its ASCII (IDNA) form, so only an address whose local part
    is not ASCII needs the server's SMTPUTF8; or a SendError saying what is wrong."""
    check_header_text(address, what)
    from email_validator import EmailNotValidError, validate_email

    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        raise SendError(f"{what} {address!r} is not an email address: {error}") from None
    return valid.ascii_email or valid.normalized


def needs_utf8(address: str) -> bool:
    """Whether ``address`` (as :func:`check_address` returns it) can travel only with
    SMTPUTF8: its local part is not ASCII."""
    return not address.isascii()


@dataclass
class Subscribers:
    """The subscribers file read: who to send to, and each line that was skipped."""

    recipients: list[Recipient]
    skipped: list[str]
    """``file:line: why`` for each line that is not a usable address."""


def read_subscribers(path: Path, shown_as: str = "") -> Subscribers:
    """Recipients from a CSV of ``email,name`` (a header row is optional). A line that
    is not a usable address is skipped and named (``subscribers.csv:7: …``), so one
    typo never stops a send, nor stops it halfway."""
    where = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(where, [f"cannot read the subscribers file: {error}"]) from None
    found = Subscribers([], [])
    reader = csv.reader(io.StringIO(text))
    last = 0
    while True:
        try:
            row = next(reader, None)
        except csv.Error as error:
            raise ConfigError(where, [f"line {reader.line_num}: not CSV: {error}"]) from None
        if row is None:
            break
        number, last = last + 1, reader.line_num
        if last > number:  # a quote left open swallowed the lines after it
            found.skipped.append(
                f"{where}:{number}-{last}: a quote opened on line {number} is not closed "
                "on it; these lines were skipped"
            )
            continue
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if number == 1 and row[0].strip().lower() in {"email", "address", "e-mail"}:
            continue
        email = row[0].strip()
        name = row[1].strip() if len(row) > 1 else ""
        try:
            found.recipients.append(
                Recipient(check_address(email, "address"), check_header_text(name, "name"))
            )
        except SendError as error:
            found.skipped.append(f"{where}:{number}: {error}; skipped")
    return found


def unique(recipients: list[Recipient]) -> list[Recipient]:
    """The first of each address, compared case-insensitively, in order."""
    seen: set[str] = set()
    kept = []
    for recipient in recipients:
        if recipient.address.lower() not in seen:
            seen.add(recipient.address.lower())
            kept.append(recipient)
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
    no_images: frozenset[str] = frozenset()
    """Sections whose images are off, for the checks run before sending."""
    personal_link: tuple[str, Callable[[str], str]] | None = None
    """The unsubscribe link as rendered, and how to make it one recipient's own."""
    list_unsubscribe: dict[str, list[str]] = field(default_factory=dict)
    """A list address (lower case) -> the list's own unsubscribe URLs."""
    _shared: bytes = field(default=b"", repr=False)
    _images: bytes = field(default=b"", repr=False)

    def body(self, recipient: Recipient) -> bytes:
        """The ``multipart/alternative`` body (text, then HTML with its images) after
        the top-level headers. Encoded once and shared by every recipient's message,
        unless the unsubscribe link names the recipient; a list's copy keeps the
        generic link, which reaches every member."""
        if self.personal_link is not None and recipient.kind == "subscriber":
            generic, personal = self.personal_link
            own = personal(recipient.address)
            if own != generic:
                text = self.text.replace(generic, own)
                html = self.html.replace(str(escape(generic)), str(escape(own)))
                return self._encode(text, html)
        if not self._shared:
            self._shared = self._encode(self.text, self.html)
        return self._shared

    def _encode(self, text: str, html: str) -> bytes:
        # Assembled by hand rather than with email.generator: with binascii's C encoder
        # a recipient's copy costs a few times less, which a large list pays per address.
        # No boundary can occur inside: "=_" never appears in quoted-printable or base64.
        html_part = _text_part("html", html)
        if self.images:
            if not self._images:
                self._images = b"".join(
                    _delimiter(RELATED) + _image_part(cid, mime, data)
                    for cid, (mime, data) in self.images.items()
                )
            html_part = (
                f'Content-Type: multipart/related; boundary="{RELATED}"\r\n\r\n'.encode()
                + _delimiter(RELATED)
                + html_part
                + self._images
                + _close(RELATED)
            )
        return (
            _delimiter(ALTERNATIVE)
            + _text_part("plain", text)
            + _delimiter(ALTERNATIVE)
            + html_part
            + _close(ALTERNATIVE)
        )

    @property
    def domain(self) -> str:
        return self.sender.address.rpartition("@")[2]

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
    list_unsubscribe = {}
    for entry in settings.to:
        if isinstance(entry, ListAddress) and entry.unsubscribe:
            address = parse_address(entry.address, "send.to").address
            for url in entry.unsubscribe:
                if not url.startswith(("mailto:", "https://")):
                    raise SendError(
                        f"send.to {address}: unsubscribe {url!r} must be a mailto: or https:// URL"
                    )
            list_unsubscribe[address.lower()] = entry.unsubscribe
    html, images = _embed_images(
        html, workspace, sender.address.rpartition("@")[2], embeddable(workspace, settings)
    )
    return Issue(
        issue=draft.issue,
        subject=subject_for(settings.subject, draft),
        text=text,
        html=html,
        sender=sender,
        settings=settings,
        archive_url=archive_url,
        images=images,
        list_unsubscribe=list_unsubscribe,
    )


TEMPLATES_DIR = "templates"


def embeddable(workspace: Path, settings: SendSettings) -> frozenset[Path]:
    """The only files a message may carry: those ``[send] embed`` names and the images
    of the workspace's own ``templates/`` — what the workspace's owner put there, never
    a path that came from content (a feed's ``<img src="subscribers.csv">``)."""
    root = workspace.resolve()
    named = {(root / name).resolve() for name in settings.embed}
    templates = root / TEMPLATES_DIR
    if templates.is_dir():
        named |= {path.resolve() for path in templates.rglob("*") if path.is_file()}
    return frozenset(path for path in named if path.is_relative_to(root))


def _embed_images(
    html: str, workspace: Path, domain: str, allowed: frozenset[Path]
) -> tuple[str, dict[str, tuple[str, bytes]]]:
    images: dict[str, tuple[str, bytes]] = {}
    root = workspace.resolve()

    def replace(match: re.Match[str]) -> str:
        src = match.group(3)
        if _REMOTE.match(src):
            return match.group(0)
        path = (root / src).resolve()
        if path not in allowed or not path.is_file():
            raise SendError(
                f"the HTML shows the image {src!r}, which is not an image of the "
                f"workspace's {TEMPLATES_DIR}/ nor named by [send] embed; only those are "
                "attached"
            )
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if not mime.startswith("image/"):
            raise SendError(f"the HTML shows {src!r} as an image, but it is {mime}")
        data = path.read_bytes()
        cid = f"img-{hashlib.sha256(data).hexdigest()[:16]}@{domain}"
        images[cid] = (mime, data)
        return f"{match.group(1)}{match.group(2)}cid:{cid}{match.group(2)}"

    return _IMG_SRC.sub(replace, html), images


def build(issue: Issue, recipient: Recipient, when: datetime, test: bool = False) -> bytes:
    """The message for one recipient, as sent; ``test`` prefixes the subject with
    ``[TEST]``.

    A subscriber's copy carries its own unsubscribe link (One-Click, RFC 8058); a list's
    copy carries the list's headers and the list's own unsubscribe, never a link that
    would unsubscribe the list address itself when any member presses the button."""
    settings = issue.settings
    email = check_address(recipient.address, "recipient")
    check_header_text(recipient.name, "recipient name")
    utf8 = needs_utf8(email) or needs_utf8(issue.sender.address)
    msg = EmailMessage(policy=UTF8_POLICY if utf8 else POLICY)
    msg["From"] = _address(issue.sender)
    msg["To"] = _address(recipient)
    if settings.reply_to:
        msg["Reply-To"] = _address(parse_address(settings.reply_to, "send.reply_to"))
    msg["Subject"] = ("[TEST] " if test else "") + issue.subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = issue.message_id(email, test)
    if settings.list_id:
        msg["List-Id"] = f"{_phrase(issue)} <{settings.list_id}>"
    if issue.archive_url:
        _url_header(msg, "List-Archive", [issue.archive_url])
    if recipient.kind == "list":
        if email.isascii():
            _url_header(msg, "List-Post", [f"mailto:{email}"])
        own = issue.list_unsubscribe.get(email.lower())
        if own:
            _url_header(msg, "List-Unsubscribe", own)
    else:
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
    msg["Content-Type"] = f'multipart/alternative; boundary="{ALTERNATIVE}"'
    head = b"".join(msg.policy.fold_binary(name, value) for name, value in msg.raw_items())
    return head + b"\r\n" + issue.body(recipient)


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


def _phrase(issue: Issue) -> str:
    # List-Id's description is a phrase; the sender's display name is the natural one.
    return _quoted(issue.sender.name or issue.settings.list_id)


def _address(recipient: Recipient) -> str:
    if not recipient.name:
        return recipient.address
    if needs_utf8(recipient.address):  # Address() refuses a non-ASCII local part
        return f"{_quoted(recipient.name)} <{recipient.address}>"
    return str(Address(display_name=recipient.name, addr_spec=recipient.address))


def _quoted(phrase: str) -> str:
    return '"' + phrase.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _delimiter(boundary: str) -> bytes:
    return f"--{boundary}\r\n".encode()


def _close(boundary: str) -> bytes:
    return f"--{boundary}--\r\n".encode()


def _text_part(subtype: str, content: str) -> bytes:
    data = _LINE_END.sub("\r\n", content)
    if not data.endswith("\r\n"):
        data += "\r\n"  # also makes the encoder break lines with CRLF, as SMTP wants
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + binascii.b2a_qp(data.encode("utf-8"), istext=True)


def _image_part(cid: str, mime: str, data: bytes) -> bytes:
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (
        f"Content-Type: {mime}\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: inline\r\nContent-ID: <{cid}>\r\n\r\n"
    ).encode() + encoded
