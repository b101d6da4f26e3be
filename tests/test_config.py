from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.errors import ConfigError
from newsletter.registry import ProviderRegistry
from newsletter.sections.blogs.provider import BlogsOptions, BlogsProvider

MINIMAL = """\
[newsletter]
title = "Bar Weekly"
timezone = "UTC"

[[section]]
id = "blogs"
title = "From the blogs"
provider = "blogs"
feeds = ["feeds/planet.xml", { url = "https://example.org/atom.xml", name = "Example" }]
"""


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "newsletter.toml"
    path.write_text(text, "utf-8")
    return load_config(path, ProviderRegistry([BlogsProvider]))


def test_the_minimal_shape_works_as_written(tmp_path: Path) -> None:
    config = _load(tmp_path, MINIMAL)
    section = config.sections[0]  # type: ignore[attr-defined]
    assert (section.id, section.title, section.provider) == ("blogs", "From the blogs", "blogs")
    assert isinstance(section.options, BlogsOptions)
    feeds = section.options.feed_list()
    assert [(f.url, f.name) for f in feeds] == [
        ("feeds/planet.xml", ""),
        ("https://example.org/atom.xml", "Example"),
    ]
    assert config.newsletter.closes_on == "sunday"  # type: ignore[attr-defined]


def test_every_mistake_is_reported_at_once_with_its_key_path(tmp_path: Path) -> None:
    text = """\
[newsletter]
title = "Bar Weekly"
timezone = "Mars/Olympus"
colour = "blue"

[[section]]
id = "blogs"
provider = "blogs"
feeds = ["a.xml"]
sumary_words = 10

[[section]]
id = "events"
provider = "calendar"

[[section]]
id = "blogs"
provider = "blogs"
feeds = [{ name = "no url" }]

[extras]
"""
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    problems = caught.value.problems
    joined = "\n".join(problems)
    assert "extras: unknown table or key" in joined
    assert "newsletter.timezone" in joined and "Mars/Olympus" in joined
    assert "newsletter.colour: unknown key" in joined
    assert "section[0] (blogs).sumary_words: unknown key" in joined
    assert "summary_words" in joined  # the allowed keys are suggested
    assert "unknown provider 'calendar'; installed: blogs" in joined
    assert "section[2] (blogs).feeds.0" in joined
    assert len(problems) >= 6
    assert str(tmp_path / "newsletter.toml") in str(caught.value)


def test_duplicate_section_ids_are_refused(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[section]]\nid = "blogs"\nprovider = "blogs"\nfeeds = ["x"]\n'
    with pytest.raises(ConfigError, match="used by another section"):
        _load(tmp_path, text)


def test_toml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, '[newsletter]\ntitle = "unterminated\n')
    assert "line 2" in caught.value.problems[0]


def test_an_invalid_title_regex_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="regular expression"):
        _load(tmp_path, MINIMAL + 'exclude_title = "(unclosed"\n')
