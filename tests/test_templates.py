"""Template lookup: workspace, then each provider's own partials, then the built-ins;
blocks to override one part; errors that say where they looked."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.errors import RenderError
from newsletter.registry import ProviderRegistry
from newsletter.render.loader import ProviderTemplates, builtin_folder
from newsletter.render.renderer import Renderer
from tests.drafts import sample_draft


def _renderer(workspace: Path, folders: dict[str, Path] | None = None) -> Renderer:
    if folders is None:
        folders = ProviderRegistry.from_entry_points().template_folders()
    return Renderer(workspace, template_folders=folders)


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def test_the_built_in_providers_ship_their_own_partials() -> None:
    folders = ProviderRegistry.from_entry_points().template_folders()
    assert set(folders) >= {"blogs", "events", "mailing_lists", "stats"}
    for folder in folders.values():
        assert sorted(p.name for p in folder.glob("*.*.j2")) == [
            "email.mjml.j2",
            "markdown.md.j2",
            "text.txt.j2",
        ]


def test_an_override_extends_the_original_and_restyles_one_block(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "templates/email/issue.mjml.j2",
        '{% extends "builtin:email/issue.mjml.j2" %}\n'
        "{% block footer %}{{ super() }}<mj-section><mj-column><mj-text>"
        "Made by the Bar community</mj-text></mj-column></mj-section>{% endblock %}\n",
    )
    _write(
        tmp_path,
        "templates/markdown/issue.md.j2",
        '{% extends "builtin:markdown/issue.md.j2" %}\n'
        "{% block section %}## [{{ section.title }}]\n{% endblock %}\n",
    )
    draft = sample_draft()
    renderer = _renderer(tmp_path)
    html = renderer.render(draft, "html")
    original = _renderer(tmp_path / "elsewhere").render(draft, "html")
    assert "Made by the Bar community" in html
    assert "Made by the Bar community" not in original
    # Everything else is the original's: the header, the sections, the unsubscribe row.
    assert html.count("Item 1") == original.count("Item 1") > 0
    assert "ISSUE 2026-W47" in html
    markdown = renderer.render(draft, "md")
    assert "## [From the blogs]" in markdown and "## [Events]" in markdown
    assert "Item 1" not in markdown  # the block replaced the sections' partials


def test_the_workspace_overrides_a_provider_partial(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "templates/text/sections/blogs.txt.j2",
        "{% for item in section.included %}* {{ item.title }}\n{% endfor %}",
    )
    text = _renderer(tmp_path).render(sample_draft(), "txt")
    assert "* Item 1\n* Item 2\n" in text


def test_a_provider_answers_only_for_its_own_name(tmp_path: Path) -> None:
    folder = tmp_path / "weather"
    _write(folder, "email.mjml.j2", "<mj-text>weather</mj-text>")
    _write(folder, "macros.j2", "{% macro sky() %}clear{% endmacro %}")
    loader = ProviderTemplates({"weather": folder})
    assert loader.locate("email/sections/weather.mjml.j2") == folder / "email.mjml.j2"
    assert loader.locate("sections/weather/macros.j2") == folder / "macros.j2"
    for other in (
        "email/issue.mjml.j2",
        "email/sections/blogs.mjml.j2",
        "sections/blogs/macros.j2",
        "sections/weather/../../secret.j2",
    ):
        assert loader.locate(other) is None, other


def test_a_missing_template_names_every_place_it_looked(tmp_path: Path) -> None:
    _write(tmp_path, "templates/text/issue.txt.j2", '{% include "text/sections/blogs.txt.j2" %}')
    with pytest.raises(RenderError) as raised:
        _renderer(tmp_path, folders={}).render(sample_draft(), "txt")
    message = str(raised.value)
    assert "text/sections/blogs.txt.j2 not found" in message
    assert str(tmp_path / "templates" / "text/sections/blogs.txt.j2") in message
    assert str(builtin_folder() / "text/sections/blogs.txt.j2") in message


def test_a_broken_template_names_its_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "templates/markdown/issue.md.j2", "# {{ draft.title }}\n{{ 1 / 0 }}\n")
    with pytest.raises(RenderError) as raised:
        _renderer(tmp_path).render(sample_draft(), "md")
    assert "markdown/issue.md.j2:2: ZeroDivisionError" in str(raised.value)
    _write(tmp_path, "templates/markdown/issue.md.j2", "{% for x in %}")
    with pytest.raises(RenderError) as raised:
        _renderer(tmp_path).render(sample_draft(), "md")
    assert "markdown/issue.md.j2:1:" in str(raised.value)


@pytest.mark.parametrize("provider", ["blogs", "events", "mailing_lists", "stats", "inbox"])
def test_a_hand_added_item_without_author_date_or_link_renders_cleanly(
    tmp_path: Path, provider: str
) -> None:
    """What `curate`'s a key adds (a title and text, nothing else) reads as well as a
    gathered item: no empty emphasis, empty link, dangling separator or blank byline."""
    from newsletter.model import Item, Section

    bare = Item(id="hand-1", title="Our meetup", summary="Come along.")
    draft = sample_draft(
        sections=[Section(id="s", title="Section", provider=provider, items=[bare])]
    )
    renderer = _renderer(tmp_path)
    markdown = renderer.render(draft, "md")
    text = renderer.render(draft, "txt")
    html = renderer.render(draft, "html")
    assert "Our meetup" in markdown and "Come along." in markdown
    for junk in ("****", "](<>)", "[Our meetup]()", "* *", "— ·", " · \n"):
        assert junk not in markdown, (junk, markdown)
    lines = [line.strip() for line in markdown.splitlines()]
    assert "**" not in lines and "*" not in lines
    assert "Our meetup" in text and "—  " not in text and " ·\n" not in text
    assert "Our meetup" in html and ">·" not in html and "> ·" not in html
