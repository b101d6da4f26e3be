"""The email's look, set in ``newsletter.toml``'s ``[theme]`` table without touching templates.

Every value reaches CSS or an HTML attribute, so each is checked for shape here: colours
are ``#rgb``/``#rrggbb``, the font stack holds only names, the logo is an absolute
http(s) URL. ``contrast_problems`` names pairs below WCAG AA (4.5:1 for body text).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FONTS = re.compile(r"^[A-Za-z0-9 ,'\"-]+$")
SYSTEM_FONTS = (
    "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
    "'Noto Sans', sans-serif"
)
AA = 4.5

COLOURS = (
    "accent",
    "header_background",
    "header_text",
    "background",
    "surface",
    "text",
    "muted",
    "link",
    "dark_background",
    "dark_surface",
    "dark_text",
    "dark_muted",
    "dark_link",
)


class Theme(BaseModel):
    """Colours (light, and dark for readers whose mail client prefers it), fonts, a logo."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accent: str = Field("#0b5cad", description="section rules and the notes' bar")
    header_background: str = "#0f2a44"
    header_text: str = "#ffffff"
    background: str = Field("#eef1f5", description="around the 600 px column")
    surface: str = Field("#ffffff", description="behind the content")
    text: str = "#1f2933"
    muted: str = Field("#52606d", description="dates, authors, the footer")
    link: str = "#0b5cad"
    dark_background: str = "#0d1117"
    dark_surface: str = "#161b22"
    dark_text: str = "#e6edf3"
    dark_muted: str = "#9da7b3"
    dark_link: str = "#6cb6ff"
    font_family: str = SYSTEM_FONTS
    logo_url: str = Field("", description="absolute http(s) URL of an image above the title")
    logo_alt: str = Field("", description="the logo's text alternative (default: the title)")
    logo_width: int = Field(120, ge=16, le=600, description="pixels")

    @field_validator(*COLOURS)
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError(f"{value!r} is not a colour like '#0b5cad' or '#fff'")
        return value.lower()

    @field_validator("font_family")
    @classmethod
    def _fonts(cls, value: str) -> str:
        if not _FONTS.match(value):
            raise ValueError('a comma-separated list of font names, e.g. "Georgia, serif"')
        return value

    @field_validator("logo_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if value and (
            urlsplit(value).scheme not in {"http", "https"} or not urlsplit(value).netloc
        ):
            raise ValueError("must be an absolute http(s) URL: mail clients cannot load files")
        return value

    @model_validator(mode="after")
    def _readable(self) -> Theme:
        # An unreadable theme is refused up front rather than sent to every reader.
        problems = contrast_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _luminance(colour: str) -> float:
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = []
    for i in range(0, 6, 2):
        c = int(digits[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    a, b = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


PAIRS = (
    ("text", "surface"),
    ("muted", "surface"),
    ("link", "surface"),
    ("muted", "background"),
    ("link", "background"),
    ("header_text", "header_background"),
    ("dark_text", "dark_surface"),
    ("dark_muted", "dark_surface"),
    ("dark_link", "dark_surface"),
    ("dark_muted", "dark_background"),
    ("dark_link", "dark_background"),
)


def contrast_problems(theme: Theme) -> list[str]:
    """One line per foreground/background pair of ``theme`` below WCAG AA."""
    problems = []
    for fg, bg in PAIRS:
        ratio = contrast(getattr(theme, fg), getattr(theme, bg))
        if ratio < AA:
            problems.append(f"{fg} on {bg} has contrast {ratio:.2f}:1, below AA ({AA}:1)")
    return problems
