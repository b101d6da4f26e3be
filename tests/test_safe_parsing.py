"""Fetched XML is defused before feedparser; one feed's failure stays on that feed."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.xmlsafe import MAX_NAME, UnsafeXML, defuse
from tests import hostile
from tests.feeds import Post, atom, rss

NETSCAPE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
    b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel>'
    b"<title>Old</title><item><title>Hi</title><link>https://a.example/</link></item>"
    b"</channel></rss>"
)


@pytest.mark.parametrize("document", [hostile.LAUGHS, hostile.XXE])
def test_doctype_entities_are_refused(document: bytes) -> None:
    with pytest.raises(UnsafeXML, match="DOCTYPE declares entities"):
        defuse(document)


def test_entities_are_refused_in_utf16_too() -> None:
    document = hostile.XXE.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16")
    with pytest.raises(UnsafeXML):
        defuse(document)


def test_a_doctype_without_entities_is_dropped_and_the_feed_still_parses() -> None:
    cleaned = defuse(NETSCAPE)
    assert b"DOCTYPE" not in cleaned
    assert feedparser.parse(cleaned).entries[0].title == "Hi"


def test_a_doctype_inside_content_is_left_alone() -> None:
    document = rss([Post("P", "https://a.example/p", datetime(2026, 11, 18, tzinfo=UTC),
                         summary="<!DOCTYPE html><p>x</p>")])  # fmt: skip
    assert defuse(document) == document


def test_long_author_fields_are_cut_before_parsing() -> None:
    parsed = feedparser.parse(defuse(hostile.redos_feed(100_000)))
    assert parsed.entries[0].author == "a" * MAX_NAME


def test_atom_names_and_cdata_are_cut_and_stay_well_formed() -> None:
    post = Post("P", "https://a.example/p", datetime(2026, 11, 18, tzinfo=UTC), author="b" * 5000)
    document = atom([post]).replace(
        b"<name>" + b"b" * 5000, b"<name><![CDATA[" + b"b" * 5000 + b"]]>"
    )
    parsed = feedparser.parse(defuse(document))
    assert not parsed.bozo
    assert parsed.entries[0].author == "b" * (MAX_NAME - len("<![CDATA["))


@given(st.binary(max_size=400))
def test_defuse_only_refuses_or_returns_bytes(data: bytes) -> None:
    with contextlib.suppress(UnsafeXML):
        assert isinstance(defuse(data), bytes)


@given(st.text(max_size=300))
def test_defuse_keeps_documents_without_doctype_or_long_names(text: str) -> None:
    data = ("<rss><item><title>" + text.replace("<", "") + "</title></item></rss>").encode()
    assert defuse(data) == data


def test_a_crash_while_parsing_one_feed_is_a_problem_on_that_feed(
    make_workspace: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsletter.sections.blogs import provider as blogs

    real = blogs.read_feed

    def parse(content: bytes, *args: Any) -> Any:
        if b"Deep" in content:
            raise RecursionError("maximum recursion depth exceeded")
        return real(content, *args)

    monkeypatch.setattr(blogs, "read_feed", parse)
    deep = rss([Post("Deep", "https://a.example/deep", datetime(2026, 11, 18, tzinfo=UTC))])
    workspace: Path = make_workspace(
        '[[section]]\nid = "blogs"\nprovider = "blogs"\n'
        'feeds = ["feeds/deep.xml", "feeds/good.xml"]\n',
        files={"feeds/deep.xml": deep, "feeds/good.xml": hostile.good_feed()},
    )
    result = cli("-C", workspace, "draft", "--week", "2026-W47")
    assert result.exit_code == 0, result.output
    text = (workspace / "drafts" / "2026-W47.yaml").read_text()
    assert "feeds/deep.xml: could not parse the feed: RecursionError" in text
    assert "Still here" in text


def test_a_feed_body_that_is_a_path_is_never_opened(make_workspace: Any, cli: Any) -> None:
    workspace: Path = make_workspace(
        '[[section]]\nid = "blogs"\nprovider = "blogs"\nfeeds = ["feeds/path.xml"]\n',
        files={"feeds/path.xml": b"/etc/passwd"},
    )
    result = cli("-C", workspace, "draft", "--week", "2026-W47")
    assert result.exit_code == 0, result.output
    text = (workspace / "drafts" / "2026-W47.yaml").read_text()
    assert "could not parse the feed" in text
    assert "root:" not in text
