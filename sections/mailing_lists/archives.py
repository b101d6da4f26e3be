"""Where each kind of archive keeps a window's messages, and each thread's page.

* **pipermail** (Mailman 2): the index links one file per month (``2011-June.txt.gz``);
  each month's ``date.html`` lists its messages' pages (``000123.html``) in the order
  the month's file holds them.
* **Hyperkitty** (Mailman 3): an mbox export of any span of days; a thread's page is
  named by the base32 SHA-1 of the Message-ID that started it.
* **public-inbox** (the Linux kernel's, git's… archives): a search (``d:`` days) exported
  as mbox.gz, whole threads included (``t=1``); answered only to a POST. A message's
  page is the inbox URL and its Message-ID.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import html
import re
from datetime import UTC, timedelta
from urllib.parse import quote

from newsletter import Window

MONTH_NAMES = tuple(calendar.month_name)[1:]  # English, whatever the locale
_MONTH_CHOICE = "|".join(MONTH_NAMES)
PIPERMAIL_MONTH = re.compile(rf"""href=["']?((\d{{4}})-({_MONTH_CHOICE})\.txt(?:\.gz)?)["'>\s]""")
_MOD_MBOX_MONTH = re.compile(r"""href=["']?(\d{6})\.mbox\b""")
# <LI><A HREF="000123.html">[Dev] Subject
# </A><A NAME="123">&nbsp;</A>
# <I>Author Name
# </I>
# The first </A>, then the first <I>, each taken for good (atomic groups): a page of
# "</A>"s and "<I>"s with no "</I>" would otherwise be tried in every combination,
# seconds for each entry-like line, on the event loop.
_INDEX_ENTRY = re.compile(
    r"""<LI><A\s+HREF="(\d{1,9})\.html">(?>(.{0,2000}?)</A>)(?>.{0,300}?<I>)(.{0,500}?)</I>""",
    re.I | re.S,
)
_LIST_TAGS = re.compile(r"\[[^\]]{1,40}\]\s*")
# public-inbox's mid_escape: everything but these is percent-encoded in its URLs.
_MID_SAFE = "-._~!$&'()*+,;=:@"


def pipermail_months(index: str) -> dict[tuple[int, int], str]:
    """(year, month) → the monthly archive file the index links (gzip preferred)."""
    listed: dict[tuple[int, int], str] = {}
    for href, year, month in PIPERMAIL_MONTH.findall(index):
        key = (int(year), MONTH_NAMES.index(month) + 1)
        if key not in listed or href.endswith(".gz"):  # the smaller download
            listed[key] = href
    return listed


def not_pipermail(index: str) -> str:
    """Why a page that links no monthly archive is not a pipermail index."""
    mod_mbox = _MOD_MBOX_MONTH.search(index)
    if mod_mbox:
        return (
            'not a pipermail index but an Apache mod_mbox archive: use kind = "mbox" '
            f"with url = its monthly file ({mod_mbox.group(1)}.mbox)"
        )
    return (
        "not a pipermail index: it links no monthly archive (2011-June.txt.gz); "
        "is it the list's …/pipermail/<list>/ page?"
    )


def index_entries(page: str) -> list[tuple[str, str, str]]:
    """(page file, subject, author) of each message a month's date.html lists, in the
    order of their numbers (the order the month's archive file holds them)."""
    found = [
        (int(number), f"{number}.html", _text(subject), _text(author))
        for number, subject, author in _INDEX_ENTRY.findall(page)
    ]
    return [(href, subject, author) for _, href, subject, author in sorted(found)]


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]{0,200}>", "", fragment)).split())


def page_of(entries: list[tuple[str, str, str]], position: int, subject: str, author: str) -> str:
    """The page file of the message at ``position`` in its month's archive.

    The entry at the same position, when its subject and author agree; else the one
    with that subject and author nearest the position (a message the index leaves out
    shifts the others); ``""`` when none matches. Subjects are compared without list
    tags, which a list may add or not, but with their "Re:", which tells a thread's
    first message from its replies."""
    wanted = (_bare(subject), author.casefold())

    def agrees(entry: tuple[str, str, str]) -> bool:
        return _bare(entry[1]) == wanted[0] and (not author or entry[2].casefold() == wanted[1])

    if 0 <= position < len(entries) and agrees(entries[position]):
        return entries[position][0]
    candidates = [
        (abs(index - position), entry[0]) for index, entry in enumerate(entries) if agrees(entry)
    ]
    return min(candidates)[1] if candidates else ""


def _bare(subject: str) -> str:
    return " ".join(_LIST_TAGS.sub("", subject).casefold().split())


def hyperkitty_export(base: str, name: str, window: Window) -> str:
    """The list's mbox export for the window's days (a day of margin on each side)."""
    start = (window.start.astimezone(UTC) - timedelta(days=1)).date()
    end = (window.end.astimezone(UTC) + timedelta(days=1)).date()
    name = re.sub(r"[^\w.-]", "_", name)
    return f"{base}export/{name}.mbox.gz?start={start.isoformat()}&end={end.isoformat()}"


def hyperkitty_hash(message_id: str) -> str:
    """Hyperkitty's id for a message: base32 of the SHA-1 of its bare Message-ID."""
    digest = hashlib.sha1(message_id.strip().strip("<>").encode()).digest()
    return base64.b32encode(digest).decode()


def hyperkitty_thread(base: str, starter_id: str) -> str:
    """A Hyperkitty thread's page: named by the message that started it."""
    return f"{base}thread/{hyperkitty_hash(starter_id)}/"


def public_inbox_search(base: str, window: Window) -> str:
    """public-inbox's mbox.gz of the window's days (a day of margin on each side), whole
    threads included, so a thread started before the week still has its starter."""
    start = (window.start.astimezone(UTC) - timedelta(days=1)).date()
    end = (window.end.astimezone(UTC) + timedelta(days=1)).date()
    return f"{base}?q=d:{start:%Y%m%d}..{end:%Y%m%d}&x=m&t=1"


def public_inbox_page(base: str, message_id: str) -> str:
    """A message's page in a public-inbox, which shows its thread below it."""
    return f"{base}{quote(message_id.strip().strip('<>'), safe=_MID_SAFE)}/"


def with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
