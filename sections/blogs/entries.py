"""A feed's entries as the provider needs them, read as feedparser reads them — fast.

feedparser-rs has feedparser's API and sanitizing at ~20× the speed (bench/
bench_parse.py), but it is not feedparser. Run over feedparser's own well-formed test
suite (tests/test_feed_conformance.py), it misses what follows; :func:`read_feed` hands
such a feed to feedparser instead, so the fast path answers only where it is right:

* dates it cannot read (``Wed, 30 Sep 2026`` without a time, ``Thu Aug 30 2012 17:26:16
  +0200``…) and ``dcterms:issued/modified/created``, which it ignores;
* the HTTP ``charset`` of the response, which it ignores (mojibake);
* base64 and other encoded content types, which it returns undecoded;
* RSS ``xhtml:body``, ``body`` and ``fullitem`` content, which it ignores;
* entries it drops (RSS in a namespace of its own, unknown namespaces);
* titles holding escaped markup, which it sanitizes as HTML ("Why <blink> died").

Whichever parser answered, :func:`entries` turns its result into :class:`Entry`
records by the same rules: relative links resolved against ``xml:base`` and the feed's
final URL, author names without their e-mail addresses, and dates that neither parser
reads taken from the local-language reader in :mod:`.dates`.
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from newsletter import MAX_FIELD, clean_url, plain_text, split_url

from .dates import localized_date

FAST = "feedparser-rs"
MIN_YEAR, MAX_YEAR = 1970, 2200
"""Dates outside these years are misreadings, not posts."""
SLOW = "feedparser"

# feedparser-rs takes every RSS title as HTML and sanitizes it ("Why <blink> died" comes
# out "Why died"); feedparser keeps such a title as text.
_MARKUP_IN_TITLE = re.compile(
    rb"<title[^>]*>(?:[^<]*&(?:lt|#60|#x3c);|\s*<!\[CDATA\[[^\]]*<)", re.I
)
_RSS_BODY = re.compile(rb"<(?:[\w-]+:)?(?:body|fullitem)[\s>]")
_ENTRY_TAG = re.compile(rb"<(?:[\w-]+:)?(?:item|entry)[\s>/]")
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([\w.:-]{1,40})["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]{1,40})""", re.I)
# Atom text constructs feedparser-rs returns undecoded: base64, or a MIME type that is
# not text, HTML or XHTML.
_ENCODED = re.compile(
    rb"<(?:[\w-]+:)?(?:title|summary|content|subtitle|rights|tagline|info|copyright)\s[^>]{0,300}?"
    rb"""(?:mode\s*=\s*["']base64|type\s*=\s*["'](?!(?:text|html|xhtml|plain|text/plain|text/html|"""
    rb"""application/xhtml\+xml)["']))"""
)
_XML_BASE = b"xml:base"
# Elements that can date an entry: an entry left undated beside one of them was misread.
_DATE_TAG = re.compile(
    rb"<(?:[\w-]+:)?(?:pubDate|date|published|updated|issued|modified|created|dc:date)[\s>]"
)
_PREFIXED_AUTHOR = re.compile(rb"<[\w-]+:author[\s>]")
# "2004-07-08 23:56:58 +02:00": feedparser-rs reads the time and drops the offset.
_SPACED_ISO_OFFSET = re.compile(r"^\s*\d{4}-\d\d-\d\d\s+\d\d:\d\d\S*\s*[+-]\d\d:?\d\d\s*$")
# Parts bounded by their RFC 5321 lengths: unbounded, a long name without a domain made
# the search quadratic (a 200,000-character author took a minute).
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_DATE_FIELDS = ("published", "updated", "created")


@dataclass(frozen=True)
class Entry:
    """One post, parser-neutral; ``published`` is ``None`` when no date could be read."""

    title: str
    link: str
    published: datetime | None
    author: str
    summary_html: str
    base: str
    """What the summary's relative links are relative to."""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its title, its entries, and which parser read it."""

    title: str
    entries: list[Entry]
    """The entries asked for (``wanted``), in the feed's order."""
    parser: str
    why_slow: str = ""
    """Why the fast parser's answer was not used (empty when it was)."""
    error: str = ""
    """Why nothing could be read, when no entries came out of a broken document."""
    is_feed: bool = True
    """False for a document that parsed "cleanly" into nothing (an HTML page)."""
    total: int = 0
    """Entries in the document, wanted or not."""
    undated: list[str] = field(default_factory=list)
    """The date as written (``""`` if none) of each entry whose date could not be read."""
    unlinked: int = 0
    """Dated entries without a usable link."""


