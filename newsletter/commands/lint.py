from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from ..console import make_console
from ..lint import (
    Finding,
    LinkCache,
    check_links,
    content_findings,
    draft_links,
    html_findings,
)
from ..status import ExitStatus
from ..workspace import renderer_for
from ._choose import choose_draft, optional_config

if TYPE_CHECKING:
    from ..cli import Globals


def run(options: Globals, draft_file: Path | None, links: bool, strict: bool) -> ExitStatus:
    workspace = options.workspace
    path, draft = choose_draft(workspace, draft_file)
    renderer = renderer_for(workspace, optional_config(workspace))
    console = make_console(quiet=options.quiet)

    found = draft_links(draft)
    findings = content_findings(draft, found)
    findings += html_findings(renderer.render(draft, "html"))
    if links:
        cache = LinkCache(workspace)
        to_check = [url for url in found if not cache.fresh(url)]
        console.print(
            f"Checking {len(to_check)} link(s) ({len(found) - len(to_check)} checked today)…"
        )
        broken = asyncio.run(check_links(to_check))
        cache.save(url for url in to_check if url not in broken)
        for url, why in broken.items():
            findings.append(Finding("error", url, f"{why} (in {', '.join(found[url])})"))

    out = make_console(quiet=False)
    for finding in findings:
        colour = "red" if finding.level == "error" else "yellow"
        out.print(
            f"[{colour}]{finding.level}[/] {escape(finding.where)}: {escape(finding.message)}"
        )
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    out.print(f"{path.name}: {errors} error(s), {warnings} warning(s)")
    if errors or (strict and warnings):
        return ExitStatus.LINT
    return ExitStatus.OK
