"""The HTML → Markdown conversion as it was before markdownify-rs: nh3 resolved links
in a callback, Python's HTMLParser cut the sanitized HTML at a word count, markdownify
(over BeautifulSoup) converted it and escaped each ``<`` of the text. Kept only to show
the fast one gives the same bytes (tests/test_markdown_parity.py, bench/bench_parse.py)."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

from newsletter.sanitize import (
    _C1_AS_CP1252,
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    MAX_FIELD,
)
from newsletter.urls import SCHEMES as URL_SCHEMES

_VOID = frozenset({"br"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_html(fragment: str, base_url: str = "") -> str:
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
    def resolve(tag: str, attribute: str, value: str) -> str | None:
        if attribute != "href":
            return value
        absolute = urljoin(base_url, value.strip())
        return absolute if urlsplit(absolute).scheme in URL_SCHEMES else None

    return resolve


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
        for token in re.split(r"(\s+)", data):
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
    from markdownify import MarkdownConverter

    class Converter(MarkdownConverter):  # type: ignore[misc]
        def escape(self, text: str, parent_tags: set[str]) -> str:
            return str(super().escape(text, parent_tags)).replace("<", "\\<")

    return Converter(heading_style="ATX", bullets="-", strip=["img"], escape_misc=False)


def html_to_markdown(fragment: str, words: int | None = None, base_url: str = "") -> str:
    cleaned = clean_html(_CONTROL.sub("", fragment.translate(_C1_AS_CP1252)), base_url)
    if words is not None:
        cleaned = truncate_html(cleaned, words)
    markdown = str(_converter().convert(cleaned))
    markdown = re.sub(r"\n{3,}", "\n\n", markdown)
    return "\n".join(line.rstrip() for line in markdown.strip().splitlines())