def read_feed(
    content: bytes,
    url: str,
    content_type: str = "",
    wanted: Callable[[datetime], bool] | None = None,
) -> Feed:
    """Parse ``content`` (defused feed bytes) fetched from ``url``.

    ``url`` is the final URL after redirects, the base of relative links;
    ``content_type`` the response's ``Content-Type`` (its charset is honoured). Only the
    entries whose date ``wanted`` accepts (all dated ones by default) are turned into
    :class:`Entry` records: most of a feed is older than the week, and its titles,
    links and authors need not be cleaned."""
    import feedparser_rs  # here, not at module level: listing providers stays fast

    why_slow = _needs_feedparser_before(content, content_type)
    parsed: Any = None
    if not why_slow:
        try:
            parsed = feedparser_rs.parse(content)
        except Exception:  # a crash in the fast parser must only cost speed
            why_slow = "feedparser-rs failed"
        else:
            read = [(entry, parsed_date(entry)) for entry in parsed.entries]
            why_slow = _needs_feedparser_after(content, parsed, read)
    parser = FAST
    if why_slow:
        import feedparser

        parser = SLOW
        # Bytes, never a str: feedparser would treat a string as a path or URL to open.
        parsed = feedparser.parse(
            content,
            response_headers={
                "content-location": url,
                "content-type": content_type or "application/xml",
            },
        )
    dated = [(entry, published(entry)) for entry in parsed.entries]
    found = entries(parsed, url, wanted, dated)
    error = ""
    if parsed.get("bozo") and not dated:
        error = str(parsed.get("bozo_exception") or "not an RSS or Atom feed")[:300]
    is_feed = bool(dated or parsed.get("version") or parsed.feed.get("title"))
    return Feed(
        title=plain_text(str(parsed.feed.get("title") or "")),
        entries=found,
        parser=parser,
        why_slow=why_slow,
        error=error,
        is_feed=is_feed,
        total=len(dated),
        undated=[date_text(entry)[:100] for entry, moment in dated if moment is None],
        # The link of an entry not wanted is not resolved: only looked at.
        unlinked=sum(1 for entry in found if not entry.link)
        + sum(
            1
            for entry, moment in dated
            if moment and wanted and not wanted(moment) and not _field(entry, "link")
        ),
    )


def _needs_feedparser_before(content: bytes, content_type: str) -> str:
    """Why feedparser-rs cannot read ``content`` right, seen before parsing; or ``""``."""
    if _MARKUP_IN_TITLE.search(content):
        return "a title holds escaped markup"
    declared = _CHARSET.search(content_type)
    if declared and _codec(declared.group(1)) != _document_codec(content):
        return f"the HTTP charset ({declared.group(1)}) differs from the document's"
    if _RSS_BODY.search(content):
        return "RSS body or fullitem content"
    if _ENCODED.search(content):
        return "encoded content (base64 or another type)"
    return ""


def _needs_feedparser_after(
    content: bytes, parsed: Any, read: list[tuple[Any, datetime | None]]
) -> str:
    """Why feedparser-rs's answer for ``content`` is not feedparser's; or ``""``.

    ``read`` holds each entry with the date feedparser-rs read (``None`` if none)."""
    items = parsed.entries
    if parsed.bozo and not items:
        return "feedparser-rs could not read it"
    if str(parsed.get("version") or "").startswith("json"):
        return ""  # JSON Feed: feedparser does not read it at all
    if len(items) < len(_ENTRY_TAG.findall(content)):
        return "feedparser-rs dropped entries"
    if _XML_BASE in content and str(parsed.get("version") or "").startswith("rss"):
        return "xml:base in RSS"  # feedparser-rs honours it only in Atom
    undated = anonymous = False
    for entry, moment in read:
        written = date_text(entry)
        if moment is None:
            if written:
                return "a date format feedparser-rs cannot read"
            undated = True
        elif " " in written and _SPACED_ISO_OFFSET.match(written):
            return "a date whose offset feedparser-rs drops"
        anonymous = anonymous or not entry.get("author")
    if undated and _DATE_TAG.search(content):
        return "date elements feedparser-rs does not read (dcterms, Atom's in RSS)"
    if anonymous and _PREFIXED_AUTHOR.search(content):
        return "author elements feedparser-rs does not read (dc:author)"
    return ""


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return f"unknown {name}"


