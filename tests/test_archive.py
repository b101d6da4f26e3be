"""`newsletter publish`: the static web archive of issues."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser

from newsletter.draft.file import draft_node, dump, load_draft
from tests.conftest import EXAMPLE


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns("out", "site", ".newsletter"))
    # A second, later issue made from the first.
    draft = load_draft(ws / "drafts" / "2011-W26.yaml")
    draft.issue = "2011-W27"
    draft.intro = "Second week: *more* news & <things>."
    draft.window.start += timedelta(days=7)
    draft.window.end += timedelta(days=7)
    (ws / "drafts" / "2011-W27.yaml").write_text(dump(draft_node(draft, "2011-W27")), "utf-8")
    return ws


def test_publish_builds_pages_index_and_feed(tmp_path: Path, cli: Any) -> None:
    ws = _workspace(tmp_path)
    result = cli("-C", ws, "publish", "drafts/2011-W26.yaml")
    assert result.exit_code == 0, result.output
    result = cli("-C", ws, "publish")  # the newest: 2011-W27
    assert result.exit_code == 0, result.output
    site = ws / "site"

    page = (site / "2011-W27" / "index.html").read_text()
    assert "Diablo-2 milestone released" in page
    assert "View in your browser" not in page
    assert 'href="https://newsletter.openstack.example.org/"' in page

    index = (site / "index.html").read_text()
    assert index.index('href="2011-W27/"') < index.index('href="2011-W26/"')
    # Each issue by its dates and first headlines: the newsletter's title is the same.
    assert '<a href="2011-W27/">July 2–8, 2011</a>' in index
    assert '<a href="2011-W26/">June 25 – July 1, 2011</a>' in index
    assert "Issue 2011-W26 · Q2 2011 Community Health Statistics · " in index
    assert "Second week: more news &amp; &lt;things&gt;." in index
    assert "<things>" not in index

    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert [e.link for e in feed.entries] == [
        "https://newsletter.openstack.example.org/2011-W27/",
        "https://newsletter.openstack.example.org/2011-W26/",
    ]
    assert feed.entries[0].title.endswith("July 2–8, 2011")
    # Each issue whole in the feed, not its one-line summary; as HTML, nothing raw.
    content = feed.entries[1].content[0]
    assert content.type == "text/html"
    assert '<a href="http://fnords.wordpress.com/2011/07/01/diablo-2-milestone-released/">' in (
        content.value
    )
    assert "The second milestone of the Diablo cycle is out" in content.value
    assert "<things>" not in (site / "feed.xml").read_text()
    assert [e["issue"] for e in json.loads((site / "issues.json").read_text())] == [
        "2011-W27",
        "2011-W26",
    ]


def test_republishing_gives_the_same_bytes(tmp_path: Path, cli: Any) -> None:
    ws = _workspace(tmp_path)
    for name in ("2011-W26", "2011-W27"):
        assert cli("-C", ws, "publish", f"drafts/{name}.yaml").exit_code == 0
    before = {p: p.read_bytes() for p in (ws / "site").rglob("*") if p.is_file()}
    assert cli("-C", ws, "publish", "drafts/2011-W26.yaml").exit_code == 0
    after = {p: p.read_bytes() for p in (ws / "site").rglob("*") if p.is_file()}
    assert after == before


def test_the_email_links_to_its_archive_page(tmp_path: Path, cli: Any) -> None:
    ws = _workspace(tmp_path)
    assert cli("-C", ws, "publish", "drafts/2011-W26.yaml").exit_code == 0
    result = cli("-C", ws, "render", "drafts/2011-W26.yaml", "-f", "html", "-o", "-")
    link = "https://newsletter.openstack.example.org/2011-W26/"
    assert f'href="{link}"' in result.stdout
    # ... and that page is where publish put it, under the archive's base URL.
    assert (ws / "site" / link.removeprefix("https://newsletter.openstack.example.org/")).is_dir()


def test_publish_without_archive_url_uses_relative_links(
    make_workspace: Any, cli: Any, tmp_path: Path
) -> None:
    ws = make_workspace()
    shutil.copytree(EXAMPLE / "drafts", ws / "drafts", ignore=shutil.ignore_patterns("*.bak"))
    result = cli("-C", ws, "publish")
    assert result.exit_code == 0, result.output
    assert "url is not set" in result.output
    feed = feedparser.parse((ws / "site" / "feed.xml").read_bytes())
    assert feed.entries[0].id == "urn:newsletter:Bar Weekly:2011-W26"


def test_a_damaged_manifest_is_named_not_overwritten(tmp_path: Path, cli: Any) -> None:
    ws = _workspace(tmp_path)
    (ws / "site").mkdir()
    (ws / "site" / "issues.json").write_text("[{'oops'")
    result = cli("-C", ws, "publish")
    assert result.exit_code == 8
    assert "issues.json: not an archive manifest" in result.output
    assert (ws / "site" / "issues.json").read_text() == "[{'oops'"


def test_the_feed_stays_xml_whatever_characters_its_text_holds() -> None:
    import xml.etree.ElementTree as ET

    from newsletter.render.archive import Published, atom_feed

    bad = "".join(map(chr, range(32))) + "\ufffe\uffff"
    issue = Published(
        "2026-W47", f"Bar{bad} Weekly", f"Nov{bad} 16", "2026-11-23T00:00:00+00:00",
        f"Sum{bad}mary", content=f"<p>Con{bad}tent</p>",
    )  # fmt: skip
    feed = ET.fromstring(atom_feed([issue], f"Bar{bad} Weekly", "").split("\n", 1)[1])
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    assert feed.findtext("atom:title", namespaces=ns) == "Bar\t\n\n Weekly"  # \r is read as \n
    assert feed.findtext("atom:entry/atom:summary", namespaces=ns) == "Sum\t\n\nmary"
