"""The blogs provider reads feeds as feedparser does: run over feedparser's own tests.

feedparser's sdist ships its test suite; ``tests/wellformed/`` holds 1,739 feeds, each
probing one construct (a date format, xml:base, a namespace, an encoding, an attack).
Every file goes through the provider's reader (:func:`read_feed`: feedparser-rs, with
feedparser where the fast path would be wrong) and, as the reference, through
feedparser alone; the posts — how many, titles, links, dates, authors, tags, and
summaries as the newsletter shows them (sanitized, Markdown) — must be the same,
except in the files listed in ``EXPLAINED`` below, each with its reason. A file that
starts or stops differing fails the test, so the list stays true.

feedparser's date test vectors (its ``runtests.py``) are run the same way, as RSS
``pubDate`` values.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from newsletter.sanitize import html_to_markdown
from newsletter.sections.blogs.entries import FAST, Entry, entries, read_feed
from newsletter.xmlsafe import UnsafeXML, defuse
from tests.corpora import sdist

URL = "http://127.0.0.1:8097/tests/"
_HEADER = re.compile(rb"^Header:\s+([^:]+):(.+)$", re.MULTILINE)

_SCRIPT = (
    "a <script> inside the markup: feedparser's sanitizer keeps its code as text, "
    "feedparser-rs drops it, so no script text reaches the newsletter"
)
_ITUNES = (
    "itunes:category is the podcast directory's category: feedparser-rs does not "
    "count it among the post's tags (tags only filter posts)"
)
EXPLAINED = {
    "atom/entry_summary_naked_markup.xml": (
        "Atom 0.3 (obsolete since 2005) with undeclared inline markup in a summary: "
        "feedparser-rs keeps its text, without the bold"
    ),
    "itunes/itunes_item_category.xml": _ITUNES,
    "itunes/itunes_item_category_nested.xml": _ITUNES,
    "itunes/itunes_item_category_scheme.xml": _ITUNES,
    "node_precedence/atom10_id.xml": (
        "an <image> with its own <id> after the entry's: feedparser takes the image's "
        "id as the link, feedparser-rs the entry's (feedparser-rs is right)"
    ),
    "rss/item_category_image.xml": (
        "an <image> nested in a <category>: feedparser-rs takes the image's link as the "
        "post's and its text into the tag (feedparser is right; never seen in a real feed)"
    ),
    "rss/item_description_and_summary.xml": (
        "RSS with both <description> and a non-standard <summary>: feedparser-rs "
        "summarizes the <summary>, feedparser the <description>"
    ),
    "rss/item_madeup_tags_element.xml": (
        "a non-standard <tags> element: feedparser splits it into tags, feedparser-rs ignores it"
    ),
    "sanitize/entry_content_crazy.xml": _SCRIPT,
    "sanitize/entry_summary_crazy.xml": _SCRIPT,
    "sanitize/item_content_encoded_crazy.xml": _SCRIPT,
    "sanitize/item_description_crazy.xml": _SCRIPT,
    "sanitize/entry_content_iframe.xml": (
        "markup inside an <iframe> is text in HTML: feedparser-rs keeps it as text "
        "('<b>' shown), feedparser's sanitizer as bold"
    ),
    "sanitize/item_content_encoded_script_nested_cdata.xml": (
        "a script in nested CDATA: both drop the script; the leftover ']]>' differs"
    ),
}


def _view(found: list[Entry]) -> list[dict[str, Any]]:
    """The posts as the newsletter would show them."""
    return [
        {
            "title": entry.title,
            "link": entry.link,
            "published": entry.published,
            "author": entry.author,
            "tags": entry.tags,
            "summary": html_to_markdown(entry.summary_html, None, entry.base),
        }
        for entry in found
    ]


def _feedparser(document: bytes, url: str, content_type: str) -> list[Entry]:
    """feedparser's answer, read by the provider's rules."""
    import feedparser

    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    return entries(feedparser.parse(document, response_headers=headers), url)


def _wellformed(root: Path) -> Iterator[tuple[str, bytes, str]]:
    """(name, defused bytes, content type) of each well-formed test feed."""
    for path in sorted(root.rglob("*.xml")):
        data = path.read_bytes()
        headers = {k.strip().lower(): v.strip() for k, v in _HEADER.findall(data)}
        try:
            document = defuse(data)
        except UnsafeXML:
            continue  # the two feeds with entity declarations: refused, by design
        content_type = headers.get(b"content-type", b"").decode()
        yield path.relative_to(root).as_posix(), document, content_type


@pytest.fixture(scope="module")
def feedparser_tests() -> Path:
    return sdist("feedparser") / "tests"


def test_the_provider_keeps_every_post_feedparser_keeps(feedparser_tests: Path) -> None:
    ours_total = theirs_total = files = fast = 0
    differing: dict[str, list[str]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feedparser warns about the suite's odd feeds
        for name, document, content_type in _wellformed(feedparser_tests / "wellformed"):
            files += 1
            url = URL + name
            parsed = read_feed(document, url, content_type)
            fast += parsed.parser == FAST
            ours = _view(parsed.entries)
            theirs = _view(_feedparser(document, url, content_type))
            ours_total += len(ours)
            theirs_total += len(theirs)
            if ours != theirs:
                differing[name] = [
                    key
                    for mine, reference in zip(ours, theirs, strict=False)
                    for key in mine
                    if mine[key] != reference[key]
                ] or ["entries"]
    assert files == 1737  # 1,739 minus the two refused for their entity declarations
    assert ours_total == theirs_total == 1175
    assert sorted(differing) == sorted(EXPLAINED), {
        name: fields for name, fields in differing.items() if name not in EXPLAINED
    }
    assert fast > files * 0.75  # the fast path still answers for most of the suite


def _date_vectors(runtests: Path) -> list[tuple[str, str]]:
    """(parser name, date text) of feedparser's ``date_tests``."""
    tree = ast.parse(runtests.read_text("utf-8"))
    table = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == "date_tests"
    )
    assert isinstance(table, ast.Dict)
    return [
        (ast.unparse(key), ast.literal_eval(vector)[0])
        for key, vectors in zip(table.keys, table.values, strict=True)
        if key is not None and isinstance(vectors, ast.Tuple)
        for vector in vectors.elts
    ]


def _dated(text: str) -> bytes:
    return (
        '<rss version="2.0"><channel><item><title>t</title><link>https://a.example/p</link>'
        f"<pubDate>{escape(text)}</pubDate></item></channel></rss>"
    ).encode()


def test_every_date_feedparser_reads_is_read_the_same(feedparser_tests: Path) -> None:
    vectors = _date_vectors(feedparser_tests / "runtests.py")
    assert len(vectors) == 71
    wrong: list[tuple[str, list[datetime], list[datetime]]] = []
    for _, text in vectors:
        document = _dated(text)
        ours = [entry.published for entry in read_feed(document, "https://a.example/feed").entries]
        theirs = [entry.published for entry in _feedparser(document, "https://x.example/", "")]
        if ours != theirs:
            wrong.append((text, ours, theirs))
    assert wrong == []