def _document_codec(content: bytes) -> str:
    """The encoding the document declares (a BOM, then its XML declaration)."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if content.startswith(bom):
            return _codec(name)
    declared = _XML_ENCODING.match(content)
    return _codec(declared.group(1).decode("ascii")) if declared else _codec("utf-8")


def entries(
    parsed: Any,
    url: str,
    wanted: Callable[[datetime], bool] | None = None,
    dated: list[tuple[Any, datetime | None]] | None = None,
) -> list[Entry]:
    """The entries of a feedparser or feedparser-rs result, by one set of rules: all of
    them, or the dated ones ``wanted`` accepts (``dated``: each with its date, if known)."""
    feed = parsed.feed
    feed_author = author_name(feed)
    # RSS entries are relative to the site (the channel's link, itself relative to the
    # feed), as feed readers resolve them; Atom's carry their own xml:base.
    site = join(url, str(feed.get("link") or "")) or url
    found = []
    for entry, moment in dated or [(entry, published(entry)) for entry in parsed.entries]:
        if wanted is not None and (moment is None or not wanted(moment)):
            continue
        content = entry.get("content") or []
        detail = entry.get("summary_detail") or (content[0] if content else None)
        body = str(entry.get("summary") or (content[0].get("value") if content else "") or "")
        declared = str((detail.get("base") if detail is not None else "") or "")
        found.append(
            Entry(
                title=text_field(entry, "title"),
                link=_post_link(site, str(entry.get("link") or "")[:MAX_FIELD]),
                published=moment,
                author=author_name(entry) or feed_author,
                summary_html=body,
                base=join(url, declared) or url,
                tags=tuple(
                    sorted({str(t.get("term")) for t in entry.get("tags") or [] if t.get("term")})
                ),
            )
        )
    return found


def join(base: str, link: str) -> str:
    """``link`` made absolute against ``base``; ``""`` for no link or a malformed one."""
    link = link.strip()
    if not link:
        return ""
    try:
        return urljoin(base, link)
    except ValueError:  # "http://[broken" and other URLs urllib refuses
        return ""


def _post_link(site: str, link: str) -> str:
    """A post's link, absolute and without tracking parameters; ``""`` if malformed."""
    link = link.strip()
    try:
        # Most links are absolute already: urljoin would return them unchanged.
        absolute = link if link.startswith(("https://", "http://")) else join(site, link)
        split_url(absolute)
        return clean_url(absolute) if absolute else ""
    except ValueError:  # "http://[broken", a port past 65535: URLs urllib refuses
        return ""


def text_field(entry: Any, name: str) -> str:
    value = str(entry.get(name) or "")[:MAX_FIELD]
    detail = entry.get(f"{name}_detail") or {}
    # feedparser sanitizes only HTML fields: a text/plain title is literal text,
    # to be escaped on output, not parsed as markup.
    if detail.get("type") == "text/plain":
        value = html.escape(value, quote=False)
    return plain_text(value)


def author_name(entry: Any) -> str:
    """The (first) author's name, never an e-mail address: ``Jane (jane@x.org)`` → ``Jane``.

    The first of the structured names, else the ``author`` text with its addresses cut
    out; an author given only as an address is no author."""
    authors = entry.get("authors") or [{}]
    detail = entry.get("author_detail") or {}
    for candidate in (authors[0].get("name"), detail.get("name"), entry.get("author")):
        name = str(candidate or "")[:MAX_FIELD]
        if "@" in name:
            name = _EMAIL.sub(" ", name)
            name = re.sub(r"\(\s*\)|<\s*>|\[\s*\]|mailto:", " ", name).strip(" ()<>,;\"'")
        name = plain_text(name)
        if name:
            return name
    return ""


def published(entry: Any) -> datetime | None:
    """The entry's date, in UTC: as the parser read it, else in a local language."""
    moment = parsed_date(entry)
    if moment is None and (written := date_text(entry)):
        return localized_date(written)
    return moment


def parsed_date(entry: Any) -> datetime | None:
    """The date the parser read: published, else updated, else created."""
    for name in _DATE_FIELDS:
        moment = _moment(_field(entry, f"{name}_parsed"))
        if moment is not None:
            return moment
    return None


def date_text(entry: Any) -> str:
    """The entry's date as the feed wrote it, to quote when it cannot be read."""
    return str(next(filter(None, (_field(entry, name) for name in _DATE_FIELDS)), ""))


def _field(entry: Any, name: str) -> Any:
    """A field as the parser set it. feedparser's dict maps a missing ``updated`` to
    ``published`` with a DeprecationWarning (its issue 310): read past that."""
    return dict.get(entry, name) if isinstance(entry, dict) else entry.get(name)


def _moment(parsed: Any) -> datetime | None:
    """A parser's ``time.struct_time`` as a datetime; ``None`` for a year no post has
    (``03-12-31`` read as year 3, a ``-99:99`` offset pushing 9999 into year 10000)."""
    if not parsed:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
