"""The example's email in a real browser (Debian's chromium driven by Playwright) at
phone and desktop widths. Screenshots go to test-artifacts/ for a person to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter.config import load_config
from newsletter.draft.file import load_draft
from newsletter.registry import ProviderRegistry
from newsletter.render import renderer_for
from tests.conftest import EXAMPLE

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="chromium is not installed (scripts/install-system-deps.sh)"
)


@pytest.fixture(scope="module")
def email(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = load_config(EXAMPLE / "newsletter.toml", ProviderRegistry.from_entry_points())
    renderer = renderer_for(EXAMPLE, config)
    renderer.settings.extra["unsubscribe_url"] = "https://lists.openstack.example.org/unsubscribe"
    html = renderer.render(load_draft(EXAMPLE / "drafts" / "2011-W26.yaml"), "html")
    path = tmp_path_factory.mktemp("email") / "2011-W26.html"
    path.write_text(html, "utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


def _open(browser: Any, email: Path, width: int, scheme: str = "light") -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(email.as_uri())
    return page


@pytest.mark.parametrize("width", [375, 600])
def test_email_fits_the_screen(browser: Any, email: Path, width: int) -> None:
    page = _open(browser, email, width)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"email-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    content = page.evaluate("document.querySelector('h1').getBoundingClientRect().width")
    assert content > width * 0.7  # the column fills a phone; it is not a shrunken desktop
    page.close()


def test_email_images_links_and_size(browser: Any, email: Path) -> None:
    page = _open(browser, email, 600)
    images = page.evaluate("[...document.images].map(i => i.getAttribute('alt'))")
    assert all(alt for alt in images)
    hrefs = page.evaluate(
        "[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
    )
    assert hrefs
    assert [h for h in hrefs if not h.startswith(("http://", "https://", "mailto:"))] == []
    assert page.evaluate("document.documentElement.lang") == "en"
    assert len(email.read_bytes()) < 102 * 1024
    # The preheader is in the document but not on screen.
    assert page.evaluate(
        "[...document.querySelectorAll('body > div')].some(d => "
        "getComputedStyle(d).display === 'none' && d.textContent.includes('weekly newsletter'))"
    )
    page.close()


def test_dark_mode_darkens_the_content(browser: Any, email: Path) -> None:
    page = _open(browser, email, 375, scheme="dark")
    page.screenshot(path=str(ARTIFACTS / "email-375-dark.png"), full_page=True)
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.surface')).backgroundColor"
    )
    text = page.evaluate("getComputedStyle(document.querySelector('.surface td div')).color")
    assert background == "rgb(22, 27, 34)"  # the theme's dark_surface
    assert text == "rgb(230, 237, 243)"  # its dark_text
    page.close()


@pytest.fixture(scope="module")
def stripped(email: Path) -> Path:
    """The email as the Gmail app shows it with a non-Google account: every <style>
    element gone (and with it classes' rules and media queries)."""
    html = re.sub(r"<style\b[^>]*>.*?</style>", "", email.read_text("utf-8"), flags=re.DOTALL)
    assert "<style" not in html
    path = email.with_name("2011-W26-no-style.html")
    path.write_text(html, "utf-8")
    return path


def _style(page: Any, selector: str, prop: str) -> list[str]:
    return list(
        page.evaluate(
            f"[...document.querySelectorAll({selector!r})]"
            f".map(e => getComputedStyle(e).getPropertyValue({prop!r}))"
        )
    )


@pytest.mark.parametrize("width", [375, 600])
def test_without_any_style_element_the_email_keeps_its_look(
    browser: Any, stripped: Path, width: int
) -> None:
    page = _open(browser, stripped, width)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"email-{width}-no-style.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Colours: the muted metadata, the links, the header.
    assert set(_style(page, ".meta", "color")) == {"rgb(82, 96, 109)"}
    assert set(_style(page, ".surface a", "color")) == {"rgb(11, 92, 173)"}
    assert set(_style(page, ".up", "color")) == {"rgb(47, 133, 90)"}
    # The stats tables: labels left, figures right, changes centred; the charts' bars.
    assert set(_style(page, ".st td:first-child", "text-align")) == {"left"}
    assert set(_style(page, ".st td.v", "text-align")) == {"right"}
    assert set(_style(page, ".st td.c", "text-align")) == {"center"}
    assert set(_style(page, ".st th + th:not(.c)", "text-align")) == {"right"}
    bars = page.evaluate(
        "[...document.querySelectorAll('.chart .bar table')].map(t => t.offsetWidth)"
    )
    assert bars and min(bars) > 0 and len(set(bars)) > 3  # drawn, to scale
    assert set(_style(page, "h3", "font-weight")) == {"600"}
    page.close()


def test_dark_mode_still_wins_over_the_inlined_colours(browser: Any, email: Path) -> None:
    page = _open(browser, email, 600, scheme="dark")
    assert set(_style(page, ".surface .meta", "color")) == {"rgb(157, 167, 179)"}
    assert set(_style(page, ".surface a", "color")) == {"rgb(108, 182, 255)"}
    page.close()
