from __future__ import annotations

import gzip
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from newsletter.sections.mailing_lists.archives import hyperkitty_hash
from tests.conftest import EXAMPLE
from tests.mail import mail, mbox
from tests.servers import FeedServer, Route

WEEK = "2011-W26"  # Monday June 27 – Sunday July 3, 2011 in UTC


def at(day: int, month: int = 6, hour: int = 12) -> datetime:
    return datetime(2011, month, day, hour, tzinfo=UTC)


def section_toml(kind: str, url: str, archive_url: str = "", extra: str = "") -> str:
    return f"""
    [[section]]
    id = "lists"
    title = "Mailing-list highlights"
    provider = "mailing_lists"
    preselect = 1
    {extra}

    [[section.lists]]
    name = "dev"
    kind = "{kind}"
    url = "{url}"
    archive_url = "{archive_url}"
    """


def draft(cli: Any, ws: Path) -> dict[str, Any]:
    result = cli("-C", ws, "draft", "--week", WEEK)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = YAML(typ="safe").load((ws / "drafts" / f"{WEEK}.yaml").read_text())
    return next(s for s in data["sections"] if s["id"] == "lists")


def figures(ws: Path) -> dict[str, float]:
    with sqlite3.connect(ws / ".newsletter" / "state.db") as db:
        rows = db.execute("SELECT name, value FROM figures WHERE issue = ?", (WEEK,)).fetchall()
    return dict(rows)


ARCHIVE = mbox(
    mail("[dev] Old news", "Old Timer <old@x.org>", at(1), "<old@x>"),
    mail("[dev] Config drive", "Thorsten von Eicken <tve@x.org>", at(27), "<cd@x>",
         "Hi all,\n\nWe have feedback on the\nconfiguration drive.\n\nSecond paragraph.\n"
         "-- \nThorsten\n"),
    mail("Re: [dev] Config drive", "Scott Moser <smoser@x.org>", at(27, hour=14), "<cd2@x>",
         "> quoted\n\nAgreed.\n", reply_to="<cd@x>"),
    mail("Re: [dev] Config drive", "=?utf-8?q?Paul_Voccio?= <pv@x.org>", at(28), "<cd3@x>",
         reply_to="<cd2@x>"),
    mail("Re: [dev] Config drive", "Scott M. <SMOSER@x.org>", at(28, hour=15), "<cd4@x>",
         reply_to="<cd3@x>"),
    mail("[dev] Lonely question", "Old Timer <old@x.org>", at(29), "<lq@x>"),
    mail("[dev] Broken", "b@x.org", None, "<br@x>", headers="Date: not a date",
         envelope="From b@x.org Thu Jun 31 10:00:00 2011"),
    mail("[dev] After the week", "c@x.org", at(5, month=7), "<late@x>"),
)  # fmt: skip


def test_mbox_threads_ranked_with_participants_figures_and_a_skipped_message(
    make_workspace: Any, cli: Any
) -> None:
    ws = make_workspace(
        section_toml("mbox", "archives/dev.mbox", "https://lists.example.org/dev/"),
        files={"archives/dev.mbox": ARCHIVE},
    )
    section = draft(cli, ws)
    assert section["problems"] == ["dev: 1 message skipped (unparseable Date)"]
    first, second = section["items"]
    assert (first["title"], first["include"], second["include"]) == ("Config drive", True, False)
    assert first["author"] == "Thorsten von Eicken"
    assert first["url"] == "https://lists.example.org/dev/"
    assert first["summary"] == "We have feedback on the configuration drive."
    assert first["id"].startswith("thread-")
    details = first["details"]
    # Scott Moser wrote twice, under two spellings of his address: he counts once.
    assert details["participants"] == ["Thorsten von Eicken", "Scott Moser", "Paul Voccio"]
    assert (details["messages_in_window"], details["messages_total"]) == (4, 4)
    assert details["started"] == "2011-06-27T12:00:00+00:00"
    assert details["last_activity"] == "2011-06-28T15:00:00+00:00"
    assert second["title"] == "Lonely question"
    assert figures(ws) == {
        "lists/dev/messages": 5,
        "lists/dev/threads": 2,
        "lists/dev/posters": 4,
        "lists/dev/first_time_posters": 3,  # Old Timer posted on June 1
    }
    result = cli("-C", ws, "render", "--format", "txt", "--out", "-")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "started by Thorsten von Eicken; with Scott Moser and Paul Voccio; 4 messages" in text


