"""What "no active content" means, checked the same way for every format and test."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

SAFE_LINKS = {"http", "https", "mailto"}
SAFE_IMAGES = {"http", "https"}


def as_jekyll_would(markdown: str) -> str:
    """The HTML of a Markdown output read as a static-site generator reads it: raw HTML
    passed through, and every link destination let through (markdown-it on its own
    refuses ``javascript:`` links; other readers do not)."""
    reader = MarkdownIt("commonmark", {"html": True})
    reader.validateLink = lambda url: True  # type: ignore[method-assign]
    return str(reader.render(markdown))


class _Active(HTMLParser):
    def __init__(self, embedded: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.embedded = embedded
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "iframe", "object", "embed", "form", "base"}:
            self.found.append(f"<{tag}>")
        for name, raw in attrs:
            value = (raw or "").strip()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            elif name == "href" and value and urlsplit(value).scheme not in SAFE_LINKS:
                self.found.append(f"<{tag} href={value!r}>")
            elif name in {"src", "background"} and not _image_ok(value, self.embedded):
                self.found.append(f"<{tag} {name}={value!r}>")


def _image_ok(src: str, embedded: set[str]) -> bool:
    scheme = urlsplit(src).scheme
    return scheme in SAFE_IMAGES or (scheme == "cid" and src in embedded)


def active_content(html: str, embedded: set[str] | None = None) -> list[str]:
    """Every piece of ``html`` that does more than show itself: a script, an event
    handler, a link that is not http(s)/mailto, an image that is not http(s) (or one of
    ``embedded``, the message's own ``cid:`` parts)."""
    parser = _Active(embedded or set())
    parser.feed(html)
    parser.close()
    return parser.found


def template_tags(markdown: str) -> list[str]:
    """Sequences Hugo (shortcodes) or Jekyll (Liquid) would run in a Markdown file."""
    return [tag for tag in ("{{", "{%") if tag in markdown]
