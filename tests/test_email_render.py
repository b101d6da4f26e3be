"""The email, Markdown and text renderings of the example issue, and the theme."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from newsletter.config import load_config
from newsletter.draft.file import load_draft
from newsletter.errors import ConfigError
from newsletter.registry import ProviderRegistry
from newsletter.render import renderer_for
from newsletter.render.renderer import Renderer, RenderSettings
from newsletter.theme import Theme, contrast, contrast_problems
from tests.conftest import EXAMPLE

DRAFT = EXAMPLE / "drafts" / "2011-W26.yaml"
GMAIL_CLIP = 102 * 1024


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Nesting(HTMLParser):
    """The deepest nesting of MJML sections (600 px wide blocks) in compiled HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.deepest = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        self.stack.append(tag == "div" and "max-width:600px" in (dict(attrs).get("style") or ""))
        self.deepest = max(self.deepest, sum(self.stack))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()


def section_depth(html: str) -> int:
    parser = _Nesting()
    parser.feed(html)
    return parser.deepest


def example_renderer(**settings: Any) -> Renderer:
    config = load_config(EXAMPLE / "newsletter.toml", ProviderRegistry.from_entry_points())
    renderer = renderer_for(EXAMPLE, config)
    for key, value in settings.items():
        setattr(renderer.settings, key, value)
    return renderer


@pytest.fixture(scope="module")
def html() -> str:
    renderer = example_renderer()
    renderer.settings.extra["unsubscribe_url"] = "https://lists.example.org/unsubscribe"
    return renderer.render(load_draft(DRAFT), "html")


def test_email_is_self_contained_and_small(html: str) -> None:
    assert len(html.encode()) < GMAIL_CLIP
    found = tags(html)
    assert not [t for t, a in found if t == "script"]
    assert not [a for t, a in found if t == "link"], "no external stylesheet (Google Fonts)"
    assert "googleapis" not in html
    assert any(t == "html" and a.get("lang") == "en" for t, a in found)
    metas = {a.get("name"): a.get("content") for t, a in found if t == "meta"}
    assert metas["color-scheme"] == "light dark"
    assert "prefers-color-scheme: dark" in html


def test_every_link_is_absolute(html: str) -> None:
    hrefs = [a["href"] or "" for t, a in tags(html) if t == "a" and "href" in a]
    assert hrefs
    assert all(re.match(r"^(https?://|mailto:)", href) for href in hrefs), hrefs


def test_preheader_header_and_footer(html: str) -> None:
    assert "This weekly newsletter is a way for the community" in html.split("<h1", 1)[0]
    assert "June 25 – July 1, 2011" in html
    assert 'href="https://newsletter.openstack.example.org/2011-W26/"' in html
    assert ">View in your browser<" in html
    assert 'href="https://newsletter.openstack.example.org/"' in html
    assert re.search(r'href="https://lists.example.org/unsubscribe"[^>]*>Unsubscribe<', html)


def test_web_variant_has_no_preheader_or_unsubscribe() -> None:
    renderer = example_renderer()
    renderer.settings.extra["unsubscribe_url"] = "https://lists.example.org/unsubscribe"
    page = renderer.render(load_draft(DRAFT), "html", web=True)
    assert "Unsubscribe" not in page
    assert "View in your browser" not in page
    assert ">All issues<" in page
    assert "display:none" not in page.split("<h1", 1)[0]


def test_no_unsubscribe_link_without_one_configured() -> None:
    renderer = example_renderer()
    renderer.settings.extra.pop("unsubscribe_url", None)
    page = renderer.render(load_draft(DRAFT), "html")
    assert "Unsubscribe" not in page


def test_a_rendering_for_nobody_leaves_the_recipient_out_of_the_link() -> None:
    renderer = example_renderer()
    renderer.settings.extra["unsubscribe_url"] = "https://x.example/u?email={email}"
    page = renderer.render(load_draft(DRAFT), "html")
    assert 'href="https://x.example/u?email="' in page and "{email}" not in page
    assert renderer.unsubscribe_url("ann@x.example") == "https://x.example/u?email=ann%40x.example"


