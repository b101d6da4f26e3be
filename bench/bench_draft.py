"""The draft file, 500 items: writing a new one, reading it back, and a re-draft that
changes nothing (goal < 50 ms of draft-file work, the file still the editor's YAML).

"before" is what each step cost with ruamel's round trip alone (~30 µs a token):
dumping the node, parsing and validating the file, and for a re-draft parsing,
merging and dumping it again. "ours": new drafts written by newsletter.draft.emit
(the same bytes), and a draft known by the hash of its bytes read from its record
(newsletter.draft.record), merged as plain data to find that nothing changes.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import median_seconds, options, seconds, table

GOAL = 0.050


def gathered(items: int) -> object:
    from newsletter.model import Draft, Item, Section, Window

    start = datetime(2026, 3, 2, tzinfo=UTC)
    per = items // 5
    sections = [
        Section(
            id=f"section{s}",
            title=f"Section {s}",
            provider="blogs",
            items=[
                Item(
                    id=f"post-{s}-{i}",
                    title=f"Post {i} of section {s}: it's a title of some length",
                    url=f"https://blog{i}.example.org/{s}/{i}?utm_source=rss",
                    summary="We **released** a version with [notes](https://e.example/n).\n\n"
                    + " ".join(f"word{n}" for n in range(50)),
                    author=f"Author {i}",
                    published=start + timedelta(hours=i),
                    source=f"Blog {i}",
                    details={"canonical_url": f"blog{i}.example.org/{s}/{i}", "tags": ["a", "b"]},
                    score=float(i),
                )
                for i in range(per)
            ],
        )
        for s in range(5)
    ]
    return Draft(
        issue="2026-W10",
        title="Bench Weekly",
        window=Window(start=start, end=start + timedelta(days=7)),
        sections=sections,
    )


def main() -> None:
    args = options(__doc__.splitlines()[0])
    items, repeat = (50, 3) if args.quick else (500, 5)
    from newsletter.draft.emit import emit
    from newsletter.draft.file import (
        draft_header,
        draft_node,
        dump,
        load_draft,
        parse_text,
        validate_node,
    )
    from newsletter.draft.merge import merge, write_draft
    from newsletter.draft.paths import draft_path

    draft = gathered(items)
    node = draft_node(draft, "drafts/2026-W10.yaml")  # type: ignore[arg-type]
    header = draft_header(draft, "drafts/2026-W10.yaml")  # type: ignore[arg-type]
    assert emit(node, header) == dump(node)
    rows = []
    old_write = median_seconds(lambda: dump(node), repeat)
    new_write = median_seconds(lambda: emit(node, header), repeat)
    rows.append(["write a new draft", seconds(old_write), seconds(new_write),
                 f"{old_write / new_write:.0f}×", "same bytes"])  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        path, _ = write_draft(workspace, draft)  # type: ignore[arg-type]
        text = path.read_text("utf-8")

        def parse() -> object:
            return validate_node(parse_text(text, str(path)), str(path))

        old_read = median_seconds(parse, repeat)
        new_read = median_seconds(lambda: load_draft(path, workspace), repeat)
        rows.append(["read it (parse and validate)", seconds(old_read), seconds(new_read),
                     f"{old_read / new_read:.0f}×", "from its record"])  # fmt: skip

        def round_trip() -> None:
            parsed = parse_text(text, str(path))
            validate_node(parsed, str(path))
            merge(parsed, [draft], draft)  # type: ignore[list-item]
            dump(parsed)

        def redraft() -> None:
            assert write_draft(workspace, draft)[1] == "unchanged"  # type: ignore[arg-type]

        old_again = median_seconds(round_trip, repeat)
        new_again = median_seconds(redraft, repeat)
        assert draft_path(workspace, "2026-W10").read_text("utf-8") == text
        verdict = "met" if new_again < GOAL else "**missed**"
        rows.append([f"re-draft, nothing changed (goal < {seconds(GOAL)}: {verdict})",
                     seconds(old_again), seconds(new_again),
                     f"{old_again / new_again:.0f}×", "file not rewritten"])  # fmt: skip
    table(
        f"The draft file, {items} items, median of {repeat}",
        ["step", "ruamel round trip", "ours", "faster", ""],
        rows,
    )


if __name__ == "__main__":
    main()
