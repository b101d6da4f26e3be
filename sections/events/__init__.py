"""The ``events`` section: upcoming events from iCalendar feeds and a hand-kept file."""

from .provider import EventsProvider

__all__ = ["EventsProvider"]