def test_theme_reaches_the_email_and_logo_has_alt() -> None:
    theme = Theme(
        header_background="#5b1a1a",
        link="#8a1c1c",
        font_family="Georgia, 'Times New Roman', serif",
        logo_url="https://example.org/logo.png",
        logo_alt="Bar logo",
    )
    page = Renderer(settings=RenderSettings(theme=theme)).render(load_draft(DRAFT), "html")
    assert "#5b1a1a" in page
    links = [a for t, a in tags(page) if t == "a"]
    assert links and all(re.search(r"color:\s*#8a1c1c", a.get("style") or "") for a in links)
    assert "Georgia, 'Times New Roman', serif" in page
    images = [a for t, a in tags(page) if t == "img"]
    assert [(i["src"], i["alt"]) for i in images] == [("https://example.org/logo.png", "Bar logo")]


def test_logo_alt_defaults_to_the_title() -> None:
    theme = Theme(logo_url="https://example.org/logo.png")
    page = Renderer(settings=RenderSettings(theme=theme)).render(load_draft(DRAFT), "html")
    (image,) = [a for t, a in tags(page) if t == "img"]
    assert image["alt"] == "OpenStack Community Weekly Newsletter"


def test_default_theme_meets_aa() -> None:
    assert contrast_problems(Theme()) == []
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_bad_theme_values_are_config_errors(make_workspace: Any) -> None:
    ws = make_workspace(
        extra='[theme]\nlink = "red; background: url(x)"\ntext = "#eeeeee"\n'
        'logo_url = "logo.png"\nfont_family = "x</style>"\nsparkle = 1\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(ws / "newsletter.toml", ProviderRegistry.from_entry_points())
    problems = "\n".join(caught.value.problems)
    assert "theme.link" in problems
    assert "theme.logo_url" in problems
    assert "theme.font_family" in problems
    assert "theme.sparkle: unknown key" in problems


def test_unreadable_theme_is_refused(make_workspace: Any) -> None:
    ws = make_workspace(extra='[theme]\ntext = "#cccccc"\n')
    with pytest.raises(ConfigError, match=r"text on surface has contrast 1\.6\d:1, below AA"):
        load_config(ws / "newsletter.toml", ProviderRegistry.from_entry_points())


@pytest.mark.parametrize(
    "partial",
    [
        "{% for item in section.included %}<mj-text>OVERRIDE {{ item.title }}</mj-text>"
        "{% endfor %}",
        # The older contract, where a partial emitted its own sections, still works.
        "{% for item in section.included %}<mj-section><mj-column><mj-text>"
        "OVERRIDE {{ item.title }}</mj-text></mj-column></mj-section>{% endfor %}",
    ],
    ids=["column-content", "own-sections"],
)
def test_a_workspace_template_overrides_one_partial(tmp_path: Path, partial: str) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns("out", ".newsletter"))
    path = ws / "templates" / "email" / "sections" / "blogs.mjml.j2"
    path.parent.mkdir(parents=True)
    path.write_text(partial + "\n")
    config = load_config(ws / "newsletter.toml", ProviderRegistry.from_entry_points())
    page = renderer_for(ws, config).render(load_draft(DRAFT), "html")
    assert "OVERRIDE Diablo-2 milestone released" in page
    assert "ISSUE 2011-W26" in page  # the rest is still built-in
    assert section_depth(page) == 1  # no section ended up inside another's column
    # the overridden items sit between their own heading and the next section's
    blogs, events = page.index(">From the blogs</h2>"), page.index(">Upcoming events</h2>")
    assert blogs < page.index("OVERRIDE Diablo-2 milestone released") < events


# --- Markdown -------------------------------------------------------------------------


def _body(markdown: str) -> str:
    match = re.match(r"\A(\+\+\+|---)\n.*?\n\1\n\n", markdown, re.S)
    return markdown[match.end() :] if match else markdown


@pytest.mark.parametrize("style", ["none", "hugo", "jekyll"])
def test_markdown_is_stable_commonmark(style: str) -> None:
    draft = load_draft(DRAFT)
    renderer = example_renderer(front_matter=style)
    first = renderer.render(draft, "md")
    assert first == example_renderer(front_matter=style).render(load_draft(DRAFT), "md")
    tokens = MarkdownIt("commonmark").parse(_body(first))
    headings = [t.tag for t in tokens if t.type == "heading_open"]
    assert headings[0] == "h1" and headings.count("h1") == 1
    assert "h2" in headings
    hrefs = {
        str(child.attrs["href"])
        for token in tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "link_open"
    }
    included = {i.url for s in draft.sections for i in s.included if i.url}
    assert included <= hrefs


