"""Canonical URLs, so the same post reached by different links is recognised."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_hsenc",
     "_hsmi", "ref_src", "spm"}
)  # fmt: skip


def split_url(url: str) -> SplitResult:
    """``urlsplit(url)`` with its port read too, so that a URL urllib cannot use raises
    ValueError here, where it came in, rather than deep in a request: an unclosed IPv6
    bracket (``http://[broken``) or a port no URL can have (``:99999``). Such URLs come
    from strangers' feeds and hand-edited drafts."""
    parts = urlsplit(url)
    parts.port  # noqa: B018 - reading it raises for a port past 65535
    return parts


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
    tracking parameters or trailing slash. Not a URL to show. A URL urllib cannot read
    (``http://[broken``, a port past 65535) is its own key: it comes from a stranger's
    feed or a hand-edited draft, and must cost no more than its own item."""
    try:
        parts = split_url(clean_url(url))
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port if parts.port not in (80, 443) else None
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/") or ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{netloc}{path}{query}"


# ---------------------------------------------------------------- the one rule for URLs

SCHEMES = frozenset({"http", "https", "mailto"})
"""The only schemes a link may have, wherever it came from (a source or the draft)."""

# What a browser percent-encodes in a URL anyway, plus what would end a URL early in the
# formats we write: a quote in an HTML attribute, ``>`` in a Markdown ``<destination>``,
# braces a static-site generator reads as a template tag, any control or space.
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>\\^`{|}\u2028\u2029]")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#]*@")

SECRET_NAME = re.compile(
    r"(?i)(?:token|secret|key|passw(?:or)?d|cookie|session|sig|signature|credentials?"
    r"|authori[sz]ation|auth)(?:id)?\d*(?![a-z])"
)
"""A header or query parameter named like a credential: a word ending in token, key,
secret, password, cookie, session, sig(nature), credential or auth(orization) —
``PRIVATE-TOKEN``, ``X-API-Key``, ``access_token``, ``apikey``, ``X-Amz-Signature`` —
but not ``keyword`` or ``author``."""

# A query parameter, wherever it is in a text; a value stops at "?" so a URL inside
# another's query has its own parameters judged.
_PARAMETER = re.compile(r"(?<=[?&;])([^=&#?;\s]+)=([^&#?;\s'\"<>)\]]+)")


def redact(text: str) -> str:
    """``text`` (a URL, a problem, git's message, a log line) with credentials taken out
    of every URL in it, one inside another's query too: ``https://user:token@host/x``
    becomes ``https://host/x``, and ``?private_token=abc&page=2`` becomes
    ``?private_token=***&page=2`` (any parameter named like a secret, see
    :data:`SECRET_NAME`)."""
    if "@" in text:
        text = _USERINFO.sub(r"\1", text)
    if "=" in text:
        text = _PARAMETER.sub(_hide_secret, text)
    return text


def _hide_secret(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"{name}=***" if SECRET_NAME.search(name) else match.group(0)


def safe_url(url: str, base: str = "") -> str | None:
    """``url`` if it may be a link in an issue, else ``None``.

    Only absolute ``http``, ``https`` and ``mailto`` URLs pass; a relative one is
    resolved against ``base`` first (the page it came from), and without a base it does
    not pass. Credentials are removed, and the characters that could end the URL early
    in HTML, Markdown or a template (quotes, ``<>``, braces, spaces, controls) are
    percent-encoded, so the result can go anywhere unescaped but for HTML's ``&``."""
    text = url.strip()
    if not text:
        return None
    try:
        if base:
            text = urljoin(base, text)
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        return None
    if scheme == "mailto":
        if not parts.path or "@" not in parts.path:
            return None
        return "mailto:" + _UNSAFE.sub(_percent, text[len(parts.scheme) + 1 :])
    try:
        split_url(text)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    rest = text[len(parts.scheme) + 3 :]  # after "scheme://"
    return f"{scheme}://" + _UNSAFE.sub(_percent, redact(f"x://{rest}")[4:])


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8"))
