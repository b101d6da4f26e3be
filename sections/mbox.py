"""mbox archives (plain or gzip) as a stream of messages, one at a time.

Shared by the providers that read mail (``mailing_lists``, ``inbox``). Memory stays flat
however large the archive: the stream is read in fixed-size chunks and split on
``From `` separator lines, and each message is cut at ``max_message`` bytes. A ``From ``
line counts as a separator only when it looks like an mbox envelope (a sender, then a
date with a time and a year): an unescaped "From what I see…" inside a body stays in
that body.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, cast

CHUNK = 1 << 20
MAX_MESSAGE = 1 << 20
"""Bytes of one message kept; the rest (huge attachments) is dropped unread."""

_SEPARATOR = b"\nFrom "
_QUOTED_FROM = re.compile(rb"(?m)^>(>*From )")
_ENVELOPE = re.compile(rb"^From \S+.*\d{1,2}:\d{2}(?::\d{2})?.*\d{4}")


class Readable(Protocol):
    """A binary stream: a file, ``io.BytesIO``, ``gzip.GzipFile``…"""

    def read(self, size: int = -1, /) -> bytes: ...


class Seekable(Readable, Protocol):
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


@dataclass(frozen=True)
class RawMessage:
    """One message as split from the archive: its envelope line and its bytes."""

    envelope: bytes
    data: bytes
    truncated: bool = False
    position: int = 0
    """Its place in the archive, from 0: pipermail numbers its pages in that order."""
    offset: int = 0
    """Where its bytes start in the (decompressed) stream, and how many there are: a
    seekable stream gives them again without splitting it anew (:func:`reread`)."""
    size: int = 0


def unquote_from(data: bytes) -> bytes:
    """A message's bytes with mbox's ``>From `` quoting (mboxrd) undone."""
    return _QUOTED_FROM.sub(rb"\1", data)


def open_archive(content: bytes) -> io.BufferedIOBase:
    """A binary stream over an archive's bytes, decompressed on the fly if gzipped."""
    raw = io.BytesIO(content)
    if content[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    return raw


def open_stream(handle: BinaryIO) -> BinaryIO:
    """``handle`` (a seekable binary file, at its start), decompressed on the fly if it
    holds gzip."""
    start = handle.tell()
    magic = handle.read(2)
    handle.seek(start)
    if magic == b"\x1f\x8b":
        return cast(BinaryIO, gzip.GzipFile(fileobj=handle, mode="rb"))
    return handle


def open_path(path: str) -> io.BufferedIOBase:
    """A binary stream over an archive file, decompressed on the fly if gzipped."""
    handle = open(path, "rb")  # noqa: SIM115 - the caller closes the stream
    if handle.read(2) == b"\x1f\x8b":
        handle.seek(0)
        return gzip.GzipFile(fileobj=handle, mode="rb")
    handle.seek(0)
    return handle


def split_mbox(
    stream: Readable, chunk_size: int = CHUNK, max_message: int = MAX_MESSAGE
) -> Iterator[RawMessage]:
    """Yield each message of an mbox stream; memory is one chunk plus one message."""
    current: _Collector | None = None
    count = 0
    data = b"\n"  # so a separator on the very first line is found like any other
    base = -1  # where data[0] is in the stream (the "\n" above is not in it)
    eof = False
    while not eof:
        chunk = stream.read(chunk_size)
        eof = not chunk
        data += chunk
        position = search = 0
        pending: int | None = None
        while (found := data.find(_SEPARATOR, search)) >= 0:
            end = data.find(b"\n", found + 1)
            if end < 0:
                if not eof and len(data) - found < 4096:
                    pending = found  # the line goes on in the next chunk
                    break
                end = len(data)
            search = found + 1
            line = data[found + 1 : end].rstrip(b"\r")
            if not _ENVELOPE.match(line):
                continue
            if current is not None:
                current.add(data[position:found])
                yield current.message()
            current = _Collector(line, max_message, count, base + end + 1)
            count += 1
            position = search = end + 1
        # Keep back what may be the start of a separator cut in two by the chunk.
        if eof:
            keep_from = len(data)
        elif pending is not None:
            keep_from = pending
        else:
            keep_from = max(position, len(data) - len(_SEPARATOR) + 1)
        if current is not None:
            current.add(data[position:keep_from])
        data = data[keep_from:]
        base += keep_from
    if current is not None:
        yield current.message()


class _Collector:
    """The pieces of one message, cut at ``limit`` bytes."""

    def __init__(self, envelope: bytes, limit: int, position: int, offset: int) -> None:
        self.envelope = envelope
        self.limit = limit
        self.position = position
        self.offset = offset
        self.parts: list[bytes] = []
        self.size = 0
        self.total = 0
        self.truncated = False

    def add(self, piece: bytes) -> None:
        self.total += len(piece)
        room = self.limit - self.size
        if len(piece) > room:
            self.truncated = True
            piece = piece[: max(room, 0)]
        if piece:
            self.parts.append(piece)
            self.size += len(piece)

    def message(self) -> RawMessage:
        data = b"".join(self.parts)
        return RawMessage(
            self.envelope, data, self.truncated, self.position, self.offset, self.total
        )


def reread(stream: Seekable, message: RawMessage, max_message: int = MAX_MESSAGE) -> RawMessage:
    """``message`` again, its bytes read from where :func:`split_mbox` found them in
    ``stream`` (the same stream, seekable), cut at ``max_message`` as they were."""
    stream.seek(message.offset)
    data = stream.read(min(message.size, max_message))
    return RawMessage(
        message.envelope, data, message.size > max_message, message.position,
        message.offset, message.size,
    )  # fmt: skip