def test_hugo_front_matter_is_toml() -> None:
    import tomllib

    markdown = example_renderer(front_matter="hugo").render(load_draft(DRAFT), "md")
    assert markdown.startswith("+++\n")
    fields = tomllib.loads(markdown.split("+++\n")[1])
    assert fields["date"] == "2011-07-01"
    assert fields["issue"] == "2011-W26"
    assert fields["url"] == "https://newsletter.openstack.example.org/2011-W26/"
    assert fields["title"].startswith("OpenStack Community Weekly Newsletter — June 25")


def test_jekyll_front_matter_is_yaml_and_quotes_anything() -> None:
    from ruamel.yaml import YAML

    draft = load_draft(DRAFT)
    draft.title = 'Bar: "weekly" # news\nreally'
    markdown = example_renderer(front_matter="jekyll").render(draft, "md")
    assert markdown.startswith("---\n")
    fields = YAML(typ="safe").load(markdown.split("---\n")[1])
    assert fields["title"].startswith('Bar: "weekly" # news\nreally — ')
    assert str(fields["date"]) == "2011-07-01"


def test_front_matter_setting_is_validated(make_workspace: Any) -> None:
    ws = make_workspace(extra='[render]\nfront_matter = "gatsby"\n')
    with pytest.raises(ConfigError, match=r"render\.front_matter"):
        load_config(ws / "newsletter.toml", ProviderRegistry.from_entry_points())


# --- Plain text -----------------------------------------------------------------------


def test_plain_text_reads_well_in_a_terminal() -> None:
    renderer = example_renderer()
    renderer.settings.extra["unsubscribe_url"] = "https://lists.example.org/unsubscribe"
    text = renderer.render(load_draft(DRAFT), "txt")
    lines = text.splitlines()
    references = re.compile(r"^\[\d+\] \S+$")
    assert all(len(line) <= 72 for line in lines if not references.match(line)), [
        line for line in lines if len(line) > 72
    ]
    assert "-" * 72 in lines
    assert "FROM THE BLOGS" in lines
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", text.split("\nLinks\n")[0])]
    listed = [line for line in text.split("\nLinks\n")[1].splitlines() if references.match(line)]
    assert sorted(set(numbers)) == list(range(1, len(listed) + 1))
    assert "http://fnords.wordpress.com/2011/07/01/diablo-2-milestone-released/" in text
    assert "View in your browser: https://newsletter.openstack.example.org/2011-W26/" in text
    assert "Unsubscribe: https://lists.example.org/unsubscribe" in text
    assert "<" not in text.replace("<community@openstack.org>", "")


def styles(html: str) -> str:
    return "".join(re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL))


def test_the_css_is_inlined_and_only_what_cannot_be_stays_in_style() -> None:
    page = Renderer().render(load_draft(DRAFT), "html")
    found = tags(page)
    # Each class the stylesheet styles carries its declarations on the element itself.
    meta = [a for _, a in found if "meta" in (a.get("class") or "").split()]
    assert meta and all("color: #52606d" in (a.get("style") or "") for a in meta)
    h3 = [a for t, a in found if t == "h3"]
    assert h3 and all("font-size: 18px" in (a.get("style") or "") for a in h3)
    # The inlined rules are not in <style> a second time; dark mode and hover are.
    kept = styles(page)
    assert ".meta { color" not in kept and "h3 { font-size" not in kept
    assert "prefers-color-scheme: dark" in kept and "h3 a:hover" in kept
    # An element's own style wins over the stylesheet: the header's title stays white.
    (h1,) = [a for t, a in found if t == "h1"]
    assert "font-size:28px" in (h1.get("style") or "").replace(" ", "")


def test_an_override_of_the_styles_block_is_inlined_too(tmp_path: Path) -> None:
    (tmp_path / "templates" / "email").mkdir(parents=True)
    (tmp_path / "templates" / "email" / "issue.mjml.j2").write_text(
        '{% extends "builtin:email/issue.mjml.j2" %}'
        "{% block styles %}{{ super() }} h2 { letter-spacing: 0.5px; }{% endblock %}"
    )
    page = Renderer(tmp_path).render(load_draft(DRAFT), "html")
    h2 = [a for t, a in tags(page) if t == "h2"]
    assert h2 and all("letter-spacing: 0.5px" in (a.get("style") or "") for a in h2)
    assert "letter-spacing: 0.5px" not in styles(page)
