"""mbox archives (plain or gzip) as a stream of messages, one at a time.

Shared by the providers that read mail (``mailing_lists``, ``inbox``). Memory stays flat
however large the archive: the stream is read in fixed-size chunks and split on
``From `` separator lines, and each message is cut at ``max_message`` bytes (flagged
``truncated``). A ``From `` line counts as a separator only when it looks like an mbox
envelope (a sender, then a date with a time and a year): an unescaped "From what I
see…" inside a body stays in that body. Time is bounded too: an archive stops at
``max_size`` bytes, counted after decompression (:class:`ArchiveTooLarge`).
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
MAX_ARCHIVE = 256 << 20
"""Bytes of one archive read, counted after decompression: 12 MB of gzip can hold
2.3 GB of mail (1.5 million messages)."""

_SEPARATOR = b"\nFrom "
_QUOTED_FROM = re.compile(rb"(?m)^>(>*From )")
# A sender, a time, then a year. The first time is taken for good (possessive, atomic):
# "From x 1:11 1:11 …" with no year would otherwise be tried from every time on it,
# quadratic in a line that is often a body's (pipermail leaves body "From " unquoted).
_ENVELOPE = re.compile(rb"^From \S++(?>.*?\d{1,2}:\d{2}).*\d{4}")
MAX_ENVELOPE = 1000
"""Bytes of a ``From `` line looked at, and kept as a message's envelope."""


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


class ArchiveTooLarge(Exception):
    """An archive holds more than the cap once decompressed; what came before was read."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        super().__init__(f"larger than {cap / (1 << 20):g} MiB once decompressed")


class _Capped(io.RawIOBase):
    """The first ``cap`` bytes of ``stream``; reading past them raises
    :class:`ArchiveTooLarge` if there is more. Seeks (:func:`reread`) go through."""

    def __init__(self, stream: Seekable, cap: int, *closing: io.IOBase) -> None:
        self.stream = stream
        self.cap = cap
        self.at = 0
        self.closing = [stream, *closing]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        room = self.cap - self.at
        if room <= 0:
            if self.stream.read(1):
                raise ArchiveTooLarge(self.cap)
            return b""
        data = self.stream.read(room if size < 0 else min(size, room))
        self.at += len(data)
        return data

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self.at = self.stream.seek(offset, whence)
        return self.at

    def tell(self) -> int:
        return self.at

    def close(self) -> None:
        for stream in self.closing:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        super().close()


def open_archive(content: bytes, max_size: int = MAX_ARCHIVE) -> BinaryIO:
    """A binary stream over an archive's bytes, decompressed on the fly if gzipped; it
    raises :class:`ArchiveTooLarge` once more than ``max_size`` bytes come out."""
    return open_stream(io.BytesIO(content), max_size)


def open_stream(handle: BinaryIO, max_size: int = MAX_ARCHIVE) -> BinaryIO:
    """``handle`` (a seekable binary file, at its start), decompressed on the fly if it
    holds gzip; it raises :class:`ArchiveTooLarge` once more than ``max_size`` bytes
    come out. Closing it does not close ``handle``."""
    start = handle.tell()
    magic = handle.read(2)
    handle.seek(start)
    if magic == b"\x1f\x8b":
        return cast(BinaryIO, _Capped(gzip.GzipFile(fileobj=handle, mode="rb"), max_size))
    return cast(BinaryIO, _Capped(_Unclosed(handle), max_size))


def open_path(path: str, max_size: int = MAX_ARCHIVE) -> BinaryIO:
    """A binary stream over an archive file, decompressed on the fly if gzipped; it
    raises :class:`ArchiveTooLarge` once more than ``max_size`` bytes come out."""
    handle = open(path, "rb")  # noqa: SIM115 - closed with the stream
    stream = open_stream(handle, max_size)
    cast(_Capped, stream).closing.append(handle)  # GzipFile leaves a file it was given open
    return stream


class _Unclosed:
    """A stream whose close leaves the file open (its owner closes it)."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def read(self, size: int = -1, /) -> bytes:
        return self.handle.read(size)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self.handle.seek(offset, whence)


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
            line = data[found + 1 : min(end, found + 1 + MAX_ENVELOPE)].rstrip(b"\r")
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
