"""The week's releases of a community's packages on PyPI: an example section provider."""

from .provider import PyPIReleasesOptions, PyPIReleasesProvider

__all__ = ["PyPIReleasesOptions", "PyPIReleasesProvider"]
