"""Untrusted HTML from sources becomes safe, short Markdown for the draft.

One allow-list (nh3, the Rust ammonia sanitizer) for every source: no scripts, event
handlers, styles, iframes or ``javascript:`` URLs survive. The result is cut at a word
count on a word boundary, closing any open tags, then turned into Markdown.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

ALLOWED_TAGS = frozenset(
    {"a", "p", "br", "em", "strong", "b", "i", "code", "pre", "ul", "ol", "li",
     "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_FIELD = 200_000
"""Characters of one field kept before any parsing or regex."""

_VOID = frozenset({"br"})
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
    return nh3.clean(
        fragment[:MAX_FIELD],
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_resolver(base_url) if base_url else None,
    )


def _resolver(base_url: str) -> Callable[[str, str, str], str | None]:
    # nh3 calls this after its scheme check, so the joined URL is checked here again.
    def resolve(tag: str, attribute: str, value: str) -> str | None:
        if attribute != "href":
            return value
        absolute = urljoin(base_url, value.strip())
        return absolute if urlsplit(absolute).scheme in URL_SCHEMES else None

    return resolve


def plain_text(value: str) -> str:
    """Text of a field that must hold no markup (a title, an author)."""
    text = value[:MAX_FIELD]
    if "<" in text or "&" in text:
        text = html.unescape(nh3.clean(text, tags=set()))
    else:  # nh3 and unescaping would give it back as is, but for HTML's CR → LF
        text = text.replace("\r", "\n")
    text = text.translate(_C1_AS_CP1252)
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


class _Truncator(HTMLParser):
    """Re-emits sanitized HTML up to ``limit`` words, closing whatever is still open."""

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.words = 0
        self.out: list[str] = []
        self.open: list[str] = []
        self.cut = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        rendered = "".join(
            f' {name}="{html.escape(value or "", quote=True)}"' for name, value in attrs
        )
        self.out.append(f"<{tag}{rendered}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.cut or tag not in self.open:
            return
        while self.open:
            closing = self.open.pop()
            self.out.append(f"</{closing}>")
            if closing == tag:
                break

    def handle_data(self, data: str) -> None:
        self._text(data)

    def handle_entityref(self, name: str) -> None:
        self._text(f"&{name};", raw=True)

    def handle_charref(self, name: str) -> None:
        self._text(f"&#{name};", raw=True)

    def _text(self, data: str, raw: bool = False) -> None:
        if self.cut:
            return
        tokens = re.split(r"(\s+)", data)
        for token in tokens:
            if token and not token.isspace():
                if self.words >= self.limit:
                    self.cut = True
                    self.out.append(" …")
                    return
                self.words += 1
            self.out.append(token if raw else html.escape(token, quote=False))

    def result(self) -> str:
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def truncate_html(fragment: str, words: int) -> str:
    parser = _Truncator(words)
    parser.feed(fragment)
    parser.close()
    return parser.result()


@functools.cache
def _converter() -> Any:
    # markdownify pulls in BeautifulSoup and soupsieve (~60 ms): only gathering needs it,
    # not every command that imports a provider module.
    from markdownify import MarkdownConverter

    class Converter(MarkdownConverter):
        def escape(self, text: str, parent_tags: set[str]) -> str:
            # Text that looks like a tag (``&lt;mj-include …&gt;`` in the feed) must stay
            # text for a Markdown reader too, not become raw HTML.
            escaped = super().escape(text, parent_tags)  # type: ignore[misc]
            return str(escaped).replace("<", "\\<")

    return Converter(heading_style="ATX", bullets="-", strip=["img"], escape_misc=False)


def html_to_markdown(fragment: str, words: int | None = None, base_url: str = "") -> str:
    """Sanitize, cut to ``words`` (if given) and convert ``fragment`` to Markdown.

    Relative links are resolved against ``base_url`` when one is given."""
    cleaned = clean_html(_CONTROL.sub("", fragment.translate(_C1_AS_CP1252)), base_url)
    if words is not None:
        cleaned = truncate_html(cleaned, words)
    markdown = str(_converter().convert(cleaned))
    markdown = re.sub(r"\n{3,}", "\n\n", markdown)
    return "\n".join(line.rstrip() for line in markdown.strip().splitlines())


def markdown_escape(text: str) -> str:
    """Escape a plain-text value (a title, an author) for use inside Markdown."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))
