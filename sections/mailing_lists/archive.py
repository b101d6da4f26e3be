"""The messages of a mail archive, as threading and ranking need them.

The archive is split by :mod:`..mbox` (streamed, each message capped); only each
message's header block is parsed unless its body is asked for.

A message that cannot be used (no headers, no date anywhere) is not fatal: ``read``
yields it as a :class:`Skipped` with the reason, and the caller counts it.

A message without a Date header is dated by its envelope line (``From sender Mon Jun 27
17:03:12 2011``), which mbox writers — Mailman's pipermail among them — put in the
archive's *local* time: it is read in the archive's zone when one is given, else at the
UTC offset the archive's other messages show between their envelope and their Date
(the latest seen; a Date-less message met before any is held until one is).
"""

from __future__ import annotations

import binascii
import email.utils
import functools
import hashlib
import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from sys import intern

from ..mbox import CHUNK, MAX_MESSAGE, RawMessage, Readable, split_mbox

MAX_HEADER_LINES = 300
"""Header lines parsed per message; spam with thousands of Received lines is cut."""
MAX_HELD = 10_000
"""Date-less messages held while the archive's UTC offset is not known yet; past this
many, they are read as UTC."""
_OFFSETS_KEPT = 25
"""Envelope-to-Date offsets remembered; the most common of them is the archive's."""
_MAX_OFFSET = timedelta(hours=14)
MAX_HEADER = 4096
"""Characters of a Subject or From decoded; the rest of a longer one is dropped."""
MAX_REFERENCES = 100
"""Ids of ``References`` kept, and used by threading, the last ones (JWZ's notes: the
end of the list is what links a message to its parent; a header of a megabyte of ids
must not cost more)."""

