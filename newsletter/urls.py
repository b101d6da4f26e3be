"""Canonical URLs, so the same post reached by different links is recognised."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_hsenc",
     "_hsmi", "ref_src", "spm"}
)  # fmt: skip


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMS


def tracking_params(url: str) -> list[str]:
    """The names of ``url``'s tracking parameters (``utm_*``, ``fbclid``…), sorted."""
    query = urlsplit(url.strip()).query
    return sorted({k for k, _ in parse_qsl(query, keep_blank_values=True) if _is_tracking(k)})


def clean_url(url: str) -> str:
    """``url`` without tracking parameters (``utm_*``, ``fbclid``…) — fit to show."""
    parts = urlsplit(url.strip())
    if not parts.query:
        return url.strip()
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _is_tracking(k)]  # fmt: skip
    return urlunsplit(parts._replace(query=urlencode(query)))


def canonical_url(url: str) -> str:
    """A key for ``url``: no scheme, lower-case host, no default port, ``www.``, fragment,
    tracking parameters or trailing slash. Not a URL to show."""
    parts = urlsplit(clean_url(url))
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/") or ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{netloc}{path}{query}"
