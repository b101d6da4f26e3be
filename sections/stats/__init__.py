"""The ``stats`` section: community figures from git, code review, trackers and lists."""

from .provider import StatsProvider

__all__ = ["StatsProvider"]
