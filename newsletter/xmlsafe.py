"""Make fetched XML safe to hand to a parser (feedparser, or any other).

Two checks, each one linear pass over the bytes, done before any parser sees them:

* **Entities.** A DOCTYPE that declares entities (an internal subset ``[...]``) is the
  vehicle of the billion-laughs bomb and of external entities naming local files
  (XXE); real feeds never need one, so such a document is refused with
  :class:`UnsafeXML`. A DOCTYPE without a subset (RSS 0.91's) is removed: it is only
  a reference to an external DTD that no one should fetch.
* **Name fields.** feedparser's author-email regex is quadratic in the length of an
  author field (its issue #562: 40,000 characters take 13 s), so the text of every
  element that can become an author (``author``, ``name``, ``email``, ``creator``,
  ``managingEditor``…) is cut at :data:`MAX_NAME` bytes before parsing.

Rule for providers: parse fetched XML as ``defuse(fetched.content)`` bytes, never as
a ``str`` (feedparser opens a string that looks like a path or URL), and turn
:class:`UnsafeXML` into a problem on the source.
"""

from __future__ import annotations

import re

MAX_NAME = 256
"""Bytes kept of the text of an author-like element."""

_ROOT = re.compile(rb"<[A-Za-z_:]")
_DOCTYPE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_NAME_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?"
    rb"(?:author|creator|name|email|managingEditor|webMaster|publisher|contributor|owner)"
    rb"(?:\s[^<>]{0,1000})?(?<!/)>"  # a start tag, not a self-closing one
)


_CHILD = re.compile(rb"\s*<(?!!\[CDATA\[)")


class UnsafeXML(ValueError):
    """The document was refused before parsing; the message says why."""


def defuse(content: bytes) -> bytes:
    """``content`` with its DOCTYPE removed and name fields cut, or :class:`UnsafeXML`."""
    return _cap_names(_without_doctype(content))


def _without_doctype(content: bytes) -> bytes:
    # In UTF-16/32 every ASCII character carries NUL bytes: look past them.
    probe = content.replace(b"\x00", b"") if b"\x00" in content[:4] else content
    root = _ROOT.search(probe)
    prolog = probe[: root.start()] if root else probe
    doctype = _DOCTYPE.search(prolog)
    if doctype is None:
        return content
    end = prolog.find(b">", doctype.end())
    declaration = prolog[doctype.start() : end + 1 if end >= 0 else len(prolog)]
    if b"[" in declaration or b"<!ENTITY" in prolog.upper():
        raise UnsafeXML(
            "refused: its DOCTYPE declares entities (entity expansion or external entities)"
        )
    if probe is not content:
        raise UnsafeXML("refused: a DOCTYPE in a UTF-16/32 document")
    return content[: doctype.start()] + content[doctype.start() + len(declaration) :]


def _cap_names(content: bytes) -> bytes:
    # A loop rather than one regex: each byte is looked at a bounded number of times,
    # whatever the document (a lazy ``.*?</`` would rescan to the end for every
    # start tag of a document that never closes one).
    parts: list[bytes] = []
    position = 0
    while match := _NAME_TAG.search(content, position):
        text_start = match.end()
        # A container such as Atom's <author><name>: its children are checked instead.
        nested = _CHILD.match(content, text_start) is not None
        if nested or content.find(b"</", text_start, text_start + MAX_NAME + 2) >= 0:
            parts.append(content[position:text_start])
            position = text_start
            continue
        close = content.find(b"</", text_start)
        parts.append(content[position : text_start + MAX_NAME])
        if content.startswith(b"<![CDATA[", text_start):
            parts.append(b"]]>")
        position = close if close >= 0 else len(content)
    parts.append(content[position:])
    return b"".join(parts)