def test_gzipped_mbox_and_weights_that_change_the_ranking(make_workspace: Any, cli: Any) -> None:
    busy = mail("[dev] Busy", "x@x.org", at(29), "<b0@x>") + "".join(
        mail("Re: [dev] Busy", "x@x.org", at(29, hour=13 + i), f"<b{i + 1}@x>", reply_to="<b0@x>")
        for i in range(9)
    )
    archive = gzip.compress(ARCHIVE + busy.encode())
    firsts = []
    for number, weights in enumerate(["", "weight_messages = 0.0"]):
        ws = make_workspace(
            section_toml("mbox", "dev.mbox.gz", extra=weights),
            files={"dev.mbox.gz": archive},
            name=f"ws{number}",
        )
        items = draft(cli, ws)["items"]
        firsts.append((items[0]["title"], items[0]["details"]["messages_in_window"]))
    # Ten messages from one poster lead by default; weighing only participants, the
    # three-person thread does.
    assert firsts == [("Busy", 10), ("Config drive", 4)]


PIPERMAIL_INDEX = """<html><body><table>
<tr><td>July 2011:</td><td><a href="2011-July/thread.html">[ Thread ]</a></td>
<td><a href="2011-July.txt">[ Text 1 KB ]</a></td></tr>
<tr><td>June 2011:</td><td><a href="2011-June/thread.html">[ Thread ]</a></td>
<td><a href="2011-June.txt.gz">[ Gzip'd Text 2 KB ]</a></td></tr>
<tr><td>May 2011:</td><td><a href="2011-May.txt.gz">[ Gzip'd Text 2 KB ]</a></td></tr>
</table></body></html>"""