_ENVELOPE_DATE = re.compile(
    r"(\w{3})\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?.*?(\d{4})"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_OBFUSCATED = re.compile(r"\b([\w.+-]+) at ([\w-]+(?:\.[\w-]+)+)\b")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_RFC5322_DATE = re.compile(
    r"^(?:\w{3},\s*)?(\d{1,2})\s+(\w{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+([+-])(\d{2})(\d{2})"
)
_NAME_ADDR = re.compile(r'^\s*"?(?P<name>[^"<>()\\]*?)"?\s*<(?P<addr>[^<>\s"()]+@[^<>\s"()]+)>\s*$')
_ADDR_NAME = re.compile(
    r"^\s*<?(?P<addr>[^<>\s\"()]+@[^<>\s\"()]+)>?\s*(?:\((?P<name>[^()\\]*)\))?\s*$"
)
_MBOXRD_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_WANTED = frozenset(
    {b"from", b"subject", b"date", b"message-id", b"in-reply-to", b"references", b"archived-at"}
)
_BODY_PARSER = BytesParser(policy=policy.default)


@dataclass(frozen=True, slots=True)
class MailMessage:
    """What threading and ranking need of one message; the body is parsed on demand.

    Every message of an archive is kept while it is threaded, so they are small: slots,
    and the strings that repeat (ids in References, addresses, names, subjects) shared."""

    message_id: str
    subject: str
    name: str
    address: str
    date: datetime
    in_reply_to: str
    references: tuple[str, ...]
    archived_at: str = ""
    dated_by_envelope: bool = False
    """No usable Date header: ``date`` came from the envelope line."""

    @property
    def display_name(self) -> str:
        return self.name or self.address.split("@")[0]


@dataclass(frozen=True)
class Skipped:
    """A message that could not be used, and why (e.g. ``unparseable Date``)."""

    reason: str


def read(
    stream: Readable,
    chunk_size: int = CHUNK,
    max_message: int = MAX_MESSAGE,
    zone: tzinfo | None = None,
) -> Iterator[tuple[RawMessage, MailMessage | Skipped]]:
    """Split ``stream`` and parse each message's headers.

    ``zone`` is the archive's local time zone, for dates taken from envelope lines;
    without it the archive's own offset is learned (see the module docstring)."""
    clock = _EnvelopeClock(zone)
    held: list[tuple[RawMessage, MailMessage]] = []
    for raw in split_mbox(stream, chunk_size, max_message):
        parsed = parse_headers(raw)
        if not isinstance(parsed, MailMessage):
            yield raw, parsed
            continue
        if not parsed.dated_by_envelope:
            clock.learn(raw.envelope, parsed.date)
            if held and clock.known:
                yield from ((r, clock.localize(m)) for r, m in held)
                held.clear()
            yield raw, parsed
        elif clock.known or len(held) >= MAX_HELD:
            yield raw, clock.localize(parsed)
        else:
            held.append((raw, parsed))
    yield from ((r, clock.localize(m)) for r, m in held)


class _EnvelopeClock:
    """The archive's local time, for dates read from envelope lines."""

    def __init__(self, zone: tzinfo | None) -> None:
        self.zone = zone
        self.offsets: deque[timedelta] = deque(maxlen=_OFFSETS_KEPT)

    @property
    def known(self) -> bool:
        return self.zone is not None or bool(self.offsets)

    def learn(self, envelope: bytes, date: datetime) -> None:
        """Note the offset between a message's envelope (local) and its Date."""
        if self.zone is not None:
            return
        local = _envelope_time(envelope)
        if local is None:
            return
        # Delivery takes seconds to minutes: round to the quarter hour zones use.
        seconds = (local - date.astimezone(UTC).replace(tzinfo=None)).total_seconds()
        offset = timedelta(minutes=15 * round(seconds / 900))
        if abs(offset) <= _MAX_OFFSET:
            self.offsets.append(offset)

    def localize(self, message: MailMessage) -> MailMessage:
        """``message`` with its envelope date (read as UTC) moved to the archive's zone."""
        local = message.date.replace(tzinfo=None)
        if self.zone is not None:
            moment = local.replace(tzinfo=self.zone)
        elif self.offsets:
            offset = Counter(self.offsets).most_common(1)[0][0]
            moment = local.replace(tzinfo=timezone(offset))
        else:
            return message
        return replace(message, date=moment.astimezone(UTC))


def _header_block(data: bytes) -> bytes:
    end = data.find(b"\n\n")
    crlf = data.find(b"\r\n\r\n", 0, len(data) if end < 0 else end)
    if crlf >= 0 and (end < 0 or crlf < end):
        end = crlf
    block = data if end < 0 else data[:end]
    lines = block.split(b"\n", MAX_HEADER_LINES)
    return b"\n".join(lines[:MAX_HEADER_LINES])


def parse_headers(raw: RawMessage) -> MailMessage | Skipped:
    """The fields threading needs, decoded; a :class:`Skipped` when they are unusable."""
    block = _header_block(raw.data)
    if not block.strip() or b":" not in block.split(b"\n", 1)[0]:
        return Skipped("no headers")
    fields = _scan_headers(block)
    date = _date(fields.get("date"))
    by_envelope = date is None
    if date is None:
        local = _envelope_time(raw.envelope)
        date = local.replace(tzinfo=UTC) if local is not None else None
    if date is None:
        return Skipped("unparseable Date")
    subject = _decoded((fields.get("subject") or "")[:MAX_HEADER])
    name, address = _sender(_decoded((fields.get("from") or "")[:MAX_HEADER]))
    references = tuple(_ids(fields.get("references"))[-MAX_REFERENCES:])
    in_reply_to = next(iter(_ids(fields.get("in-reply-to"))), "")
    own_ids = _ids(fields.get("message-id"))
    message_id = own_ids[0] if own_ids else ""
    if not message_id:
        digest = hashlib.sha1(f"{address}\0{date.isoformat()}\0{subject}".encode()).hexdigest()
        message_id = f"<{digest[:20]}@missing-message-id>"
    archived_at = _decoded(fields.get("archived-at")).strip("<> ")
    return MailMessage(
        message_id=intern(message_id),
        subject=intern(subject),
        name=intern(name),
        address=intern(address),
        date=date,
        in_reply_to=intern(in_reply_to),
        references=tuple(map(intern, references)),
        archived_at=archived_at if archived_at.startswith(("http://", "https://")) else "",
        dated_by_envelope=by_envelope,
    )


def _scan_headers(block: bytes) -> dict[str, str]:
    """The first value of each wanted header, unfolded; the others are not even decoded.

    About three times faster than ``BytesHeaderParser``, which builds every header of
    the message only for us to read seven of them."""
    found: dict[bytes, bytes] = {}
    current = b""
    for line in block.split(b"\n"):
        first = line[:1]
        if first in {b" ", b"\t"}:
            if current:
                found[current] += b" " + line.strip()
            continue
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        current = key if key in _WANTED and key not in found else b""
        if current:
            found[key] = value.strip()
    return {key.decode("ascii"): _text(value) for key, value in found.items()}


def _text(value: bytes) -> str:
    """Header bytes as text: ASCII mostly; raw 8-bit is UTF-8, else Latin-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _decoded(value: str | None) -> str:
    """An RFC 2047 header as text, whatever its charsets claim (or its raw 8-bit bytes)."""
    if value is None:
        return ""
    text = value
    if "=?" not in text:  # no encoded words: skip decode_header's work
        return " ".join(text.split())
    fast = _decode_words(text)
    if fast is not None:
        return " ".join(fast.split())
    try:
        parts = decode_header(text)
    except Exception:
        return " ".join(text.split())
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        try:
            out.append(chunk.decode(charset or "utf-8"))
        except (LookupError, UnicodeDecodeError):
            # Unknown or wrong charset: UTF-8 if it fits, else Latin-1 never fails.
            try:
                out.append(chunk.decode("utf-8"))
            except UnicodeDecodeError:
                out.append(chunk.decode("latin-1"))
    return " ".join("".join(out).split())


def _decode_words(text: str) -> str | None:
    """Well-formed RFC 2047 words decoded quickly; ``None`` sends odd ones to the stdlib."""
    out: list[str] = []
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        if not (out and position and not between.strip()):  # space between words goes
            out.append(between)
        charset, encoding, payload = match.groups()
        try:
            if encoding in "qQ":
                data = binascii.a2b_qp(payload.encode("ascii"), header=True)
            else:
                data = binascii.a2b_base64(payload.encode("ascii") + b"===")
        except (binascii.Error, UnicodeEncodeError):
            return None
        try:
            out.append(data.decode(charset.split("*")[0]))
        except (LookupError, UnicodeDecodeError):
            return None
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def _sender(value: str) -> tuple[str, str]:
    """(display name, lower-case address), undoing pipermail's "user at host"."""
    if "@" not in value:
        value = _OBFUSCATED.sub(r"\1@\2", value)
    simple = _NAME_ADDR.match(value) or _ADDR_NAME.match(value)
    if simple:  # the common shapes, without parseaddr's slow general parser
        name, address = simple.group("name") or "", simple.group("addr")
    else:
        name, address = email.utils.parseaddr(value)
    if not address and value:
        address = value
    return " ".join(name.split()).strip("'\" "), address.lower()


def _ids(value: str | None) -> list[str]:
    if value is None:
        return []
    return re.findall(r"<[^<>\s]+>", str(value))


@functools.lru_cache(maxsize=256)
def _zone(offset: timedelta) -> timezone:
    """One tzinfo per UTC offset, shared by every date that has it."""
    return timezone(offset)


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    fast = _RFC5322_DATE.match(value)
    if fast:  # the usual shape, without the stdlib's general parser
        day, month, year, hour, minute, second, sign, off_h, off_m = fast.groups()
        try:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            moment = datetime(
                int(year), _MONTHS.index(month.lower()) + 1, int(day),
                int(hour), int(minute), int(second or 0),
                tzinfo=_zone(-offset if sign == "-" else offset),
            )  # fmt: skip
        except ValueError:
            moment = None
        if moment is not None and 1970 <= moment.year <= 2200:
            return moment
    try:
        moment = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment if 1970 <= moment.year <= 2200 else None


def _envelope_time(envelope: bytes) -> datetime | None:
    """The local time on the ``From sender Mon Jun 27 17:03:12 2011`` line (naive).

    public-inbox writes ``Thu Jan  1 00:00:00 1970`` on every message: no date."""
    match = _ENVELOPE_DATE.search(envelope.decode("latin-1"))
    if not match:
        return None
    _, month, day, hour, minute, second, year = match.groups()
    try:
        moment = datetime(
            int(year), _MONTHS.index(month.lower()) + 1, int(day),
            int(hour), int(minute), int(second or 0),
        )  # fmt: skip
    except ValueError:
        return None
    return moment if moment > datetime(1970, 1, 2) else None


def body_text(raw: RawMessage) -> tuple[str, bool]:
    """The message's readable text and whether it is HTML (HTML-only messages).

    Takes the first ``text/plain`` part; failing that the first ``text/html``. Wrong
    or unknown charsets decode leniently rather than fail."""
    data = _MBOXRD_FROM.sub(rb"\1", raw.data)
    try:
        message = _BODY_PARSER.parsebytes(data)
    except Exception:
        return "", False
    plain = html = None
    for part in _text_parts(message):
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    if plain is not None:
        return _part_text(plain), False
    if html is not None:
        return _part_text(html), True
    return "", False


def _text_parts(message: Message) -> Iterator[Message]:
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            continue
        if part.get_content_maintype() == "text":
            yield part


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("latin-1")
