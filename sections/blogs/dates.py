"""Dates feedparser cannot read: the local-language dates of real feeds.

A French WordPress writes ``mer., 30 sept. 2026 10:00:00 +0200`` in its RSS, a German
one ``Mi, 30 Sep 2026``, a hand-rolled one ``September 30, 2026 10:00 AM`` or
``30.09.2026``; feedparser (and feedparser-rs) read none of them, and every post of such
a feed would be dropped. :func:`localized_date` reads a day, a month (its name in
English, French, German, Spanish, Italian, Portuguese or Dutch, or ``day.month.year``),
a year, an optional time (``10:00``, ``10h00``, ``10:00:00``, AM/PM) and an optional
zone (``+0200``, ``+02:00``, UTC/GMT/Z, CET/CEST). A time without a zone is UTC, as
feedparser takes it. Weekday names and a few filler words (``de``, ``um``…) are
ignored, anything else makes it no date (when two words could be a month, the
last one is: ``mar., 3 nov. 2026`` is a Tuesday in November).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

_MONTH_NAMES = (
    "january jan janvier janv januar jan janner enero ene gennaio gen janeiro januari",
    "february feb fevrier fev februar febrero febbraio fevereiro februari",
    "march mar mars marz maerz mrz marzo marco maart mrt",
    "april apr avril avr abril aprile",
    "may mai mayo maggio mag maio mei",
    "june jun juin juni junio giugno giu junho",
    "july jul juillet juil juli julio luglio lug julho",
    "august aug aout agosto ago augustus",
    "september sep sept septembre setembro septiembre settembre set",
    "october oct octobre okt oktober octubre ottobre ott outubro out",
    "november nov novembre noviembre novembro",
    "december dec decembre dezember dez diciembre dic dicembre dezembro",
)
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names.split()}
_WEEKDAY_NAMES = (
    "monday mon tuesday tue tues wednesday wed thursday thu thur thurs friday fri "
    "saturday sat sunday sun",
    "lundi lun mardi mar mercredi mer jeudi jeu vendredi ven samedi sam dimanche dim",
    "montag mo dienstag di mittwoch mi donnerstag do freitag fr samstag sa sonntag so",
    "lunes martes miercoles mie jueves jue viernes vie sabado sab domingo dom",
    "lunedi martedi mercoledi giovedi gio venerdi sabato domenica",
    "segunda terca quarta quinta sexta feira seg ter qua qui sex",
    "maandag ma dinsdag woensdag wo donderdag vrijdag vr zaterdag za zondag zo",
)
_WEEKDAYS = frozenset(name for names in _WEEKDAY_NAMES for name in names.split())
_FILLERS = frozenset(("de", "del", "of", "the", "at", "a", "um", "am", "om", "as", "alle", "le"))
_NAMED_ZONES = {"ut": 0, "utc": 0, "gmt": 0, "z": 0, "cet": 1, "mez": 1, "cest": 2, "mesz": 2}

_TIME = re.compile(r"\b(\d{1,2})[:h](\d{2})(?::(\d{2}))?(?:\s*([ap])\.?m\b\.?)?")
_OFFSET = re.compile(r"(?:\bgmt|\butc)?([+-])(\d{2}):?(\d{2})\b")
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_TOKEN = re.compile(r"[a-z]+|\d+")


def _folded(text: str) -> str:
    """Lower case without accents: ``Déc.`` → ``dec.``, ``März`` → ``marz``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def localized_date(text: str) -> datetime | None:
    """``text`` as a UTC datetime, or ``None`` when it is not a date this reads."""
    value = _folded(text[:100])
    hour = minute = second = 0
    if clock := _TIME.search(value):
        hour, minute, second = (int(part or 0) for part in clock.group(1, 2, 3))
        if clock.group(4) and hour <= 12:
            hour = hour % 12 + (12 if clock.group(4) == "p" else 0)
        value = value[: clock.start()] + " " + value[clock.end() :]
    offset = timedelta(0)
    if zone := _OFFSET.search(value):
        offset = timedelta(hours=int(zone.group(2)), minutes=int(zone.group(3)))
        offset = -offset if zone.group(1) == "-" else offset
        value = value[: zone.start()] + " " + value[zone.end() :]
    if dotted := _DOTTED.search(value):
        day, month, year = (int(part) for part in dotted.groups())
        value = value[: dotted.start()] + " " + value[dotted.end() :]
    else:
        day = month = year = 0
    for token in _TOKEN.findall(value):
        if token.isdigit():
            if len(token) == 4 and not year:
                year = int(token)
            elif len(token) <= 2 and not day:
                day = int(token)
            else:
                return None  # a number too many: not a date this understands
        elif token in _MONTHS:
            # The last month name wins: a leading ``mar.`` is French or Italian for Tuesday.
            month = _MONTHS[token]
        elif token in _NAMED_ZONES and not zone:
            offset = timedelta(hours=_NAMED_ZONES[token])
        elif token not in _WEEKDAYS and token not in _FILLERS:
            return None  # an unknown word: a guess would be worse than no date
    if not (day and month and year) or abs(offset) >= timedelta(hours=24):
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return None
    return moment.astimezone(UTC) if 1970 <= year <= 2200 else None  # entries.MIN_YEAR…