def test_pipermail_fetches_only_the_window_months_and_joins_a_thread_across_them(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    pipermail = "From tve at x.org  Mon Jun 20 12:00:00 2011"
    june = mbox(
        mail("[dev] Spans months", "tve at x.org (Thorsten von Eicken)", at(20), "<s1@x>",
             envelope=pipermail),
        mail("Re: [dev] Spans months", "smoser at x.org (Scott Moser)", at(30), "<s2@x>",
             reply_to="<s1@x>", envelope=pipermail),
    )  # fmt: skip
    july = mbox(
        mail("Re: [dev] Spans months", "pv at x.org (Paul Voccio)", at(2, month=7), "<s3@x>",
             reply_to="<s2@x>", envelope=pipermail)
    )  # fmt: skip
    index = server.add("/pipermail/dev/", PIPERMAIL_INDEX)
    server.add("/pipermail/dev/2011-June.txt.gz", gzip.compress(june))
    server.add("/pipermail/dev/2011-July.txt", Route(july))
    server.add("/pipermail/dev/2011-May.txt.gz", Route(b"", status=500))
    ws = make_workspace(section_toml("pipermail", index))
    section = draft(cli, ws)
    assert section["problems"] == []
    (item,) = section["items"]
    assert item["url"] == index + "2011-June/thread.html"
    assert item["author"] == "Thorsten von Eicken"
    details = item["details"]
    assert details["participants"] == ["Thorsten von Eicken", "Scott Moser", "Paul Voccio"]
    assert (details["messages_in_window"], details["messages_total"]) == (2, 3)
    fetched = [path for _, path, _ in server.requests]
    assert "/pipermail/dev/2011-May.txt.gz" not in fetched
    # Two months read are not the list's history: who posts for the first time is not
    # told (it was 2 here, Thorsten counted new though he posted in June 20).
    assert figures(ws)["lists/dev/posters"] == 2
    assert "lists/dev/first_time_posters" not in figures(ws)


def test_hyperkitty_export_for_the_window_and_thread_links(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    list_url = server.url("/hyperkitty/list/dev@lists.example.org/")
    server.add(
        "/hyperkitty/list/dev@lists.example.org/export/dev.mbox.gz",
        Route(gzip.compress(ARCHIVE), headers={"Content-Type": "application/gzip"}),
    )
    ws = make_workspace(section_toml("hyperkitty", list_url))
    items = draft(cli, ws)["items"]
    assert items[0]["url"] == f"{list_url}thread/{hyperkitty_hash('<cd@x>')}/"
    (query,) = [path.split("?")[1] for _, path, _ in server.requests if "export" in path]
    assert query == "start=2011-06-26&end=2011-07-05"


def test_a_failing_archive_is_a_problem_on_the_section(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    url = server.add("/pipermail/dev/", Route(b"", status=503))
    section = draft(cli, make_workspace(section_toml("pipermail", url)))
    assert section["items"] == []
    assert len(section["problems"]) == 1 and section["problems"][0].startswith(f"dev ({url})")


def test_a_thread_cross_posted_to_two_lists_is_one_item_known_by_both(
    make_workspace: Any, cli: Any
) -> None:
    # One message sent to two lists is archived by both under one Message-ID: two items
    # with one id would make re-drafting merge each into the other.
    toml = (
        section_toml("mbox", "archives/dev.mbox")
        + """
    [[section.lists]]
    name = "ops"
    url = "archives/ops.mbox"
    """
    )
    ws = make_workspace(toml, files={"archives/dev.mbox": ARCHIVE, "archives/ops.mbox": ARCHIVE})
    items = draft(cli, ws)["items"]
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 2
    assert sorted(items[0]["keys"]) == [
        "mailing_lists:thread:dev:cd@x",
        "mailing_lists:thread:ops:cd@x",
    ]


def test_the_config_shape_rejects_an_unknown_kind(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace(section_toml("nntp", "x"))
    result = cli("-C", ws, "draft", "--week", WEEK)
    assert result.exit_code != 0
    assert "lists.0.kind" in result.output


def test_the_example_archive_matches_its_generator(monkeypatch: Any) -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("make_mbox", EXAMPLE / "make_mbox.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_mbox", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    assert module.render() == (EXAMPLE / "archives" / "openstack.mbox").read_bytes()


def test_the_example_week_rebuilds_the_2011_threads(cli: Any, tmp_path: Path) -> None:
    import shutil

    ws = tmp_path / "openstack"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".newsletter", "out", "drafts"))
    section = draft(cli, ws)
    included = {i["title"]: i for i in section["items"] if i["include"]}
    assert len(included) == 5
    drive = included["Feedback on Portable Configuration Drive Blueprint"]["details"]
    assert drive["participants"] == [
        "Thorsten von Eicken", "Scott Moser", "Paul Voccio", "Vish Ishaya"
    ]  # fmt: skip
    swift = included["Swift+Keystone error"]["details"]
    assert swift["participants"] == ["Tres Henry", "Jesse Andrews", "Todd Wiley"]
    # Tres's last reply lost its In-Reply-To; the subject brings it back to the thread.
    assert swift["messages_in_window"] == 4


def _date_index(*entries: tuple[int, str, str]) -> str:
    """A pipermail month's date.html listing (number, subject, author)."""
    items = "".join(
        f'<LI><A HREF="{number:06d}.html">{subject}\n</A><A NAME="{number}">&nbsp;</A>\n'
        f"<I>{author}\n</I>\n\n"
        for number, subject, author in entries
    )
    return f"<HTML><BODY><h1>June 2011 Archives by date</h1><ul>{items}</ul></BODY></HTML>"


def test_pipermail_threads_link_to_their_first_message_and_envelope_dates_are_local(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    # The server's local time is UTC+2: envelope lines say 14:00 for 12:00 UTC.
    def envelope(day: int, hour: int) -> str:
        return f"From x at x.org  {datetime(2011, 6, day, hour):%a %b %d %H:%M:%S %Y}"

    june = mbox(
        mail("[dev] Earlier", "a at x.org (Ann)", at(20), "<e1@x>", envelope=envelope(20, 14)),
        mail("[dev] Config drive", "tve at x.org (Thorsten von Eicken)", at(27), "<cd@x>",
             envelope=envelope(27, 14)),
        mail("Re: [dev] Config drive", "sm at x.org (Scott Moser)", at(28), "<cd2@x>",
             reply_to="<cd@x>", envelope=envelope(28, 14)),
        # No Date header: its envelope is 01:30 local on June 27, i.e. June 26, 23:30
        # UTC — before the week. Read as UTC it was in it.
        mail("[dev] Late Sunday", "b at x.org (Bea)", None, "<ls@x>",
             envelope=envelope(27, 1).replace("01:00:00", "01:30:00")),
        # The same message archived again, with a Date: counted once.
        mail("Re: [dev] Config drive", "sm at x.org (Scott Moser)", None, "<cd2@x>",
             reply_to="<cd@x>", envelope=envelope(28, 14)),
    )  # fmt: skip
    index = server.add("/pipermail/dev/", PIPERMAIL_INDEX)
    server.add("/pipermail/dev/2011-June.txt.gz", gzip.compress(june))
    server.add("/pipermail/dev/2011-July.txt", Route(b""))
    # The index lacks the first message: the thread is still found by its subject.
    server.add(
        "/pipermail/dev/2011-June/date.html",
        _date_index(
            (7, "[dev] Config drive", "Thorsten von Eicken"),
            (8, "Re: [dev] Config drive", "Scott Moser"),
            (9, "[dev] Late Sunday", "Bea"),
        ),
    )
    ws = make_workspace(section_toml("pipermail", index))
    section = draft(cli, ws)
    assert section["problems"] == []
    (item,) = section["items"]
    assert item["url"] == index + "2011-June/000007.html"
    assert item["details"]["messages_in_window"] == 2
    assert figures(ws)["lists/dev/messages"] == 2


def test_an_index_that_is_not_pipermail_and_a_file_that_is_not_mbox_are_problems(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    mod_mbox = server.add(
        "/mod_mbox/dev/",
        '<html><body><table><tr><td><a href="201106.mbox/thread">Thread</a></td>'
        '<td><a href="201106.mbox">Jun 2011</a></td></tr></table></body></html>',
    )
    page = server.add("/lists/dev/", "<html><body>Welcome to the dev list</body></html>")
    ws = make_workspace(
        section_toml("pipermail", mod_mbox)
        + '\n    [[section.lists]]\n    name = "web"\n    kind = "pipermail"\n'
        f'    url = "{page}"\n'
        '\n    [[section.lists]]\n    name = "html"\n    url = "archive.mbox"\n',
        files={"archive.mbox": "<html><body>Not an archive</body></html>"},
    )
    section = draft(cli, ws)
    assert section["items"] == []
    assert sorted(section["problems"]) == [
        f"dev ({mod_mbox}): not a pipermail index but an Apache mod_mbox archive: use "
        'kind = "mbox" with url = its monthly file (201106.mbox)',
        'html (archive.mbox): no messages in it: not an mbox archive (no "From " envelope lines)',
        f"web ({page}): not a pipermail index: it links no monthly archive "
        "(2011-June.txt.gz); is it the list's …/pipermail/<list>/ page?",
    ]


def test_hyperkitty_links_a_thread_that_began_before_the_export_to_its_starter(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    list_url = server.url("/hyperkitty/list/dev@lists.example.org/")
    replies = mbox(
        mail("Re: [dev] Old thread", "a@x.org", at(28), "<r2@x>",
             headers="In-Reply-To: <r1@x>\nReferences: <start@x> <r1@x>"),
    )  # fmt: skip
    server.add(
        "/hyperkitty/list/dev@lists.example.org/export/dev.mbox.gz",
        Route(gzip.compress(replies), headers={"Content-Type": "application/gzip"}),
    )
    (item,) = draft(cli, make_workspace(section_toml("hyperkitty", list_url)))["items"]
    assert item["url"] == f"{list_url}thread/{hyperkitty_hash('<start@x>')}/"


def test_an_archive_larger_than_max_mb_is_streamed_locally_or_from_a_url(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    # Months of traffic before the week: ~3 MiB, over a max_mb of 1 (which bounds what is
    # held in memory); an mbox is streamed from its file, never held, so it is read.
    filler = "".join(
        mail(f"[dev] Topic {n}", f"p{n % 50}@x.org", at(1 + n % 25, month=3 + n % 3),
             f"<t{n}@x>", "Some words about it.\n" * 40)
        for n in range(3000)
    )  # fmt: skip
    archive = (filler + ARCHIVE.decode()).encode()
    assert len(archive) > 2 * 1024 * 1024
    extra = "[http]\nmax_mb = 1\n"
    local = make_workspace(section_toml("mbox", "dev.mbox"), extra=extra,
                           files={"dev.mbox": archive}, name="local")  # fmt: skip
    url = server.add("/dev.mbox.gz", gzip.compress(archive))
    remote = make_workspace(section_toml("mbox", url), extra=extra, name="remote")
    for ws in (local, remote):
        section = draft(cli, ws)
        assert section["problems"] == ["dev: 1 message skipped (unparseable Date)"]
        assert section["items"][0]["title"] == "Config drive"
        assert "We have feedback on the configuration drive." in section["items"][0]["summary"]
    # The stream's own cap still holds, and says so.
    plain = server.add("/dev.mbox", archive)
    small = make_workspace(section_toml("mbox", plain), extra="[http]\nmax_stream_mb = 0.5\n",
                           name="capped")  # fmt: skip
    section = draft(cli, small)
    assert section["items"] == [] and len(section["problems"]) == 1
    assert section["problems"][0].startswith(f"dev ({plain}): larger than the 0.5 MiB cap")
