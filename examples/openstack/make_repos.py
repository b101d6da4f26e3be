"""Make the example's git repositories (nova, swift, glance) with `git fast-import`.

Deterministic: a fixed seed, fixed dates in spring 2011, so every run of the demo
builds the same commits. Tens of authors with made-up names, a few joining late (the
first-time contributors), one who committed under a second address that `.mailmap`
folds back, and merges landed by a bot as in 2011. The benchmark reuses
:func:`make_repo` for its 100,000-commit repository.

    python examples/openstack/make_repos.py [DIR]   (default: repos/ next to this file)
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

FIRST = ("Ann", "Brian", "Chen", "Dana", "Eric", "Fatima", "Gustavo", "Hana", "Ivan", "Jun",
         "Kiran", "Lena", "Mateo", "Nadia", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tomas",
         "Uma", "Vik", "Wen", "Yusuf", "Zoe")  # fmt: skip
LAST = ("Abbott", "Barros", "Costa", "Dvorak", "Eklund", "Fischer", "Grant", "Haddad", "Ito",
        "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Patel", "Rossi",
        "Sato", "Tanaka", "Varga")  # fmt: skip
DOMAINS = ("rackspace.example", "nasa.example", "citrix.example", "canonical.example",
           "hp.example", "gmail.example")  # fmt: skip
BOT = ("Tarmac", "tarmac@openstack.example")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    joined: int  # epoch seconds of their first possible commit
    weight: float


def people(rng: random.Random, count: int, start: int, end: int) -> list[Person]:
    """``count`` authors; most active from the start, a few join in the last weeks."""
    chosen: list[Person] = []
    names = rng.sample([f"{f} {l}" for f in FIRST for l in LAST], count)  # noqa: E741
    for index, name in enumerate(names):
        login = name.lower().replace(" ", ".")
        late = index >= count - max(2, count // 6)
        joined = rng.randrange(end - 21 * 86400, end - 86400) if late else start
        chosen.append(Person(name, f"{login}@{rng.choice(DOMAINS)}", joined,
                             rng.paretovariate(1.2)))  # fmt: skip
    return chosen


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def _ident(name: str, email: str, when: int, tz: str) -> bytes:
    return f"{name} <{email}> {when} {tz}".encode()


def _commits(
    rng: random.Random, project: str, authors: list[Person], count: int, start: int, end: int,
    merge_every: int, files: int, alias: tuple[str, str] | None,
) -> Iterator[bytes]:  # fmt: skip
    # Activity grows over the span, as it did in 2011: times drawn with a rising density.
    times = sorted(start + int((end - start) * rng.random() ** 0.7) for _ in range(count))
    paths = [f"{project}/{rng.choice(('api', 'compute', 'db', 'common', 'tests'))}/m{i}.py"
             for i in range(files)]  # fmt: skip
    content: dict[str, list[str]] = {}
    mark = 0
    tip = 0
    for number, when in enumerate(times):
        eligible = [a for a in authors if a.joined <= when] or authors[:1]
        author = rng.choices(eligible, weights=[a.weight for a in eligible])[0]
        name, email = author.name, author.email
        if alias and name == authors[0].name and rng.random() < 0.3:
            name, email = alias  # an old address; .mailmap folds it back
        tz = rng.choice(("-0500", "-0600", "-0800", "+0000", "+0100", "+0530"))
        changes = []
        for path in rng.sample(paths, rng.randint(1, 3)):
            lines = content.setdefault(path, [])
            for _ in range(rng.randint(0, min(3, len(lines)))):
                del lines[rng.randrange(len(lines))]
            if len(lines) > 60:  # keep files small, so a 100,000-commit history stays quick
                del lines[: len(lines) - 60]
            for _ in range(rng.randint(1, 12)):
                lines.insert(rng.randint(0, len(lines)), f"value_{rng.randrange(10**6)} = {number}")
            body = "\n".join(lines) + "\n"
            changes.append(b"M 100644 inline %s\n%s" % (path.encode(), _data(body)))
        if number == 0 and alias:
            mailmap = f"{authors[0].name} <{authors[0].email}> <{alias[1]}>\n"
            changes.append(b"M 100644 inline .mailmap\n" + _data(mailmap))
        mark += 1
        side = merge_every and number % merge_every == merge_every - 1 and tip
        branch = b"refs/heads/topic" if side else b"refs/heads/master"
        yield b"commit %s\nmark :%d\n" % (branch, mark)
        yield b"author " + _ident(name, email, when, tz) + b"\n"
        yield b"committer " + _ident(name, email, when, tz) + b"\n"
        yield _data(f"Change {number} to {project}\n\nWork on {paths[number % files]}.")
        if tip:
            yield b"from :%d\n" % tip
        yield b"".join(changes) + b"\n"
        if side:
            topic = mark
            mark += 1
            yield b"commit refs/heads/master\nmark :%d\n" % mark
            yield b"author " + _ident(*BOT, when + 60, "+0000") + b"\n"
            yield b"committer " + _ident(*BOT, when + 60, "+0000") + b"\n"
            yield _data(f"Merge change {number} from {name}")
            yield b"from :%d\nmerge :%d\n\n" % (tip, topic)
        tip = mark


def make_repo(
    path: Path,
    project: str,
    *,
    seed: int,
    commits: int,
    authors: int,
    start: datetime,
    end: datetime,
    merge_every: int = 0,
    files: int = 60,
    alias: bool = True,
) -> None:
    """Create (or re-create) a repository at ``path`` with ``commits`` commits."""
    rng = random.Random(seed)
    first, last = int(start.timestamp()), int(end.timestamp())
    crowd = people(rng, authors, first, last)
    old = (crowd[0].name.split()[0].lower(), f"{crowd[0].name.split()[0].lower()}@gmail.example")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    git = ["git", "-C", str(path), "-c", "init.defaultBranch=master"]
    subprocess.run([*git, "init", "-q"], check=True)
    stream = _commits(rng, project, crowd, commits, first, last, merge_every, files,
                      old if alias else None)  # fmt: skip
    importer = subprocess.Popen([*git, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert importer.stdin is not None
    for chunk in stream:
        importer.stdin.write(chunk)
    importer.stdin.close()
    if importer.wait() != 0:
        raise SystemExit(f"git fast-import failed for {path}")
    # A checkout puts .mailmap in the working tree, where git log reads it.
    subprocess.run([*git, "checkout", "-q", "-f", "master"], check=True)


EXAMPLE = {
    # name: (seed, commits, authors, merge every n-th change)
    "nova": (2011, 420, 40, 5),
    "swift": (2012, 160, 14, 4),
    "glance": (2013, 120, 12, 4),
}


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "repos"
    start = datetime(2011, 4, 15, tzinfo=UTC)
    end = datetime(2011, 7, 1, 17, tzinfo=UTC)  # the example issue closes on Friday July 1
    for name, (seed, commits, authors, merge_every) in EXAMPLE.items():
        make_repo(root / name, name, seed=seed, commits=commits, authors=authors, start=start,
                  end=end, merge_every=merge_every)  # fmt: skip
        print(f"made {root / name}: {commits} commits by {authors} authors")


if __name__ == "__main__":
    main()
