"""Releases uploaded during the issue's week, read from PyPI's JSON API.

One request per package (``<index_url>/<name>/json``), through ``ctx.fetch`` so the
core's limits, cache and redirect rules apply. The answer is written by a stranger:
every field is checked for its type and cut to a sane length before use.

A release is known by its package and version (``release:<package>==<version>``) and
announced once (``repeats = "once"``): an issue whose window overlaps an earlier one's
(``draft --since … --until …``) leaves out what that issue announced.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import Field

from newsletter import (
    GatherContext,
    Item,
    ProviderOptions,
    SectionProvider,
    SourceError,
    plain_text,
)

MAX_VERSION = 64
"""Characters of a version string kept: PEP 440 versions are short."""


class PyPIReleasesOptions(ProviderOptions):
    packages: list[str] = Field(min_length=1, description="project names on the index")
    index_url: str = Field("https://pypi.org/pypi", description="root of the JSON API")
    project_url: str = Field("https://pypi.org/project", description="root of release pages")


class PyPIReleasesProvider(SectionProvider[PyPIReleasesOptions]):
    name = "pypi_releases"
    description = "Releases of the community's packages on PyPI during the week."
    repeats = "once"

    def sources(self, options: PyPIReleasesOptions) -> list[str]:
        return [_json_url(options, package) for package in options.packages]

    async def gather(self, options: PyPIReleasesOptions, ctx: GatherContext) -> list[Item]:
        found = await asyncio.gather(
            *(self._releases(package, options, ctx) for package in options.packages)
        )
        return [item for items in found for item in items]

    async def _releases(
        self, package: str, options: PyPIReleasesOptions, ctx: GatherContext
    ) -> list[Item]:
        url = _json_url(options, package)
        try:
            fetched = await ctx.fetch(url)
            answer = json.loads(fetched.content)
        except SourceError as error:
            ctx.problem(url, error.reason)
            return []
        except ValueError:
            ctx.problem(url, "the answer is not JSON")
            return []
        releases = answer.get("releases") if isinstance(answer, dict) else None
        if not isinstance(releases, dict):
            ctx.problem(url, "the answer has no 'releases' table")
            return []
        info = answer.get("info") if isinstance(answer.get("info"), dict) else {}
        summary = plain_text(str(info.get("summary") or ""))[:300]
        items = []
        for key, files in releases.items():
            uploaded = _first_upload(files)
            if uploaded is None or uploaded not in ctx.window:
                continue
            version = plain_text(str(key))[:MAX_VERSION]
            items.append(
                Item(
                    # Stable across runs, so re-drafting keeps the editor's edits.
                    id=f"pypi-{package}-{version}",
                    keys=[f"release:{package}=={version}"],
                    title=f"{package} {version}",
                    url=f"{options.project_url.rstrip('/')}/{quote(package)}/{quote(version)}/",
                    summary=summary,
                    published=uploaded,
                    source="PyPI",
                    details={"package": package, "version": version},
                    score=uploaded.timestamp(),  # the latest first when preselecting
                )
            )
        return items


def _json_url(options: PyPIReleasesOptions, package: str) -> str:
    return f"{options.index_url.rstrip('/')}/{quote(package)}/json"


def _first_upload(files: Any) -> datetime | None:
    """When a release's first file was uploaded; None when the answer says nothing usable."""
    moments = []
    for entry in files if isinstance(files, list) else []:
        stamp = entry.get("upload_time_iso_8601") if isinstance(entry, dict) else None
        try:
            moment = datetime.fromisoformat(str(stamp)[:40].replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is not None:
            moments.append(moment)
    return min(moments, default=None)
