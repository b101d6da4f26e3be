"""Text from sources as it enters: untrusted HTML becomes safe, short Markdown for the
draft; every string loses control characters and bidi overrides (:func:`clean_text`).
What is rendered is made inert at the other end, by :mod:`newsletter.inert`.

One allow-list (nh3, the Rust ammonia sanitizer) for every source: no scripts, event
handlers, styles, iframes or ``javascript:`` URLs survive. The result is cut at a word
count on a word boundary, closing any open tags, then turned into Markdown.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

from .urls import SCHEMES

ALLOWED_TAGS = frozenset(
    {"a", "p", "br", "em", "strong", "b", "i", "code", "pre", "ul", "ol", "li",
     "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}}
MAX_FIELD = 200_000
"""Characters of one field kept before any parsing or regex."""

# C0/C1 control characters other than tab and newline: never meaningful in a feed's text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# ...except that C1 "controls" in real feeds are windows-1252 text read as Latin-1: the
# smart quotes and dashes of "don\x92t" (U+0092). Read them as windows-1252 does, like
# browsers and feedparser; the five codes windows-1252 leaves undefined are dropped.
_C1_AS_CP1252 = {
    code: bytes([code]).decode("cp1252", errors="ignore") or None for code in range(0x80, 0xA0)
}
_SPACE = re.compile(r"\s+")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def clean_html(fragment: str, base_url: str = "") -> str:
    """Sanitize ``fragment`` with the project's one allow-list.

    With ``base_url``, relative links are made absolute against it; one that still has
    no allowed scheme afterwards (e.g. a ``file:`` base) loses its href."""
    cleaned = _cleaner().clean(fragment[:MAX_FIELD])
    if not base_url:
        return cleaned
    return _A_TAG.sub(lambda tag: _HREF.sub(lambda m: _resolved(m, base_url), tag[0]), cleaned)


@functools.cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# An href as nh3 writes it: double-quoted, with &amp; &quot; &nbsp; for & " and U+00A0.
# Links are resolved after sanitizing, not in a callback of nh3's, so a long post pays
# only for the links of the summary it is cut to.
_HREF = re.compile(r' href="([^"]*)"')
_A_TAG = re.compile(r'<a\s(?:[^>"]|"[^"]*")*>')


def _resolved(match: re.Match[str], base_url: str) -> str:
    """The href joined to ``base_url``, gone if the result has no allowed scheme or
    urllib cannot read it (``//[broken``: one bad link must not cost the summary)."""
    try:
        absolute = urljoin(base_url, html.unescape(match.group(1)).strip())
        if urlsplit(absolute).scheme not in SCHEMES:
            return ""
    except ValueError:
        return ""
    escaped = absolute.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")
    return f' href="{escaped}"'


def plain_text(value: str) -> str:
    """Text of a field that must hold no markup (a title, an author)."""
    text = value[:MAX_FIELD]
    if "<" in text or "&" in text:
        text = html.unescape(nh3.clean(text, tags=set()))
    else:  # nh3 and unescaping would give it back as is, but for HTML's CR → LF
        text = text.replace("\r", "\n")
    text = text.translate(_C1_AS_CP1252)
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


# nh3 writes well-formed HTML: tags (attribute values quoted with "), the entity refs
# &amp; &lt; &gt; &nbsp;, and text holding neither "<" nor "&".
_TOKEN = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>"]|"[^"]*")*>|&#?\w+;')
_WORD_SPLIT = re.compile(r"(\s+)")
_VERBATIM = frozenset({"code", "pre"})  # text inside is not escaped in Markdown
# While converting, a "<" of the text outside code is marked with two noncharacters
# (never in exchanged text); one already in the text is written with two others.
_MARK, _LT, _KEPT_MARK = "\ufdd0", "\ufdd0\ufdd2", "\ufdd0\ufdd1"


def truncate_html(fragment: str, words: int | None, base_url: str = "") -> str:
    """Sanitized HTML (nh3's) cut after ``words`` words, closing what is open, with
    each ``&lt;`` outside code marked :data:`_LT` for :func:`html_to_markdown` and
    links resolved against ``base_url`` (see :func:`clean_html`).

    A word is a run of non-space characters in one piece of text, an entity counting as
    one; the rest of the document is not even read once the limit is reached."""
    out: list[str] = []
    opened: list[str] = []
    count = verbatim = position = 0
    for match in _TOKEN.finditer(fragment):
        text = fragment[position : match.start()]
        position = match.end()
        if text and (count := _count_words(text, out, count, words)) < 0:
            break
        token = match.group()
        name = match.group(2)
        if name is None:  # an entity
            if words is not None and count >= words:
                out.append(" …")
                break
            count += 1
            out.append(_LT if token == "&lt;" and not verbatim else token)
        elif not match.group(1):  # a start tag
            if base_url and name == "a":
                token = _HREF.sub(lambda m: _resolved(m, base_url), token)
            out.append(token)
            if name != "br":
                opened.append(name)
                verbatim += name in _VERBATIM
        elif name in opened:
            while opened:
                closing = opened.pop()
                verbatim -= closing in _VERBATIM
                out.append(f"</{closing}>")
                if closing == name:
                    break
    else:
        text = fragment[position:]
        if text:
            _count_words(text, out, count, words)
    return "".join(out) + "".join(f"</{tag}>" for tag in reversed(opened))


def _count_words(text: str, out: list[str], count: int, limit: int | None) -> int:
    """Append ``text`` to ``out`` up to the word ``limit``; the words counted so far,
    or -1 when the limit cut the text (" …" appended)."""
    if limit is None:
        out.append(text)
        return count
    for token in _WORD_SPLIT.split(text):
        if token and not token.isspace():
            if count >= limit:
                out.append(" …")
                return -1
            count += 1
        out.append(token)
    return count


@functools.cache
def _markdownify() -> Callable[..., str]:
    # Imported on first use: only gathering converts HTML.
    from markdownify_rs import markdownify

    return functools.partial(
        markdownify, heading_style="ATX", bullets="-", strip=["img"], escape_misc=False
    )


def html_to_markdown(fragment: str, words: int | None = None, base_url: str = "") -> str:
    """Sanitize, cut to ``words`` (if given) and convert ``fragment`` to Markdown.

    Relative links are resolved against ``base_url`` when one is given. A ``<`` of the
    text (``&lt;mj-include …&gt;`` in a feed) is escaped, ``\\<``, so a Markdown
    reader keeps it text rather than raw HTML; inside code it stays as it is.

    markdownify-rs gives markdownify's output (bench/bench_parse.py compares them on
    a corpus) 30–50× faster; the escaping of ``<`` it lacks is done around it."""
    text = _CONTROL.sub("", fragment.translate(_C1_AS_CP1252))
    cleaned = clean_html(text).replace(_MARK, _KEPT_MARK)
    markdown = _markdownify()(truncate_html(cleaned, words, base_url))
    markdown = markdown.replace(_LT, "\\<").replace(_KEPT_MARK, _MARK)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown)
    return "\n".join(line.rstrip() for line in markdown.strip().splitlines())


