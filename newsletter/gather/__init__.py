"""Gathering: run every section's provider and collect a draft.

The fetcher (:mod:`.fetch`) is the one way sources are read, with its revalidation
cache (:mod:`.cache`); :mod:`.run` runs the providers concurrently over it.
"""

from ..providers import Fetched
from .fetch import Fetcher, Limits
from .run import GatherResult, Reporter, fetcher_for, gather

__all__ = ["Fetched", "Fetcher", "GatherResult", "Limits", "Reporter", "fetcher_for", "gather"]
