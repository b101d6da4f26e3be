"""The static web archive: ``site/<issue>/index.html`` per issue, an index, an Atom feed.

Publishing one issue renders its web page (the email without preheader or unsubscribe
link) and records it in ``site/issues.json``; the index and the feed are rebuilt from
that manifest each time, so republishing an issue replaces it and the output depends
only on the drafts published (same inputs, same bytes). The emails' "view in browser"
link is ``RenderSettings.issue_url``, i.e. ``[newsletter] url`` + ``<issue>/``.

The index names each issue by its dates and its first headlines (every issue shares the
newsletter's title); the feed carries each issue whole, as HTML made from its Markdown
(raw HTML escaped), for the newest ``FEED_ENTRIES`` issues.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin

from ..errors import RenderError
from ..fileio import write_atomic
from ..model import Draft
from ..window import describe
from .markdown import markdown_to_html
from .renderer import Renderer

SITE = "site"
MANIFEST = "issues.json"
FEED = "feed.xml"
ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 20
HEADLINES = 3


@dataclass(frozen=True)
class Published:
    """One issue in the archive's manifest."""

    issue: str
    title: str
    dates: str
    updated: str  # ISO 8601, the end of the issue's window
    summary: str
    headlines: list[str] = field(default_factory=list)
    """The titles of its first linked items: what tells one issue from the next."""
    content: str = ""
    """The whole issue as an HTML fragment, for the feed."""

    @property
    def path(self) -> str:
        return f"{self.issue}/"


def site_dir(workspace: Path) -> Path:
    return workspace / SITE


def read_manifest(site: Path) -> list[Published]:
    path = site / MANIFEST
    if not path.is_file():
        return []
    try:
        return [Published(**entry) for entry in json.loads(path.read_text("utf-8"))]
    except (ValueError, TypeError) as error:
        raise RenderError(
            f"{path}: not an archive manifest ({error}); move it away to start the archive anew"
        ) from None


def publish(renderer: Renderer, draft: Draft, site: Path, title: str) -> list[Path]:
    """Write ``draft``'s page into ``site`` and rebuild the index and feed; the paths written."""
    page = site / draft.issue / "index.html"
    write_atomic(page, renderer.render(draft, "html", web=True))
    entry = Published(
        issue=draft.issue,
        title=draft.title,
        dates=describe(draft.window),
        updated=(draft.window.end - timedelta(seconds=1)).isoformat(),
        summary=renderer.preheader(draft),
        headlines=[
            item.title for section in draft.sections for item in section.included if item.url
        ][:HEADLINES],
        content=markdown_to_html(renderer.render(draft, "md", web=True)),
    )
    issues = [e for e in read_manifest(site) if e.issue != draft.issue] + [entry]
    issues.sort(key=lambda e: (e.updated, e.issue), reverse=True)
    manifest = site / MANIFEST
    write_atomic(manifest, json.dumps([asdict(e) for e in issues], indent=2, ensure_ascii=False))
    index = site / "index.html"
    write_atomic(
        index, renderer.render_template("archive/index.html.j2", issues=issues, title=title)
    )
    feed = site / FEED
    write_atomic(feed, atom_feed(issues, title, renderer.settings.archive_url))
    return [page, index, feed, manifest]


def atom_feed(issues: list[Published], title: str, base: str) -> str:
    """An Atom 1.0 feed of ``issues`` (newest first); links are absolute when ``base`` is set."""
    ET.register_namespace("", ATOM)
    root = base.rstrip("/") + "/" if base else ""

    def sub(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = _xml_chars(text) or None
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "title", title)
    sub(feed, "id", urljoin(root, FEED) if root else f"urn:newsletter:{title}")
    sub(feed, "updated", issues[0].updated if issues else "1970-01-01T00:00:00+00:00")
    sub(feed, "link", href=urljoin(root, FEED) if root else FEED, rel="self")
    sub(feed, "link", href=root or "./", rel="alternate", type="text/html")
    for issue in issues[:FEED_ENTRIES]:
        entry = sub(feed, "entry")
        href = urljoin(root, issue.path) if root else issue.path
        sub(entry, "title", f"{issue.title} — {issue.dates}")
        sub(entry, "id", href if root else f"urn:newsletter:{title}:{issue.issue}")
        sub(entry, "updated", issue.updated)
        sub(entry, "link", href=href, rel="alternate", type="text/html")
        sub(entry, "author").append(_name(title))
        sub(entry, "summary", issue.summary)
        if issue.content:
            sub(entry, "content", issue.content, type="html")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, "unicode") + "\n"


def _name(text: str) -> ET.Element:
    element = ET.Element(f"{{{ATOM}}}name")
    element.text = _xml_chars(text)
    return element


# What XML 1.0 forbids in a document, escaped or not; ElementTree writes it as it is.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_chars(text: str) -> str:
    """``text`` without the characters that would make feed.xml unreadable to every
    reader (a control character typed in the title in newsletter.toml, say)."""
    return _NOT_XML.sub("", text)