def markdown_escape(text: str) -> str:
    """Escape a plain-text value (a title, an author) for use inside Markdown; ``{%``
    is broken up too, so Jekyll's Liquid reads no tag in it."""
    escaped = _MD_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))
    return escaped.replace("\\{%", "\\{\\%")


# ---------------------------------------------------------------- text from anywhere

_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, line feed and CR; DEL; C1
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ud800-\udfff\ufffe\uffff]"  # lone surrogates, non-characters
)


def clean_text(value: str) -> str:
    """``value`` without what no format can carry or should show: C0 control
    characters (but tab and line breaks, which become ``\\n``, as do U+2028 and
    U+2029), bidi overrides and isolates (text that reads differently from what it
    is), lone surrogates. C1 characters are windows-1252 text read as Latin-1 (smart
    quotes), as in :func:`plain_text`; those windows-1252 lacks are removed.

    MJML refuses a document with an ESC or NUL in it, and a lone surrogate cannot be
    written as UTF-8: one such character in a feed would stop the whole issue."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in value or "\u2029" in value:  # line and paragraph separators
        value = value.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _UNWANTED.sub("", value.translate(_C1_AS_CP1252))


def clean_data(value: Any, clean: Callable[[str], str] = clean_text) -> Any:
    """``value`` (a provider's ``details``: dicts, lists, strings, numbers…) with every
    string, keys too, passed through ``clean``."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean_data(key, clean): clean_data(inner, clean) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean_data(inner, clean) for inner in value)
    return value
