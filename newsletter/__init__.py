"""Compose an open-source community's weekly newsletter."""

__version__ = "0.1.0"
